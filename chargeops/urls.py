from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from analytics.views import HomeView
from chargeops.export_views import ExportJobDownloadView, ExportJobListView
from drivers import urls as drivers_urls

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
    path("exports/", ExportJobListView.as_view(), name="export_jobs"),
    path("exports/<int:pk>/download/", ExportJobDownloadView.as_view(), name="export_job_download"),
    # The driver portal (drive/) and the back office's driver pages (drivers/).
    path("", include("drivers.urls")),
    # The portal's sign-up, sign-in, e-mail verification and password reset; the payment
    # provider's return addresses. Their URL names are the libraries' own.
    path("drive/account/", include("allauth.urls")),
    path("drive/payments/", include(drivers_urls.payment_patterns)),
    path("admin/", admin.site.urls),
    # The sign-in page offers the language switch too, so it must answer before sign-in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]
