"""What every driver portal page shares: it answers without the back office's sign-in, knows
the driver (or visitor) and the network they are in, and is drawn for a phone."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.views.generic.base import ContextMixin

from accounts.models import Operator

NETWORK_SESSION_KEY = "driver_network"


def portal_url(request, path: str) -> str:
    """The address of a portal page as a phone reaches it (printed in QR codes): under
    PORTAL_BASE_URL when it is set, otherwise under the host of the current request."""
    if settings.PORTAL_BASE_URL:
        return settings.PORTAL_BASE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def network_remember(request, operator: Operator) -> None:
    """The network a visitor came to (by a gun's QR code, a station or the list of networks):
    the one their sign-up joins."""
    request.session[NETWORK_SESSION_KEY] = operator.pk


def network_of(request) -> Operator | None:
    user = request.user
    if user.is_authenticated and user.is_driver:
        return user.driver.operator
    pk = request.session.get(NETWORK_SESSION_KEY)
    return Operator.objects.filter(pk=pk).first() if pk else None


class PortalMixin(ContextMixin):
    """A driver portal page. Visitors may open those with `driver_required = False` (finding a
    station, a gun's page); the rest ask them to sign in with the portal's own sign-in page. A
    back-office account is a visitor here and is told to sign out to charge."""

    driver_required = True

    @classmethod
    def as_view(cls, **initkwargs):
        return login_not_required(super().as_view(**initkwargs))

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        self.driver = user.driver if user.is_authenticated and user.is_driver else None
        if self.driver_required and self.driver is None:
            if user.is_authenticated:
                return render(request, "drivers/back_office_account.html", status=403)
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        self.network = network_of(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(driver=self.driver, network=self.network, **kwargs)
