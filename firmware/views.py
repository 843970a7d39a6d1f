from django.contrib import messages
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from chargeops.views import (
    ObjectActionView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    page_size,
    table_order,
    table_paginate,
)

from . import services
from .choices import UPGRADE_UNFINISHED, UPGRADE_WAITING
from .downloads import download_package
from .filtersets import FirmwarePackageFilterSet, FirmwareUpgradeFilterSet
from .forms import FirmwarePackageForm, FirmwareUpgradeForm
from .models import FirmwarePackage, FirmwareUpgrade
from .selectors import packages_for_list, upgrade_status_counts, upgrades_for_list
from .tables import FirmwarePackageTable, FirmwareUpgradeTable, UpgradeTargetTable


class FirmwarePackageListView(ObjectListView):
    model = FirmwarePackage
    filterset_class = FirmwarePackageFilterSet
    table_class = FirmwarePackageTable

    def get_queryset(self):
        return packages_for_list(self.request.user)


class FirmwarePackageDetailView(ObjectDetailView):
    model = FirmwarePackage
    template_name = "firmware/firmwarepackage_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("operator", "uploaded_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["upgrades"] = upgrades_for_list(user).filter(package=self.object)[:20]
        if user.has_perm("firmware.add_firmwareupgrade"):
            context["start_url"] = f"{reverse('firmware:firmwareupgrade_add')}?package={self.object.pk}"
        return context


class FirmwarePackageUploadView(ObjectEditView):
    model = FirmwarePackage
    form_class = FirmwarePackageForm
    create_service = staticmethod(services.package_upload)


class FirmwarePackageDeleteView(ObjectDeleteView):
    model = FirmwarePackage
    service_object_name = "package"
    delete_service = staticmethod(services.package_delete)


class FirmwarePackageDownloadView(View):
    """The file a signed link names, for the pile it was sent to: no session, the link is the
    permission. A changed or expired link, or a package deleted since, is a 404."""

    def get(self, request, token, name):
        package = download_package(token)
        if package is None:
            raise Http404
        try:
            file = package.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(file, as_attachment=True, filename=package.file_name)
        response["ETag"] = f'"{package.checksum}"'
        # A real pile reads its new version from the image; the simulator takes it from here.
        response["X-Firmware-Version"] = package.version
        return response


class FirmwareUpgradeListView(ObjectListView):
    model = FirmwareUpgrade
    filterset_class = FirmwareUpgradeFilterSet
    table_class = FirmwareUpgradeTable

    def get_queryset(self):
        return upgrades_for_list(self.request.user)


class FirmwareUpgradeStartView(ObjectEditView):
    model = FirmwareUpgrade
    form_class = FirmwareUpgradeForm
    create_service = staticmethod(services.upgrade_start)


class FirmwareUpgradeDetailView(ObjectDetailView):
    """Each pile's progress, refreshing by itself while any pile is not finished."""

    model = FirmwareUpgrade
    template_name = "firmware/firmwareupgrade_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("package__operator", "started_by", "cancelled_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        upgrade = self.object
        targets = upgrade.targets.select_related("pile__station").order_by("pile__station__name", "pile__name")
        table = UpgradeTargetTable(targets)
        table.request = self.request
        table_order(table, self.request)
        table_paginate(table, self.request, page_size(self.request))
        context["table"] = table
        context["status_counts"] = upgrade_status_counts(upgrade)
        context["in_progress"] = upgrade.targets.filter(status__in=UPGRADE_UNFINISHED).exists()
        context["can_cancel"] = context["can_change"] and upgrade.targets.filter(status__in=UPGRADE_WAITING).exists()
        return context


class FirmwareUpgradeCancelView(ObjectActionView):
    model = FirmwareUpgrade
    service_object_name = "upgrade"
    service = staticmethod(services.upgrade_cancel)

    def result_message(self, obj, result):
        return messages.SUCCESS, _("%(count)d pile(s) will not be upgraded.") % {"count": result}
