"""Tables of the statistics pages. Their rows are dicts a selector summed; they only display."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from chargeops.tables import BadgeColumn, BaseTable, LocalTimeColumn
from chargeops.templatetags.chargeops import percent, percent_text
from maintenance.choices import WorkOrderStatus
from maintenance.models import Alarm, WorkOrder
from piles.choices import OnlineStatus
from piles.models import Pile

from .selectors import NEVI_AVAILABILITY

NUMBER = {"td": {"class": "number"}, "th": {"class": "number"}, "tf": {"class": "number"}}


class HoursColumn(tables.Column):
    """Seconds shown as hours with one decimal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUMBER)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return f"{value / 3600:,.1f}"

    def value(self, value):
        return round(value / 3600, 1)


class PercentColumn(tables.Column):
    """A ratio (0.1234) shown as a percentage with one decimal; exported as the percentage."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUMBER)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return percent(value)

    def value(self, value):
        return float(round(value * 100, 2))


class ChangeColumn(tables.Column):
    """A change in per cent with its sign, "—" where the base was zero."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {**NUMBER, "td": {"class": "number nowrap"}})
        kwargs.setdefault("default", "—")
        super().__init__(*args, **kwargs)

    def render(self, value):
        css = "change-up" if value > 0 else "change-down" if value < 0 else "change-flat"
        return format_html('<span class="{}">{}</span>', css, percent_text(f"{'+' if value > 0 else ''}{value}"))

    def value(self, value):
        return float(value)


class StationColumn(tables.Column):
    """The row's station (a dict's `station` object), linked to its page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("verbose_name", _("Station"))
        kwargs.setdefault("linkify", lambda record: record["station"].get_absolute_url())
        kwargs.setdefault("order_by", ("station__name",))
        super().__init__(*args, **kwargs)


class RowsCountColumn(tables.Column):
    """A count of the rows behind a figure at the row's station (or pile: `row_key`), linking
    to them: the list at `url_name` filtered by the station, the page's range (`table.period`,
    as the list's `days` filter), `filters` and the page's own (`table.rows_filters`, a cause
    chosen); a plain number for a user who may not see that list."""

    url_name = days = permission = ""

    def __init__(self, filters: dict | None = None, row_key: str = "station", **kwargs):
        kwargs.setdefault("attrs", NUMBER)
        super().__init__(**kwargs)
        self.filters, self.row_key = filters or {}, row_key

    @cached_property
    def list_url(self) -> str:
        return reverse(self.url_name)

    def render(self, value, record, table):
        shown = number_format(value, force_grouping=True)
        request, period = getattr(table, "request", None), getattr(table, "period", None)
        if not value or period is None or not request.user.has_perm(self.permission):
            return shown
        query = {
            self.row_key: record[self.row_key].pk,
            f"{self.days}_after": period.start,
            f"{self.days}_before": period.end,
            **self.filters,
            **getattr(table, "rows_filters", {}),
        }
        return format_html('<a href="{}?{}">{}</a>', self.list_url, urlencode(query), shown)

    def value(self, value):
        return value


class OrdersColumn(RowsCountColumn):
    """The orders of the row's station started in the page's range."""

    url_name, days, permission = "orders:chargingorder_list", "started", "orders.view_chargingorder"


class FaultsColumn(RowsCountColumn):
    """The faults (alarms) of the row's station in the page's range."""

    url_name, days, permission = "maintenance:alarm_list", "occurred", "maintenance.view_alarm"


class WorkOrdersColumn(RowsCountColumn):
    """The work orders of the row's station reported in the page's range, of one status if
    given."""

    url_name, days, permission = "maintenance:workorder_list", "reported", "maintenance.view_workorder"

    def __init__(self, status: str = "", **kwargs):
        super().__init__(filters={"status": status} if status else None, **kwargs)


class StationRowsTable(BaseTable):
    """A table of figures summed per station: the station and its area, then the figures; a
    ranking by any of them a click on its heading away."""

    station = StationColumn()
    area = tables.Column(verbose_name=_("Operations area"), accessor="station__area", order_by=("station__area__name",))


class StationFiguresTable(StationRowsTable):
    """Order figures per station in the period."""

    orders = OrdersColumn(verbose_name=_("Orders"))
    energy_kwh = tables.Column(verbose_name=_("Energy (kWh)"), attrs=NUMBER)
    electricity_fee = tables.Column(verbose_name=_("Electricity fee"), attrs=NUMBER)
    service_fee = tables.Column(verbose_name=_("Service fee"), attrs=NUMBER)
    amount = tables.Column(verbose_name=_("Amount"), attrs=NUMBER)
    charging_seconds = HoursColumn(verbose_name=_("Charging time (h)"))

    class Meta(StationRowsTable.Meta):
        empty_text = _("No station has figures in this range.")


class StationWorkOrdersTable(StationRowsTable):
    total = WorkOrdersColumn(verbose_name=_("Total"))
    unaccepted = WorkOrdersColumn(WorkOrderStatus.UNACCEPTED, verbose_name=WorkOrderStatus.UNACCEPTED.label)
    accepted = WorkOrdersColumn(WorkOrderStatus.ACCEPTED, verbose_name=WorkOrderStatus.ACCEPTED.label)
    completed = WorkOrdersColumn(WorkOrderStatus.COMPLETED, verbose_name=WorkOrderStatus.COMPLETED.label)
    confirmed = WorkOrdersColumn(WorkOrderStatus.CONFIRMED, verbose_name=WorkOrderStatus.CONFIRMED.label)

    class Meta(StationRowsTable.Meta):
        empty_text = _("No work orders were reported in this range.")


class StationFaultsTable(StationRowsTable):
    faults = FaultsColumn(verbose_name=_("Faults"))
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
    pile = tables.Column(linkify=True, attrs={"td": {"class": "nowrap"}})
    gun = tables.Column(accessor="gun__connector_id", verbose_name=_("Gun"), default="—")
    error_code = tables.Column()
    severity = BadgeColumn()
    status = BadgeColumn()

    class Meta(BaseTable.Meta):
        model = Alarm
        fields = ("cause", "occurred_at", "station", "pile", "gun", "error_code", "severity", "status")


class StationComparisonTable(StationRowsTable):
    """Order figures per station against the period they are compared with."""

    orders = OrdersColumn(verbose_name=_("Orders"))
    orders_base = tables.Column(verbose_name=_("Orders before"), attrs=NUMBER)
    orders_change = ChangeColumn(verbose_name=_("Change"))
    energy_kwh = tables.Column(verbose_name=_("Energy (kWh)"), attrs=NUMBER)
    energy_kwh_base = tables.Column(verbose_name=_("Energy before"), attrs=NUMBER)
    energy_kwh_change = ChangeColumn(verbose_name=_("Change"))
    amount = tables.Column(verbose_name=_("Amount"), attrs=NUMBER)
    amount_base = tables.Column(verbose_name=_("Amount before"), attrs=NUMBER)
    amount_change = ChangeColumn(verbose_name=_("Change"))

    class Meta(StationRowsTable.Meta):
        empty_text = _("No station has orders in either range.")


class UsageColumnsMixin(tables.Table):
    guns = tables.Column(verbose_name=_("Guns"), attrs=NUMBER)
    orders = tables.Column(verbose_name=_("Orders"), attrs=NUMBER)
    charging_seconds = HoursColumn(verbose_name=_("Charging time (h)"))
    utilisation = PercentColumn(verbose_name=_("Utilisation"))
    availability = PercentColumn(verbose_name=_("Availability"))


class StationUsageTable(StationRowsTable, UsageColumnsMixin):
    """The station ranking of the usage-rate page; every column sorts."""

    piles = tables.Column(verbose_name=_("Piles"), attrs=NUMBER)
    orders = OrdersColumn(verbose_name=_("Orders"))

    class Meta(StationRowsTable.Meta):
        sequence = ("station", "area", "piles", "guns", "orders", "charging_seconds", "utilisation", "availability")
        empty_text = _("No station was in service in this range.")


class PileUsageTable(BaseTable, UsageColumnsMixin):
    """The pile ranking of the usage-rate page, with the NEVI availability rule per pile."""

    pile = tables.Column(
        verbose_name=_("Pile"),
        linkify=lambda record: record["pile"].get_absolute_url(),
        order_by=("pile__name", "station__name"),
        attrs={"td": {"class": "nowrap"}},
    )
    station = StationColumn()
    orders = OrdersColumn(verbose_name=_("Orders"), row_key="pile")
    nevi = tables.Column(
        verbose_name=_("Over 97 %"), accessor="availability", orderable=False, attrs={"td": {"class": "nowrap"}}
    )

    class Meta(BaseTable.Meta):
        sequence = ("pile", "station", "guns", "orders", "charging_seconds", "utilisation", "availability", "nevi")
        empty_text = _("No pile was in service in this range.")

    def render_nevi(self, value):
        met = value > NEVI_AVAILABILITY
        return format_html(
            '<span class="badge badge-{}">{}</span>', "online" if met else "fault", _("Yes") if met else _("No")
        )

    def value_nevi(self, value):
        return str(_("Yes") if value > NEVI_AVAILABILITY else _("No"))


class StationPowerTable(StationRowsTable):
    guns = tables.Column(verbose_name=_("Guns"), attrs=NUMBER)
    charging = tables.Column(verbose_name=_("Charging"), attrs=NUMBER)
    live_kw = tables.Column(verbose_name=_("Live power (kW)"), attrs=NUMBER)
    rated_kw = tables.Column(verbose_name=_("Rated power (kW)"), attrs=NUMBER)
    load = PercentColumn(verbose_name=_("Load"), accessor="load", default="—")

    class Meta(StationRowsTable.Meta):
        empty_text = _("No station has guns yet.")


class PileFaultsTable(BaseTable):
    pile = tables.Column(
        verbose_name=_("Pile"),
        linkify=lambda record: record["pile"].get_absolute_url(),
        order_by=("pile__name", "station__name"),
    )
    station = StationColumn()
    faults = FaultsColumn(verbose_name=_("Faults"), row_key="pile")
    top_cause = tables.Column(verbose_name=_("Most frequent cause"))

    class Meta(BaseTable.Meta):
        empty_text = _("No faults in this range.")


class StatusCountColumn(tables.Column):
    """A number of piles in one online status at the row's station, linking to those piles."""

    def __init__(self, status: str = "", **kwargs):
        kwargs.setdefault("attrs", NUMBER)
        super().__init__(**kwargs)
        self.status = status

    @cached_property
    def page_url(self) -> str:
        return reverse("analytics:pile_status")

    def render(self, value, record):
        if not value:
            return "0"
        query = {"station": record["station"].pk, **({"status": self.status} if self.status else {})}
        return format_html('<a href="{}?{}#table-piles">{}</a>', self.page_url, urlencode(query), value)

    def value(self, value):
        return value


class StationPileStatusTable(StationRowsTable):
    """Per station: its piles in each online status; each number drills down to those piles."""

    address = tables.Column(verbose_name=_("Address"), accessor="station__address")
    total = StatusCountColumn(verbose_name=_("Piles"))
    online = StatusCountColumn(OnlineStatus.ONLINE, verbose_name=_("Online"))
    offline = StatusCountColumn(OnlineStatus.OFFLINE, verbose_name=_("Offline"))
    fault = StatusCountColumn(OnlineStatus.FAULT, verbose_name=_("Fault"))
    unregistered = StatusCountColumn(OnlineStatus.UNREGISTERED, verbose_name=_("Unregistered"))

    class Meta(StationRowsTable.Meta):
        empty_text = _("No stations here yet.")


class PileStatusTable(BaseTable):
    """Card 1's pile table: what a pile is and how it is now."""

    name = tables.Column(linkify=True, attrs={"td": {"class": "nowrap"}})
    station = tables.Column(linkify=True)
    usage_state = BadgeColumn()
    online_status = BadgeColumn(choices=OnlineStatus, verbose_name=_("Online status"))
    rated_power_kw = tables.Column(attrs=NUMBER)
    voltage_range = tables.Column(
        verbose_name=_("Voltage range"), order_by=("voltage_min", "voltage_max"), attrs={"td": {"class": "nowrap"}}
    )
    firmware_version = tables.Column(default="—")
    last_seen_at = LocalTimeColumn(default="—")

    class Meta(BaseTable.Meta):
        model = Pile
        fields = (
            "name",
            "station",
            "manufacturer",
            "model",
            "usage_state",
            "online_status",
            "rated_power_kw",
            "voltage_range",
            "charging_method",
            "firmware_version",
            "last_seen_at",
        )
        sequence = fields
        attrs = {"class": "data-table compact"}
        empty_text = _("No piles match these filters.")


class WorkOrderPeopleTable(BaseTable):
    """Work order statistics: a row per maintenance person, ranked, with the total row the
    view gives (`totals`)."""

    def __init__(self, *args, totals: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.totals = totals

    person = tables.Column(
        verbose_name=_("Maintenance person"), default=_("Not claimed yet"), footer=_("Total"), orderable=False
    )
    unaccepted = tables.Column(
        verbose_name=WorkOrderStatus.UNACCEPTED.label, attrs=NUMBER, footer=lambda table: table.totals["unaccepted"]
    )
    accepted = tables.Column(
        verbose_name=WorkOrderStatus.ACCEPTED.label, attrs=NUMBER, footer=lambda table: table.totals["accepted"]
    )
    completed = tables.Column(
        verbose_name=WorkOrderStatus.COMPLETED.label, attrs=NUMBER, footer=lambda table: table.totals["completed"]
    )
    confirmed = tables.Column(
        verbose_name=WorkOrderStatus.CONFIRMED.label, attrs=NUMBER, footer=lambda table: table.totals["confirmed"]
    )
    total = tables.Column(verbose_name=_("Total"), attrs=NUMBER, footer=lambda table: table.totals["total"])
    accept_hours = tables.Column(verbose_name=_("Average time to accept (h)"), attrs=NUMBER, default="—")
    repair_hours = tables.Column(verbose_name=_("Average time to repair (h)"), attrs=NUMBER, default="—")

    class Meta(BaseTable.Meta):
        empty_text = _("No work orders were reported in this range.")
