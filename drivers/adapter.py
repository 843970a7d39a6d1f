from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .middleware import on_portal


class DriverAccountAdapter(DefaultAccountAdapter):
    """django-allauth serves only the driver portal: after signing in a driver lands on the
    portal, and a back-office account is sent to the back office's own sign-in page."""

    def get_login_redirect_url(self, request):
        return reverse("drivers:portal_home")

    def get_signup_redirect_url(self, request):
        return reverse("drivers:portal_home")

    def send_password_reset_mail(self, user, email, context):
        # Back-office people have their passwords set by their admins, never reset from here.
        if user.is_driver:
            super().send_password_reset_mail(user, email, context)

    def pre_login(self, request, user, **kwargs):
        if not user.is_driver:
            messages.error(request, _("This is a back-office account: sign in here."))
            return redirect("accounts:login")
        return super().pre_login(request, user, **kwargs)


class PortalAuthenticationBackend(AuthenticationBackend):
    """django-allauth's sign-in by e-mail address, for the portal's sign-in page only: the back
    office signs in by user name, each account with its own count of failures."""

    def authenticate(self, request, **credentials):
        if request is None or not on_portal(request):
            return None
        return super().authenticate(request, **credentials)
