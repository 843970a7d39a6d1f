import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from chargeops.tables import BadgeColumn, BaseTable, LocalTimeColumn
from chargeops.templatetags.chargeops import duration_short

from .models import ChargingOrder

NUMBER = {"td": {"class": "number"}, "th": {"class": "number"}}


class DurationColumn(tables.Column):
    """A duration as hours and minutes; exported as minutes."""

    def render(self, value):
        return duration_short(value)

    def value(self, value):
        return round(value.total_seconds() / 60, 1)


class OrderTable(BaseTable):
    """Orders as PRODUCT.md lists them; the split of the fee shows where revenue is analysed
    (`OrderTable(..., fee_split=True)`)."""

    def __init__(self, *args, fee_split=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("electricity_fee", "service_fee"):
            if name in self.columns:
                self.columns[name].column.visible = fee_split

    number = tables.Column(linkify=True, attrs={"td": {"class": "nowrap"}})
    station = tables.Column(linkify=True, attrs={"td": {"class": "name-cell"}})
    pile = tables.Column(linkify=True, attrs={"td": {"class": "short-name-cell"}})
    gun = tables.Column(accessor="gun__connector_id", verbose_name=_("Gun"), attrs=NUMBER)
    started_at = LocalTimeColumn()
    stopped_at = LocalTimeColumn()
    duration = DurationColumn(verbose_name=_("Duration"), orderable=False, attrs={"td": {"class": "nowrap"}})
    energy_kwh = tables.Column(attrs=NUMBER)
    electricity_fee = tables.Column(attrs=NUMBER, visible=False)
    service_fee = tables.Column(attrs=NUMBER, visible=False)
    amount = tables.Column(verbose_name=_("Fee"), attrs=NUMBER)
    created_at = LocalTimeColumn()
    status = BadgeColumn()

    class Meta(BaseTable.Meta):
        model = ChargingOrder
        attrs = {"class": "data-table compact"}
        fields = (
            "number",
            "status",
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
        )
