"""Tables of the statistics pages. Their rows are dicts a selector summed; they only display."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from chargeops.tables import BadgeColumn, BaseTable, LocalTimeColumn
from maintenance.models import Alarm, WorkOrder

NUMBER = {"td": {"class": "number"}, "th": {"class": "number"}}


class HoursColumn(tables.Column):
    """Seconds shown as hours with one decimal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUMBER)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return f"{value / 3600:,.1f}"

    def value(self, value):
        return round(value / 3600, 1)


class StationColumn(tables.Column):
    """The row's station (a dict's `station` object), linked to its page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("verbose_name", _("Station"))
        kwargs.setdefault("linkify", lambda record: record["station"].get_absolute_url())
        super().__init__(*args, **kwargs)


class StationRowsTable(BaseTable):
    """A table of figures summed per station: the station and its area, then the figures."""

    station = StationColumn()
    area = tables.Column(verbose_name=_("Operations area"), accessor="station__area")

    class Meta(BaseTable.Meta):
        orderable = False


class StationFiguresTable(StationRowsTable):
    """Order figures per station in the period."""

    orders = tables.Column(verbose_name=_("Orders"), attrs=NUMBER)
    energy_kwh = tables.Column(verbose_name=_("Energy (kWh)"), attrs=NUMBER)
    electricity_fee = tables.Column(verbose_name=_("Electricity fee"), attrs=NUMBER)
    service_fee = tables.Column(verbose_name=_("Service fee"), attrs=NUMBER)
    amount = tables.Column(verbose_name=_("Amount"), attrs=NUMBER)
    charging_seconds = HoursColumn(verbose_name=_("Charging time (h)"))

    class Meta(StationRowsTable.Meta):
        empty_text = _("No station has figures in this range.")


class StationWorkOrdersTable(StationRowsTable):
    total = tables.Column(verbose_name=_("Total"), attrs=NUMBER)
    unaccepted = tables.Column(verbose_name=_("Not accepted"), attrs=NUMBER)
    accepted = tables.Column(verbose_name=_("In progress"), attrs=NUMBER)
    completed = tables.Column(verbose_name=_("Completed"), attrs=NUMBER)
    confirmed = tables.Column(verbose_name=_("Confirmed"), attrs=NUMBER)

    class Meta(StationRowsTable.Meta):
        empty_text = _("No work orders were reported in this range.")


class StationFaultsTable(StationRowsTable):
    faults = tables.Column(verbose_name=_("Faults"), attrs=NUMBER)
    top_cause = tables.Column(verbose_name=_("Most frequent cause"))

    class Meta(StationRowsTable.Meta):
        empty_text = _("No faults in this range.")


class WorkOrderRowsTable(BaseTable):
    number = tables.Column()
    pile = tables.Column(linkify=True)
    station = tables.Column(accessor="pile__station", verbose_name=_("Station"), linkify=True)
    problem_description = tables.Column(verbose_name=_("Fault description"))
    assignee = tables.Column(verbose_name=_("Repair person"), default="—")
    reported_at = LocalTimeColumn(tz_accessor="pile__station__time_zone")
    status = BadgeColumn()
    status_changed_at = LocalTimeColumn(tz_accessor="pile__station__time_zone")
    process = tables.TemplateColumn(
        template_name="analytics/partials/repair_process.html",
        verbose_name=_("Repair process"),
        orderable=False,
        exclude_from_export=True,
    )

    class Meta(BaseTable.Meta):
        model = WorkOrder
        fields = (
            "number",
            "pile",
            "station",
            "problem_description",
            "assignee",
            "reported_at",
            "status",
            "status_changed_at",
        )


class FaultRowsTable(BaseTable):
    cause = tables.Column()
    occurred_at = LocalTimeColumn(tz_accessor="pile__station__time_zone", verbose_name=_("Time"))
    station = tables.Column(accessor="pile__station", verbose_name=_("Station"), linkify=True)
    pile = tables.Column(linkify=True)
    gun = tables.Column(accessor="gun__connector_id", verbose_name=_("Gun"), default="—")
    error_code = tables.Column()
    severity = BadgeColumn()
    status = BadgeColumn()

    class Meta(BaseTable.Meta):
        model = Alarm
        fields = ("cause", "occurred_at", "station", "pile", "gun", "error_code", "severity", "status")
