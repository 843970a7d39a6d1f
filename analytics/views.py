"""The operation data dashboard and the Details pages behind its cards.

Every page reads the same filter (area, station, a range of local days, granularity) through
`FigureFilterForm`, its figures from `selectors`, and hands chart data to the page with
`json_script`; `static/chargeops/charts.js` draws every chart. Each table of a page exports
with `?export=xlsx&table=<name>`.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from chargeops.export import table_export_response
from chargeops.views import UncountedPaginator, page_size, table_paginate
from maintenance.choices import FaultCause, WorkOrderStatus
from orders.tables import OrderTable
from stations.selectors import pile_status_counts, station_map_points

from . import selectors
from .choices import Figure, Granularity
from .forms import FigureFilterForm
from .tables import (
    FaultRowsTable,
    StationFaultsTable,
    StationFiguresTable,
    StationWorkOrdersTable,
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


def pie_chart(pairs: list[tuple[str, int]], label: str) -> dict:
    return {
        "type": "doughnut",
        "labels": [name for name, _count in pairs],
        "datasets": [{"label": label, "data": [count for _name, count in pairs]}],
    }


def work_order_chart(counts: dict) -> dict:
    return pie_chart([(str(status.label), counts[status.value]) for status in WorkOrderStatus], _("Work orders"))


def fault_chart(faults: dict) -> dict:
    return pie_chart([(str(FaultCause(cause).label), count) for cause, count in faults.items()], _("Faults"))


class StatisticsView(TemplateView):
    """A statistics page: the filter, its figures, and tables that export."""

    permission: str | None = None
    default_granularity = Granularity.DAY
    title = ""

    def dispatch(self, request, *args, **kwargs):
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        self.form = FigureFilterForm(request.GET, user=request.user, default_granularity=self.default_granularity)
        self.scope, self.period, self.granularity = self.form.scope, self.form.period, self.form.chosen_granularity
        export_format = request.GET.get("export")
        if export_format:
            tables = self.get_tables()
            name = request.GET.get("table", next(iter(tables), ""))
            if name not in tables:
                raise Http404("Unknown table")
            title, table = tables[name]
            table.request = request
            return table_export_response(table, title, export_format)
        return super().get(request, *args, **kwargs)

    def get_tables(self) -> dict:
        """name -> (title, unpaged table)."""
        return {}

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
        for index, (name, (title, table)) in enumerate(self.get_tables().items()):
            table.request = self.request
            if index:
                table.prefix = f"{name}-"  # each table of the page pages by itself
            table_paginate(table, self.request, page_size(self.request), getattr(table, "paginator_class", None))
            tables.append(
                {"name": name, "title": title, "table": table, "export": self.query(export="xlsx", table=name)}
            )
        context.update(
            title=self.title,
            form=self.form,
            period=self.period,
            previous=self.period.previous(),
            year_before=self.period.year_before(),
            granularity=self.granularity,
            tables=tables,
            quick_ranges=[
                (label, self.query(start=start.isoformat(), end=end.isoformat()))
                for label, start, end in self.form.quick_ranges()
            ],
            filter_query=self.query(),
        )
        return context


def figure_cards(scope, period, granularity: str, figures=tuple(Figure)) -> list[dict]:
    """Dashboard cards: each figure's total, its change month-on-month and year-on-year, and
    its chart. The figures are read once for all cards."""
    by_bucket = selectors.order_figures(scope, period, by=granularity)
    current = selectors.order_totals(scope, period)
    previous = selectors.order_totals(scope, period.previous())
    year_before = selectors.order_totals(scope, period.year_before())
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


def station_figure_rows(scope, period) -> list[dict]:
    figures = selectors.order_figures(scope, period, by="station")
    return [
        {"station": station, **figures[station.pk]}
        for station in scope.stations().select_related("area")
        if station.pk in figures
    ]


class HomeView(StatisticsView):
    """The operation data dashboard: the map and six cards, each leading to its Details."""

    template_name = "analytics/home.html"
    title = gettext_lazy("Operation data dashboard")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, scope, period = self.request.user, self.scope, self.period
        context["map_points"] = station_map_points(user)
        context["station_count"] = scope.stations().count()
        context["pile_counts"] = pile_status_counts(user, scope.station_filter())
        if user.has_perm(ORDER_FIGURES):
            context["figure_cards"] = figure_cards(scope, period, self.granularity)
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
            "stations": (_("By station"), StationFiguresTable(station_figure_rows(self.scope, self.period))),
            "orders": (_("Charging orders"), rows),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        [context["card"]] = figure_cards(self.scope, self.period, self.granularity, figures=[self.figure])
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
    title = gettext_lazy("Operation and maintenance work orders")

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


class FaultFiguresView(StatisticsView):
    """Details of the fault card: the share of each cause, faults per station, the faults."""

    template_name = "analytics/fault_detail.html"
    permission = FAULT_FIGURES
    title = gettext_lazy("Pile fault analysis")

    def get_tables(self):
        alarms = selectors.period_alarms(self.scope, self.period).select_related("pile__station", "gun")
        return {
            "stations": (_("By station"), StationFaultsTable(selectors.faults_per_station(self.scope, self.period))),
            "faults": (_("Faults"), FaultRowsTable(alarms.order_by("-occurred_at"), orderable=False)),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        faults = selectors.fault_figures(self.scope, self.period)
        context["fault_total"] = sum(faults.values())
        context["causes"] = [(FaultCause(cause).label, count) for cause, count in faults.items()]
        context["chart"] = fault_chart(faults)
        return context
