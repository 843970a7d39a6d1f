from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

app_name = "firmware"

urlpatterns = [
    path("packages/", views.FirmwarePackageListView.as_view(), name="firmwarepackage_list"),
    path("packages/add/", views.FirmwarePackageUploadView.as_view(), name="firmwarepackage_add"),
    path("packages/<int:pk>/", views.FirmwarePackageDetailView.as_view(), name="firmwarepackage_detail"),
    path("packages/<int:pk>/delete/", views.FirmwarePackageDeleteView.as_view(), name="firmwarepackage_delete"),
    # Piles fetch the file here with no session: the signed token is the permission.
    path(
        "download/<str:token>/<str:name>",
        login_not_required(views.FirmwarePackageDownloadView.as_view()),
        name="firmwarepackage_download",
    ),
    path("upgrades/", views.FirmwareUpgradeListView.as_view(), name="firmwareupgrade_list"),
    path("upgrades/add/", views.FirmwareUpgradeStartView.as_view(), name="firmwareupgrade_add"),
    path("upgrades/<int:pk>/", views.FirmwareUpgradeDetailView.as_view(), name="firmwareupgrade_detail"),
    path("upgrades/<int:pk>/cancel/", views.FirmwareUpgradeCancelView.as_view(), name="firmwareupgrade_cancel"),
]
