"""The operation data dashboard and the Details pages behind its cards.

Every page reads the same filter (area, station, a range of local days, granularity) through
`FigureFilterForm`, its figures from `selectors`, and hands chart data to the page with
`json_script`; `static/chargeops/charts.js` draws every chart. Each table of a page exports
with `?export=xlsx&table=<name>`.
"""

import calendar
import zoneinfo
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from chargeops.export import table_export_response
from chargeops.views import UncountedPaginator, page_size, table_order, table_paginate
from maintenance.choices import FaultCause, WorkOrderStatus
from orders.tables import OrderTable
from piles.choices import OnlineStatus
from piles.models import Pile
from stations.selectors import pile_status_per_station, pile_status_totals, station_map_points

from . import selectors
from .choices import Figure, Granularity
from .forms import (
    ComparisonFilterForm,
    FaultFilterForm,
    FigureFilterForm,
    PileStatusFilterForm,
    ScopeFilterForm,
    WorkOrderPeopleFilterForm,
)
from .tables import (
    FaultRowsTable,
    PileFaultsTable,
    PileStatusTable,
    PileUsageTable,
    StationComparisonTable,
    StationFaultsTable,
    StationFiguresTable,
    StationPileStatusTable,
    StationPowerTable,
    StationUsageTable,
    StationWorkOrdersTable,
    WorkOrderPeopleTable,
    WorkOrderRowsTable,
)

ORDER_FIGURES = "analytics.view_stationdaily"
FAULT_FIGURES = "maintenance.view_alarm"
WORK_ORDER_FIGURES = "maintenance.view_workorder"

UNITS = {Figure.ORDERS: "", Figure.ENERGY: "kWh", Figure.AMOUNT: ""}


def bucket_label(day, granularity: str) -> str:
    if granularity == Granularity.YEAR:
        return f"{day:%Y}"
    if granularity == Granularity.MONTH:
        return f"{day:%Y-%m}"
    return f"{day:%Y-%m-%d}"


def series_chart(by_bucket: dict, period, granularity: str, figure: str, label: str, unit: str = "") -> dict:
    """A bar chart of one figure per bucket of the period, empty buckets as zero."""
    keys = selectors.buckets(period, granularity)
    return {
        "type": "bar",
        "labels": [bucket_label(key, granularity) for key in keys],
        "datasets": [{"label": label, "data": [float((by_bucket.get(key) or {}).get(figure) or 0) for key in keys]}],
        "unit": unit,
        "xTitle": str(Granularity(granularity).label),
        "yTitle": label,
    }


def pie_chart(pairs: list[tuple[str, int]], label: str, colours: list[str] | None = None) -> dict:
    chart = {
        "type": "doughnut",
        "labels": [name for name, _count in pairs],
        "datasets": [{"label": label, "data": [count for _name, count in pairs]}],
    }
    if colours:
        chart["datasets"][0]["backgroundColor"] = colours
    return chart


def fault_time_chart(per_bucket: dict, causes: list[str], period, granularity: str) -> dict:
    """Faults per bucket of the period, a bar of each cause stacked in `causes`' order (the
    pie's, so that a cause has the same colour in both)."""
    keys = selectors.buckets(period, granularity)
    return {
        "type": "bar",
        "stacked": True,
        "labels": [bucket_label(key, granularity) for key in keys],
        "datasets": [
            {"label": str(FaultCause(cause).label), "data": [per_bucket.get(key, {}).get(cause, 0) for key in keys]}
            for cause in causes
        ],
        "xTitle": str(Granularity(granularity).label),
        "yTitle": str(_("Faults")),
    }


def work_order_chart(counts: dict) -> dict:
    return pie_chart([(str(status.label), counts[status.value]) for status in WorkOrderStatus], _("Work orders"))


def fault_chart(faults: dict) -> dict:
    return pie_chart([(str(FaultCause(cause).label), count) for cause, count in faults.items()], _("Faults"))


class StatisticsView(TemplateView):
    """A statistics page: the filter, its figures, and tables that export."""

    permission: str | None = None
    form_class = FigureFilterForm
    form_kwargs: dict = {}
    title = ""
    # Whether the page counts orders, whose day rule the filter bar then explains.
    counts_orders = True

    def dispatch(self, request, *args, **kwargs):
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self):
        return self.form_class(self.request.GET, user=self.request.user, **self.form_kwargs)

    def get(self, request, *args, **kwargs):
        self.form = self.get_form()
        self.scope = self.form.scope
        self.period = getattr(self.form, "period", None)
        self.granularity = getattr(self.form, "chosen_granularity", None)
        export_format = request.GET.get("export")
        if export_format:
            tables = self.tables()
            name = request.GET.get("table", next(iter(tables), ""))
            if name not in tables:
                raise Http404("Unknown table")
            title, table = tables[name]
            return table_export_response(request, table, title, export_format)
        return super().get(request, *args, **kwargs)

    def get_tables(self) -> dict:
        """name -> (title, unpaged table)."""
        return {}

    def tables(self) -> dict:
        """`get_tables()`, each table bound to the request and the page's range (where its
        counts lead) and sorted as it asks; every table after the first pages and sorts by its
        own prefixed parameters."""
        tables = self.get_tables()
        for index, (name, (_title, table)) in enumerate(tables.items()):
            table.request, table.period = self.request, self.period
            if index:
                table.prefix = f"{name}-"
            table_order(table, self.request)
        return tables

    def query(self, **changes) -> str:
        """The page's query string with some parameters replaced (None drops one)."""
        query = QueryDict(mutable=True)
        query.update(self.request.GET)
        for key in list(query):
            if key in ("export", "table") or key.endswith("page"):
                query.pop(key)
        for key, value in changes.items():
            query.pop(key, None)
            if value is not None:
                query[key] = str(value)
        return query.urlencode()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tables = []
        for name, (title, table) in self.tables().items():
            table_paginate(table, self.request, page_size(self.request), getattr(table, "paginator_class", None))
            tables.append(
                {"name": name, "title": title, "table": table, "export": self.query(export="xlsx", table=name)}
            )
        context.update(
            title=self.title, form=self.form, tables=tables, filter_query=self.query(), counts_orders=self.counts_orders
        )
        if self.period is not None:
            context.update(
                period=self.period,
                previous=self.period.previous(),
                year_before=self.period.year_before(),
                granularity=self.granularity,
                # A range a click away gets the granularity that fits it.
                quick_ranges=[
                    (label, self.query(start=start.isoformat(), end=end.isoformat(), granularity=None))
                    for label, start, end in self.form.quick_ranges()
                ],
            )
        return context


def card_reads(period, granularity: str) -> list[tuple]:
    """What the cards read (`selectors.figures_read`): the period's figures per bucket, and the
    totals of the periods it is compared with."""
    return [(period, granularity), (period.previous(), None), (period.year_before(), None)]


def figure_cards(read: list[dict], period, granularity: str, figures=tuple(Figure)) -> list[dict]:
    """Dashboard cards from the figures of `card_reads`: each figure's total, its change
    month-on-month and year-on-year, and its chart."""
    by_bucket, previous, year_before = read[0], *(selectors.figures_sum(totals.values()) for totals in read[1:3])
    current = selectors.figures_sum(by_bucket.values())
    return [
        {
            "figure": figure,
            "label": str(Figure(figure).label),
            "value": current[figure],
            "unit": UNITS[figure],
            "previous": previous[figure],
            "mom": selectors.change(current[figure], previous[figure]),
            "year_before": year_before[figure],
            "yoy": selectors.change(current[figure], year_before[figure]),
            "chart": series_chart(by_bucket, period, granularity, figure, str(Figure(figure).label), UNITS[figure]),
        }
        for figure in figures
    ]


def station_figure_rows(scope, figures: dict) -> list[dict]:
    """The rows of the per-station table from the figures per station."""
    return [
        {"station": station, **figures[station.pk]}
        for station in scope.station_objects.values()
        if station.pk in figures
    ]


class HomeView(StatisticsView):
    """The operation data dashboard: the map and six cards, each leading to its Details."""

    template_name = "analytics/home.html"
    title = gettext_lazy("Operation data dashboard")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, scope, period = self.request.user, self.scope, self.period
        context["map_points"] = station_map_points(user, scope.network_stations)
        # The cards count the scope's stations and piles; the map shows the whole network.
        points = [point for point in context["map_points"] if point["id"] in scope.station_zones]
        context["station_count"] = len(points)
        context["pile_counts"] = {key: sum(point[key] for point in points) for key in ("total", *OnlineStatus.values)}
        if user.has_perm(ORDER_FIGURES):
            reads = card_reads(period, self.granularity)
            context["figure_cards"] = figure_cards(selectors.figures_read(scope, reads), period, self.granularity)
        if user.has_perm(WORK_ORDER_FIGURES):
            counts = selectors.work_order_figures(scope, period)
            context["work_orders"] = counts
            context["work_order_chart"] = work_order_chart(counts)
        if user.has_perm(FAULT_FIGURES):
            faults = selectors.fault_figures(scope, period)
            context["fault_total"] = sum(faults.values())
            context["fault_chart"] = fault_chart(faults)
        return context


class FigureDetailView(StatisticsView):
    """Details of an order figure card: its chart, the figures per station and the orders."""

    template_name = "analytics/figure_detail.html"
    permission = ORDER_FIGURES
    figure: Figure = Figure.ORDERS
    # Columns of the order rows each figure leaves out (PRODUCT.md lists them per card).
    hidden_columns: tuple[str, ...] = ()

    @property
    def title(self):
        return Figure(self.figure).label

    @cached_property
    def figures(self) -> list[dict]:
        """The card's figures (`card_reads`), then those per station: one round trip."""
        reads = [*card_reads(self.period, self.granularity), (self.period, "station")]
        return selectors.figures_read(self.scope, reads)

    def get_tables(self):
        orders = selectors.period_orders(self.scope, self.period).select_related("station", "pile", "gun")
        rows = OrderTable(
            orders.order_by("-started_at"),
            exclude=self.hidden_columns,
            orderable=False,
            fee_split=self.figure == Figure.AMOUNT,
        )
        rows.paginator_class = UncountedPaginator
        return {
            "stations": (_("By station"), StationFiguresTable(station_figure_rows(self.scope, self.figures[3]))),
            "orders": (_("Charging orders"), rows),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        [context["card"]] = figure_cards(self.figures[:3], self.period, self.granularity, figures=[self.figure])
        return context


class OrderFiguresView(FigureDetailView):
    figure = Figure.ORDERS


class EnergyFiguresView(FigureDetailView):
    figure = Figure.ENERGY
    hidden_columns = ("electricity_fee", "service_fee", "amount", "payment_method", "created_at", "status")


class AmountFiguresView(FigureDetailView):
    figure = Figure.AMOUNT
    hidden_columns = ("duration", "energy_kwh", "created_at", "status")


class WorkOrderFiguresView(StatisticsView):
    """Details of the work order card: counts per station and the work orders."""

    template_name = "analytics/workorder_detail.html"
    permission = WORK_ORDER_FIGURES
    form_kwargs = {"granular": False}
    title = gettext_lazy("Operation and maintenance work orders")
    counts_orders = False

    def get_tables(self):
        work_orders = selectors.period_work_orders(self.scope, self.period)
        per_station = selectors.work_orders_per_station(self.scope, self.period)
        rows = work_orders.select_related("pile__station", "assignee").prefetch_related("events__actor")
        return {
            "stations": (_("By station"), StationWorkOrdersTable(per_station)),
            "work_orders": (_("Work orders"), WorkOrderRowsTable(rows.order_by("-reported_at"), orderable=False)),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = selectors.work_order_figures(self.scope, self.period)
        context["counts"] = counts
        context["chart"] = work_order_chart(counts)
        return context


class WorkOrderPeopleView(StatisticsView):
    """Work order statistics (PRODUCT.md §12): per maintenance person, ranked by confirmed
    repairs, with the average time to accept and to repair. The total row counts what the
    dashboard's work order card counts."""

    template_name = "analytics/workorder_people.html"
    permission = WORK_ORDER_FIGURES
    form_class = WorkOrderPeopleFilterForm
    title = gettext_lazy("Work order statistics")
    counts_orders = False

    @cached_property
    def rows(self):
        return selectors.work_order_people(self.scope, self.period, self.form.person_chosen)

    def get_tables(self):
        totals = {name: sum(row[name] for row in self.rows) for name in ("total", *WorkOrderStatus.values)}
        return {"people": (_("By maintenance person"), WorkOrderPeopleTable(self.rows, totals=totals))}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ranked = [row for row in self.rows if row["person"] is not None][:CHART_STATIONS]
        context["chart"] = {
            "type": "bar",
            # Stacked: each person's bar is the work orders they hold, by how far each has come.
            "stacked": True,
            "labels": [str(row["person"]) for row in ranked],
            "datasets": [
                {"label": str(WorkOrderStatus(status).label), "data": [row[status] for row in ranked]}
                for status in (WorkOrderStatus.CONFIRMED, WorkOrderStatus.COMPLETED, WorkOrderStatus.ACCEPTED)
            ],
            "xTitle": str(_("Maintenance person")),
            "yTitle": str(_("Work orders")),
        }
        return context


class FaultFiguresView(StatisticsView):
    """Details of the fault card: the share of each cause, faults per station, the faults."""

    template_name = "analytics/fault_detail.html"
    permission = FAULT_FIGURES
    form_class = FaultFilterForm
    title = gettext_lazy("Pile fault analysis")
    counts_orders = False

    def get_tables(self):
        cause = self.form.chosen_cause
        alarms = selectors.period_alarms(self.scope, self.period, cause).select_related("pile__station", "gun")
        stations = StationFaultsTable(selectors.faults_per_station(self.scope, self.period, cause))
        piles = PileFaultsTable(selectors.faults_per_pile(self.scope, self.period, cause))
        # A station's or a pile's count leads to its alarms of the chosen cause.
        stations.rows_filters = piles.rows_filters = {"cause": cause} if cause else {}
        return {
            "stations": (_("By station"), stations),
            "piles": (_("By pile"), piles),
            "faults": (_("Faults"), FaultRowsTable(alarms.order_by("-occurred_at"), orderable=False)),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chosen = self.form.chosen_cause
        faults = selectors.fault_figures(self.scope, self.period, chosen)
        context["fault_total"] = sum(faults.values())
        context["causes"] = [(FaultCause(cause).label, count) for cause, count in faults.items()]
        context["chart"] = fault_chart(faults)
        per_bucket = selectors.faults_per_bucket(self.scope, self.period, self.granularity, chosen)
        context["time_chart"] = fault_time_chart(per_bucket, list(faults), self.period, self.granularity)
        return context


# The colours of the online status badges, for the status chart.
STATUS_COLOURS = {
    OnlineStatus.UNREGISTERED: "#d97706",
    OnlineStatus.ONLINE: "#16a34a",
    OnlineStatus.OFFLINE: "#94a3b8",
    OnlineStatus.FAULT: "#dc2626",
}

# How many stations a comparison or ranking chart shows; the table below it lists them all.
CHART_STATIONS = 15


class ComparisonView(StatisticsView):
    """Cycle comparison (month-on-month) or year-on-year: each order figure of the range
    against the `base` range, in total and per station."""

    template_name = "analytics/comparison.html"
    permission = ORDER_FIGURES
    form_class = ComparisonFilterForm
    base = "previous"  # the Period method giving the range compared with
    # Whether the chart over time sets each bucket beside the same date of the base range
    # rather than the one in the same place.
    same_dates = False

    def get_tables(self):
        return {"stations": (_("By station"), StationComparisonTable(self.rows))}

    @property
    def base_period(self):
        return getattr(self.period, self.base)()

    @cached_property
    def comparison(self):
        return selectors.order_comparison(self.scope, self.period, self.base_period, self.granularity)

    @property
    def rows(self):
        return self.comparison[0]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["base_period"] = self.base_period
        context["totals"] = []
        for figure in Figure:
            # The stations' rows hold every order of the scope in either range.
            current = sum((row[figure] for row in self.rows), Decimal(0))
            base = sum((row[f"{figure}_base"] for row in self.rows), Decimal(0))
            context["totals"].append(
                {
                    "label": Figure(figure).label,
                    "unit": UNITS[figure],
                    "value": current,
                    "base": base,
                    "change": selectors.change(current, base),
                }
            )
        figure = self.form.chosen_figure
        rows = sorted(self.rows, key=lambda row: -row[figure])[:CHART_STATIONS]
        context["chart_stations"] = chart_stations(len(self.rows))
        context["chart"] = {
            "type": "bar",
            "labels": [row["station"].name for row in rows],
            "datasets": [
                {"label": _range_label(self.period), "data": [float(row[figure]) for row in rows]},
                {"label": _range_label(self.base_period), "data": [float(row[f"{figure}_base"]) for row in rows]},
            ],
            "unit": UNITS[figure],
            "xTitle": str(_("Station")),
            "yTitle": str(Figure(figure).label),
        }
        _rows, current, base = self.comparison
        context["time_chart"] = comparison_time_chart(
            (self.period, current),
            (self.base_period, base),
            self.granularity,
            figure,
            same_dates=self.same_dates,
        )
        context["same_dates"] = self.same_dates
        if self.same_dates and self.granularity == Granularity.DAY:
            context["leap_day"] = holds_29_february(self.period)
            context["base_leap_day"] = holds_29_february(self.base_period)
        return context


def comparison_time_chart(current: tuple, base: tuple, granularity: str, figure: str, *, same_dates: bool) -> dict:
    """A figure per bucket of the range (a period and its figures per bucket) beside the range
    compared with. Month-on-month sets them bucket by bucket: the first day (month, year) of
    one beside the first of the other. Year-on-year (`same_dates`) sets each bucket beside the
    same date a year earlier: 29 February has none there (a gap in the line), and a base
    range's 29 February is in its totals but not on the chart."""
    (period, per_bucket), (base_period, base_per_bucket) = current, base
    keys, base_keys = selectors.buckets(period, granularity), selectors.buckets(base_period, granularity)
    if same_dates:
        beside = {key: selectors.same_date_year_before(key) for key in keys}
    else:
        # By month, the range of the same length before may span one month more or less.
        beside = dict(zip(keys, base_keys, strict=False))

    def value(figures, key):
        return None if key is None else float(figures.get(key, {}).get(figure) or 0)

    return {
        "type": "line",
        "labels": [bucket_label(key, granularity) for key in keys],
        "datasets": [
            {"label": _range_label(period), "data": [value(per_bucket, key) for key in keys]},
            {"label": _range_label(base_period), "data": [value(base_per_bucket, beside.get(key)) for key in keys]},
        ],
        "unit": UNITS[figure],
        "xTitle": str(Granularity(granularity).label),
        "yTitle": str(Figure(figure).label),
    }


def holds_29_february(period) -> bool:
    return any(
        date(year, 2, 29) in period for year in range(period.start.year, period.end.year + 1) if calendar.isleap(year)
    )


def chart_stations(total: int) -> dict | None:
    """How many of `total` stations a chart of at most CHART_STATIONS shows, where it leaves
    some out (the page then says so)."""
    return {"shown": CHART_STATIONS, "total": total} if total > CHART_STATIONS else None


def _range_label(period) -> str:
    return f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"


class MonthOnMonthView(ComparisonView):
    title = gettext_lazy("Charging cycle comparison (month-on-month)")
    base = "previous"


class YearOnYearView(ComparisonView):
    title = gettext_lazy("Year-on-year analysis")
    same_dates = True
    base = "year_before"


class PowerView(StatisticsView):
    """Live power per station, refreshing by itself, and today's power curve."""

    template_name = "analytics/power.html"
    permission = ORDER_FIGURES
    form_class = ScopeFilterForm
    title = gettext_lazy("Charging power")
    refresh_seconds = 5

    @cached_property
    def stations(self):
        return selectors.live_power(self.scope)

    def get_tables(self):
        return {"stations": (_("Live power by station"), StationPowerTable(self.stations))}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        curve = selectors.power_curve(self.scope)
        curves = sorted(curve["stations"].items(), key=lambda item: -max(value or 0 for value in item[1]))
        operator = getattr(self.request.user, "operator", None)
        now = timezone.localtime(timezone=zoneinfo.ZoneInfo(operator.time_zone if operator else "UTC"))
        context.update(
            refresh_ms=self.refresh_seconds * 1000,
            updated=f"{now:%H:%M:%S}",
            chart_stations=chart_stations(len(curves)),
            live_kw=sum(row["live_kw"] for row in self.stations),
            charging=sum(row["charging"] for row in self.stations),
            guns=sum(row["guns"] for row in self.stations),
            curve_chart={
                "type": "line",
                "labels": curve["steps"],
                "datasets": [
                    {"label": station.name, "data": [None if value is None else round(value, 2) for value in values]}
                    for station, values in curves[:CHART_STATIONS]
                ],
                "unit": "kW",
                "xTitle": str(_("Local time at the station")),
                "yTitle": str(_("Power (kW)")),
            },
        )
        return context


class UsageView(StatisticsView):
    """Station usage rate: utilisation and availability of stations and piles, ranked."""

    template_name = "analytics/usage.html"
    permission = ORDER_FIGURES
    title = gettext_lazy("Station usage rate")

    @cached_property
    def piles(self):
        """Piles that were in service in the range (one added after it has no usage to rank),
        most utilised first: the tables' default order, which django-tables2 then checks in one
        pass instead of sorting hundreds of rows by its own slower comparisons."""
        rows = [row for row in selectors.pile_usage(self.scope, self.period) if row["capacity_seconds"]]
        return sorted(rows, key=lambda row: -row["utilisation"])

    @cached_property
    def stations(self):
        return sorted(selectors.station_usage(self.piles), key=lambda row: -row["utilisation"])

    def get_tables(self):
        by_utilisation = {"order_by": "-utilisation"}
        return {
            "stations": (_("Station ranking"), StationUsageTable(self.stations, **by_utilisation)),
            "piles": (_("Pile ranking"), PileUsageTable(self.piles, **by_utilisation)),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        piles = self.piles
        context["network"] = selectors.usage_total(piles) if piles else None
        context["below_nevi"] = sum(1 for row in piles if row["availability"] <= selectors.NEVI_AVAILABILITY)
        top = self.stations[:CHART_STATIONS]
        context["chart"] = {
            "type": "bar",
            "labels": [row["station"].name for row in top],
            "datasets": [
                {"label": str(_("Utilisation")), "data": [float(row["utilisation"] * 100) for row in top]},
            ],
            "unit": "%",
            "xTitle": str(_("Station")),
            "yTitle": str(_("Utilisation (%)")),
        }
        per_bucket = selectors.usage_per_bucket(self.scope, self.period, self.granularity, piles)
        for figure, label, axis in (
            ("utilisation", _("Utilisation"), _("Utilisation (%)")),
            ("availability", _("Availability"), _("Availability (%)")),
        ):
            context[f"{figure}_chart"] = usage_time_chart(per_bucket, self.granularity, figure, label, axis)
        return context


def usage_time_chart(per_bucket: dict, granularity: str, figure: str, label, axis) -> dict:
    """Utilisation (bars from zero) or availability (a line within its range up to 100 %) per
    bucket in per cent; a bucket no gun was in service in is a gap."""
    data = [None if row[figure] is None else float(row[figure] * 100) for row in per_bucket.values()]
    return {
        "type": "bar" if figure == "utilisation" else "line",
        "labels": [bucket_label(key, granularity) for key in per_bucket],
        "datasets": [{"label": str(label), "data": data}],
        "unit": "%",
        "xTitle": str(Granularity(granularity).label),
        "yTitle": str(axis),
        **({} if figure == "utilisation" else {"zeroBased": False, "yMax": 100}),
    }


class PileStatusView(StatisticsView):
    """Pile status analysis and the Details of the dashboard's stations-and-piles card: piles
    online, offline, fault and unregistered per station, drilling down to the piles."""

    template_name = "analytics/pile_status.html"
    permission = "piles.view_pile"
    form_class = PileStatusFilterForm
    title = gettext_lazy("Pile status analysis")

    @cached_property
    def per_station(self) -> dict[int, dict[str, int]]:
        return pile_status_per_station(self.request.user, self.scope.station_filter())

    def get_tables(self):
        per_station = self.per_station
        stations = [
            {"station": station, **per_station[station.pk]}
            for station in self.scope.station_objects.values()
            if station.pk in per_station
        ]
        piles = Pile.objects.for_user(self.request.user).filter(self.scope.station_filter()).with_online_status()
        if self.form.status_chosen:
            piles = piles.filter(online_status=self.form.status_chosen)
        piles = piles.select_related("station").order_by("station__name", "name")
        return {
            "stations": (_("Stations"), StationPileStatusTable(stations)),
            "piles": (_("Piles"), PileStatusTable(piles)),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = pile_status_totals(self.per_station)
        context["counts"] = counts
        context["station_count"] = len(self.scope.station_objects)
        context["statuses"] = [
            (status.value, status.label, counts[status.value], self.query(status=status.value) + "#table-piles")
            for status in OnlineStatus
        ]
        context["chart"] = pie_chart(
            [(str(status.label), counts[status.value]) for status in OnlineStatus],
            _("Piles"),
            [STATUS_COLOURS[status] for status in OnlineStatus],
        )
        return context
