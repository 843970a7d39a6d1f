from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .services import login_failure_record, login_failures_clear, login_throttled


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing further attempts for a while after too many failures
    for the account or from the address; the message does not say whether the account exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username and password do not match an active account."),
        "throttled": _("Too many failed sign-ins. Try again in %(minutes)s minutes."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if login_throttled(username=username, address=address):
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_THROTTLE_SECONDS // 60},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failure_record(username=username, address=address)
            raise
        login_failures_clear(username=username)
        return cleaned
