from allauth.account.forms import SignupForm
from allauth.core import context
from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Operator

from .selectors import driver_orders
from .services import TOP_UP_MAX, TOP_UP_MIN, driver_register
from .views.base import NETWORK_SESSION_KEY


def networks():
    """The operators a driver may join: those with at least one station."""
    return Operator.objects.filter(areas__stations__isnull=False).distinct().order_by("name")


class DriverSignupForm(SignupForm):
    """django-allauth's sign-up (e-mail and password) with the network the driver joins: the
    one whose gun or station brought them here, or one they pick."""

    network = forms.ModelChoiceField(
        label=_("Charging network"), queryset=Operator.objects.none(), empty_label=_("Choose the network")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks()
        request = context.request
        if request is not None and NETWORK_SESSION_KEY in request.session:
            self.fields["network"].initial = request.session[NETWORK_SESSION_KEY]

    def save(self, request):
        with transaction.atomic():
            user = super().save(request)
            driver_register(user=user, operator=self.cleaned_data["network"])
        return user


class TopUpForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), min_value=TOP_UP_MIN, max_value=TOP_UP_MAX, decimal_places=2, max_digits=8
    )


class RefundForm(forms.Form):
    """Money an operator gives back into a driver's wallet, with why, and the order it is for
    when it is for one. The order is looked up among the driver's own; how much may be refunded
    is the service's to say (`services.wallet_refund`)."""

    amount = forms.DecimalField(label=_("Amount"), decimal_places=2, max_digits=12)
    reason = forms.CharField(
        label=_("Reason"), max_length=300, error_messages={"required": _("Say why the money is refunded.")}
    )
    order = forms.CharField(
        label=_("Order number"),
        required=False,
        max_length=50,
        help_text=_("The order this refund is for (optional). At most what the wallet paid for it can be refunded."),
    )

    def __init__(self, *args, driver, **kwargs):
        super().__init__(*args, **kwargs)
        self.driver = driver

    def clean_order(self):
        number = self.cleaned_data["order"].strip()
        if not number:
            return None
        order = driver_orders(self.driver).filter(number=number).first()
        if order is None:
            raise forms.ValidationError(_("This driver has no order %(number)s."), params={"number": number})
        return order

    def service_kwargs(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("amount", "reason", "order")}
