import django_filters
from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet

from .models import FirmwarePackage, FirmwareUpgrade


class FirmwarePackageFilterSet(BaseFilterSet):
    search_fields = ("version", "manufacturer", "model", "file_name", "notes")

    class Meta:
        model = FirmwarePackage
        fields = ["q"]


class FirmwareUpgradeFilterSet(BaseFilterSet):
    search_fields = ("package__version", "package__manufacturer", "package__model")

    package = django_filters.ModelChoiceFilter(queryset=FirmwarePackage.objects.all(), label=_("Firmware package"))

    class Meta:
        model = FirmwareUpgrade
        fields = ["q", "package"]
