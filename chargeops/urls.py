from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from analytics.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/", include("accounts.urls")),
    path("stations/", include("stations.urls")),
    path("piles/", include("piles.urls")),
    path("gateway/", include("gateway.urls")),
    path("orders/", include("orders.urls")),
    path("analytics/", include("analytics.urls")),
    path("maintenance/", include("maintenance.urls")),
    path("audit/", include("audit.urls")),
    path("firmware/", include("firmware.urls")),
    path("admin/", admin.site.urls),
    # The sign-in page offers the language switch too, so it must answer before sign-in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]
