from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _


class DriverAccountAdapter(DefaultAccountAdapter):
    """django-allauth serves only the driver portal: after signing in a driver lands on the
    portal, and a back-office account is sent to the back office's own sign-in page."""

    def get_login_redirect_url(self, request):
        return reverse("drivers:portal_home")

    def get_signup_redirect_url(self, request):
        return reverse("drivers:portal_home")

    def pre_login(self, request, user, **kwargs):
        if not user.is_driver:
            messages.error(request, _("This is a back-office account: sign in here."))
            return redirect("accounts:login")
        return super().pre_login(request, user, **kwargs)
