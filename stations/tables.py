import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from chargeops.tables import ActionsColumn, BaseTable, LocalTimeColumn

from .models import Area, Station


class AreaTable(BaseTable):
    name = tables.Column(linkify=True)
    station_count = tables.Column(
        verbose_name=_("Stations"), attrs={"td": {"class": "number"}, "th": {"class": "number"}}
    )
    pile_count = tables.Column(verbose_name=_("Piles"), attrs={"td": {"class": "number"}, "th": {"class": "number"}})
    created_at = LocalTimeColumn(verbose_name=_("Created"), tz_accessor="operator__time_zone")
    actions = ActionsColumn()

    class Meta(BaseTable.Meta):
        model = Area
        fields = ("name", "description", "station_count", "pile_count", "created_at")


class StationTable(BaseTable):
    name = tables.Column(linkify=True)
    area = tables.Column(linkify=True)
    pile_count = tables.Column(verbose_name=_("Piles"), attrs={"td": {"class": "number"}, "th": {"class": "number"}})
    created_at = LocalTimeColumn(verbose_name=_("Created"), tz_accessor="time_zone")
    created_by = tables.Column(verbose_name=_("Creator"))
    actions = ActionsColumn(extra_template="stations/partials/station_actions.html")

    class Meta(BaseTable.Meta):
        model = Station
        fields = ("name", "address", "area", "pile_count", "created_at", "created_by")
