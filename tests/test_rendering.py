"""The project draws selects and table rows in Python instead of Django's and django-tables2's
templates (they cost a template lookup per option or cell), and reads an export's cells in the
same way. These tests hold the fast paths to the templates' own output, markup for markup, and
the exports to django-tables2's own cell values."""

import re
from decimal import Decimal

import django_tables2 as tables
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation
from django.utils.html import format_html
from django_tables2.data import TableListData

from analytics.tables import StationFiguresTable
from chargeops.export import cell_value, table_rows
from chargeops.forms import FormRenderer
from chargeops.tables import BaseTable, RowList
from maintenance.models import Alarm, WorkOrder
from maintenance.tables import AlarmTable, WorkOrderTable
from orders.choices import OrderStatus, PaymentMethod
from orders.models import ChargingOrder
from orders.tables import OrderTable
from piles.models import Pile
from piles.tables import PileTable

from . import factories


def markup(html: str) -> str:
    """HTML without the whitespace between tags and inside them."""
    html = re.sub(r">\s+", ">", re.sub(r"\s+<", "<", str(html)))
    return re.sub(r"\s+", " ", html).replace(" >", ">")


class ChoiceForm(forms.Form):
    plain = forms.ChoiceField(choices=[("", "All"), ("a&b", 'A <b> & "c"'), ("x", "X")], required=False)
    grouped = forms.ChoiceField(choices=[("Group <1>", [("g1", "G1"), ("g2", "G2")]), ("z", "Z")])
    several = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two"), (3, "three")])
    maybe = forms.NullBooleanField()


@pytest.mark.parametrize("data", [{}, {"plain": "a&b", "grouped": "g2", "several": ["1", "3"], "maybe": "false"}])
def test_a_select_drawn_in_python_is_djangos_select(data):
    ours, djangos = (
        ChoiceForm(data or None, renderer=FormRenderer()),
        ChoiceForm(data or None, renderer=DjangoTemplates()),
    )
    for name in ours.fields:
        assert markup(ours[name]) == markup(djangos[name]), name
    assert "&lt;b&gt; &amp; &quot;c&quot;" in str(ours["plain"])


class Row(tables.Table):
    name = tables.Column(attrs={"td": {"class": "name"}})
    amount = tables.Column(attrs={"td": {"class": lambda record: "big" if record["amount"] > 10 else "small"}})
    link = tables.Column(empty_values=())

    def render_link(self, record):
        return format_html('<a href="/x/{}">{}</a>', record["name"], "open")


def table_bodies(make_table, per_page=25) -> tuple[str, str]:
    """The <tbody> of a table drawn by the project's table template and by django-tables2's."""
    request = RequestFactory().get("/")
    bodies = []
    for template in ("chargeops/partials/table.html", "django_tables2/table.html"):
        table = make_table(template)
        table.paginate(per_page=per_page)
        html = Template("{% load django_tables2 %}{% render_table table %}").render(
            Context({"table": table, "request": request})
        )
        bodies.append(re.search(r"<tbody[^>]*>(.*)</tbody>", html, re.S).group(1))
    return bodies[0], bodies[1]


def test_table_rows_drawn_in_python_are_the_tables_template_rows():
    data = [{"name": "<script>", "amount": 12.5}, {"name": "B & C", "amount": 3}, {"name": "D", "amount": None}]
    ours, theirs = table_bodies(lambda template: Row(data, template_name=template), per_page=2)
    assert markup(ours) == markup(theirs)
    assert "&lt;script&gt;" in ours and 'class="big"' in ours and 'class="small"' in ours


@pytest.mark.django_db
@pytest.mark.parametrize("as_list", [False, True], ids=["queryset", "list"])
def test_model_rows_drawn_in_python_are_the_tables_template_rows(as_list):
    """Linked columns, a field with choices (its display name), times in the station's zone,
    badges, durations, empty values and their defaults, from a queryset or a list of rows."""
    # Gun numbers under a thousand: the project's cells group thousands, django-tables2's do not.
    orders = [
        factories.ChargingOrderFactory(
            energy_kwh=Decimal("7.125"), payment_method=PaymentMethod.CREDIT_CARD, gun__connector_id=1
        ),
        factories.ChargingOrderFactory(
            gun__pile__station__name="<b>Night & Day</b>",
            gun__connector_id=2,
            stopped_at=None,
            status=OrderStatus.CHARGING,
        ),
    ]
    rows = ChargingOrder.objects.select_related("station", "pile", "gun").order_by("pk")
    ours, theirs = table_bodies(lambda template: OrderTable(list(rows) if as_list else rows, template_name=template))
    assert markup(ours) == markup(theirs)
    assert orders[0].get_absolute_url() in ours and "Credit card" in ours and "badge-charging" in ours
    assert "&lt;b&gt;Night &amp; Day&lt;/b&gt;" in ours


@pytest.mark.django_db
def test_rows_of_sums_drawn_in_python_are_the_tables_template_rows():
    """A dict's station linked by a `linkify` function, and seconds shown as hours."""
    stations = [factories.StationFactory(name="A & B"), factories.StationFactory(name="<i>C</i>")]
    data = [{"station": station, "orders": n, "charging_seconds": 5400 * n} for n, station in enumerate(stations)]
    ours, theirs = table_bodies(lambda template: StationFiguresTable(data, template_name=template))
    assert markup(ours) == markup(theirs)
    assert stations[1].get_absolute_url() in ours and "&lt;i&gt;C&lt;/i&gt;" in ours and ">1.5<" in ours


def test_table_numbers_have_their_thousands_grouped():
    table = Row([{"name": "A", "amount": Decimal("12705.546")}, {"name": "B", "amount": 1234567}])
    html = Template("{% load django_tables2 %}{% render_table table %}").render(
        Context({"table": table, "request": RequestFactory().get("/")})
    )
    assert ">12,705.546<" in html and ">1,234,567<" in html


class Ranked(BaseTable):
    name = tables.Column()
    share = tables.Column()
    # Sorted by two accessors, one of them the other way, and reached through the row's dict.
    group = tables.Column(accessor="place__group", order_by=("place__group", "-share"))
    # Objects without an order (a model instance without a column order of its own).
    thing = tables.Column()


class Thing:
    """Neither less nor greater than another."""


RANKED = [
    {"name": name, "share": share, "place": {"group": group}, "thing": Thing() if share else None}
    for name, share, group in [
        ("a", Decimal("0.5"), "north"),
        ("b", None, "south"),
        ("c", Decimal("0.25"), "north"),
        ("d", Decimal("0.5"), None),
        ("e", Decimal("0"), "south"),
        ("f", None, "north"),
        ("g", Decimal("0.25"), "south"),
    ]
]


@pytest.mark.parametrize(
    "order_by",
    ["name", "-name", "share", "-share", "group", "-group", ("group", "name"), ("-share", "-name"), "thing", "-thing"],
)
def test_rows_of_a_list_are_sorted_as_django_tables2_sorts_them(order_by):
    """By every column both ways and by two at once: rows without a value, ties kept in their
    order, a column whose sort has two accessors (the other one turned over when it sorts
    downwards), and values that do not compare."""
    ours = Ranked(list(RANKED), order_by=order_by)
    theirs = Ranked(TableListData(list(RANKED)), order_by=order_by)
    assert isinstance(ours.data, RowList) and not isinstance(theirs.data, RowList)
    assert [row["name"] for row in ours.data] == [row["name"] for row in theirs.data]


def django_tables2_export(table) -> list[list]:
    """An export's header and rows read by django-tables2's own `BoundRow.get_cell_value`."""
    columns = [column for column in table.columns if not column.column.exclude_from_export]
    return [[str(column.header) for column in columns]] + [
        [cell_value(row.get_cell_value(column.name)) for column in columns] for row in table.rows
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_exported_cells_are_django_tables2s_cell_values(language):
    """Fields with choices (their display names, translated), a pile's online status (its own
    display method), linked columns, times in the station's zone, value methods of columns and
    tables, empty values, from querysets, a list and rows of sums."""
    factories.ChargingOrderFactory(payment_method=PaymentMethod.CREDIT_CARD, energy_kwh=Decimal("7.125"))
    factories.ChargingOrderFactory(stopped_at=None, status=OrderStatus.CHARGING, id_tag_text="=cmd|' /C calc'!A0")
    factories.AlarmFactory(gun=None, info="")
    factories.WorkOrderFactory(assignee=None)
    station = factories.StationFactory(name="A & B")
    orders = ChargingOrder.objects.select_related("station", "pile", "gun").order_by("pk")
    tables_made = [
        lambda: OrderTable(orders),
        lambda: OrderTable(list(orders)),
        lambda: PileTable(Pile.objects.with_online_status().select_related("station").order_by("pk")),
        lambda: AlarmTable(Alarm.objects.order_by("pk")),
        lambda: WorkOrderTable(WorkOrder.objects.order_by("pk")),
        lambda: StationFiguresTable([{"station": station, "orders": 3, "charging_seconds": 5400}]),
    ]
    with translation.override(language):
        for make_table in tables_made:
            ours, theirs = list(table_rows(make_table())), django_tables2_export(make_table())
            assert len(ours) > 1
            assert ours == theirs, type(make_table()).__name__
        shown = {cell for row in table_rows(OrderTable(orders)) for cell in row}
    assert ("Credit card" if language == "en" else "信用卡") in shown
