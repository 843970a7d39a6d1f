import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from chargeops.tables import BadgeColumn, BaseTable, LocalTimeColumn

from .models import ChargingOrder

NUMBER = {"td": {"class": "number"}, "th": {"class": "number"}}


class DurationColumn(tables.Column):
    """A duration as hours and minutes; exported as minutes."""

    def render(self, value):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60} h {minutes % 60:02d} min"

    def value(self, value):
        return round(value.total_seconds() / 60, 1)


class OrderTable(BaseTable):
    number = tables.Column(linkify=True, attrs={"td": {"class": "nowrap"}})
    station = tables.Column(linkify=True)
    pile = tables.Column(linkify=True)
    gun = tables.Column(accessor="gun__connector_id", verbose_name=_("Gun"), attrs=NUMBER)
    started_at = LocalTimeColumn()
    stopped_at = LocalTimeColumn()
    duration = DurationColumn(verbose_name=_("Duration"), orderable=False, attrs={"td": {"class": "nowrap"}})
    energy_kwh = tables.Column(attrs=NUMBER)
    electricity_fee = tables.Column(attrs=NUMBER)
    service_fee = tables.Column(attrs=NUMBER)
    amount = tables.Column(verbose_name=_("Fee"), attrs=NUMBER)
    created_at = LocalTimeColumn()
    status = BadgeColumn()

    class Meta(BaseTable.Meta):
        model = ChargingOrder
        fields = (
            "number",
            "station",
            "pile",
            "gun",
            "started_at",
            "stopped_at",
            "duration",
            "energy_kwh",
            "electricity_fee",
            "service_fee",
            "amount",
            "payment_method",
            "created_at",
            "status",
        )
