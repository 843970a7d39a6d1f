from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet, OperatorDaysFilter

from .models import Driver


class DriverFilterSet(BaseFilterSet):
    """Drivers by e-mail address or id tag, and the days they signed up on (in their
    operator's time zone: a driver belongs to no station)."""

    search_fields = ("user__email", "id_tag__id_tag")

    registered = OperatorDaysFilter(
        field_name="created_at", station_path="operator", label=_("Registered (operator's time zone)")
    )

    class Meta:
        model = Driver
        fields = ["q", "registered"]
