from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

# The driver portal's pages, its sign-in pages and payment addresses among them (chargeops/urls.py).
PORTAL_PREFIX = "/drive/"
# Where a driver may go: the portal, the language switch, and the files pages load.
PORTAL_PATHS = (PORTAL_PREFIX, "/i18n/", "/static/", "/media/")
ACCOUNT_PATH = f"{PORTAL_PREFIX}account/"


def on_portal(request) -> bool:
    """Whether a request is for a driver portal page."""
    return request.path_info.startswith(PORTAL_PREFIX)


class DriverBoundaryMiddleware:
    """Keeps drivers out of the back office: a driver's request for any other page is sent to
    the portal's home. Back-office pages check permissions too; this makes a driver's
    session useless there even for pages anyone signed in may open (the dashboard)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            path = request.path_info
            if user.is_driver and not path.startswith(PORTAL_PATHS):
                return redirect("drivers:portal_home")
            # The portal's own account pages (password, e-mail addresses) are drivers' alone.
            if not user.is_driver and path.startswith(ACCOUNT_PATH) and path != reverse("account_logout"):
                return redirect("drivers:portal_home")
        return self.get_response(request)


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's sign-in requirement, sending a visitor of a portal page that needs signing in
    (django-allauth's password and e-mail pages) to the portal's sign-in page rather than the
    back office's."""

    def handle_no_permission(self, request, view_func):
        if on_portal(request):
            return redirect_to_login(
                request.get_full_path(), reverse("account_login"), self.get_redirect_field_name(view_func)
            )
        return super().handle_no_permission(request, view_func)
