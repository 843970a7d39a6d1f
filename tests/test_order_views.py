import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from analytics.services import day_bounds
from chargeops.models import DeepPagesQuerySet
from orders.models import ChargingOrder

from .analytics_data import network_build, order_local_date
from .factories import ChargingOrderFactory


def test_order_list_shows_only_the_operators_orders_without_counting_them(client, admin_user, other_operator):
    network = network_build(admin_user.operator, other_operator, orders_per_gun=3)
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/orders/", {"per_page": 10})
    table = response.context["table"]
    shown = list(table.page.object_list)
    assert len(shown) == 10 and table.page.has_next()
    assert {row.record.station_id for row in shown} <= {s.pk for s in network.stations}
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(queries) < 20  # no query per row
    assert "Page 1" in response.content.decode()
    assert client.get("/orders/", {"page": 999}).status_code == 200
    # A page number past any database integer: the first page, as for any page past the end.
    response = client.get("/orders/", {"per_page": 10, "page": "9" * 20})
    assert response.status_code == 200 and response.context["table"].page.number == 1


@pytest.mark.parametrize("params", [{}, {"sort": "amount"}, {"station": "first"}])
def test_a_deep_page_of_orders_reads_its_ids_first_and_shows_the_same_orders(
    client, admin_user, other_operator, monkeypatch, params
):
    """A page thousands of orders in reads the ids of its orders first (from an index alone on
    PostgreSQL), then those orders: the same orders in the same order as one plain OFFSET."""
    network = network_build(admin_user.operator, other_operator, orders_per_gun=3)
    if params.get("station"):
        params = {"station": network.stations[0].pk}
    monkeypatch.setattr(DeepPagesQuerySet, "DEEP", 10)
    client.force_login(admin_user)
    page = {**params, "per_page": 10, "page": 2}
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/orders/", page)
    [ids] = [q["sql"] for q in queries.captured_queries if "OFFSET 10" in q["sql"]]
    assert ids.startswith('SELECT "orders_chargingorder"."id" AS "pk" FROM')
    assert "JOIN" not in ids  # narrowed to the operator's stations by their ids
    shown = [row.record for row in response.context["table"].page.object_list]
    monkeypatch.setattr(DeepPagesQuerySet, "DEEP", 10**9)
    plain = [row.record for row in client.get("/orders/", page).context["table"].page.object_list]
    assert shown and [order.pk for order in shown] == [order.pk for order in plain]
    assert [order.station.name for order in shown] == [order.station.name for order in plain]
    assert {order.station_id for order in shown} <= {s.pk for s in network.stations}


def test_an_operator_without_stations_sees_no_orders(client, admin_user, other_operator):
    ChargingOrderFactory(gun__pile__station__area__operator=other_operator)
    client.force_login(admin_user)
    response = client.get("/orders/")
    assert response.status_code == 200 and not response.context["table"].page.object_list


def test_a_deep_slice_of_a_sliced_or_values_queryset_is_a_plain_one(admin_user, monkeypatch):
    monkeypatch.setattr(DeepPagesQuerySet, "DEEP", 2)
    orders = [ChargingOrderFactory(gun__pile__station__area__operator=admin_user.operator) for _ in range(6)]
    ordered = ChargingOrder.objects.order_by("pk")
    assert [order.pk for order in ordered[3:5]] == [order.pk for order in orders[3:5]]
    assert list(ordered.values_list("pk", flat=True)[3:5]) == [order.pk for order in orders[3:5]]
    assert [order.pk for order in ordered[1:6][2:4]] == [order.pk for order in orders[3:5]]
    assert ordered[4] == orders[4]


def test_order_list_filters_by_the_stations_local_day(client, admin_user, other_operator):
    network = network_build(admin_user.operator, other_operator, orders_per_gun=10)
    client.force_login(admin_user)
    day = date(2026, 10, 25)
    response = client.get("/orders/", {"started_after": day, "started_before": day, "export": "csv"})
    numbers = {line.split(",")[0] for line in response.content.decode().splitlines()[1:]}
    expected = {o.number for o in network.orders if o.station in network.stations and order_local_date(o) == day}
    assert numbers == expected and expected


def test_order_list_narrows_to_one_pile_chosen_by_a_link(client, admin_user, other_operator):
    network = network_build(admin_user.operator, other_operator, orders_per_gun=3)
    client.force_login(admin_user)
    pile = network.orders[0].pile
    response = client.get("/orders/", {"pile": pile.pk, "export": "csv"})
    numbers = {line.split(",")[0] for line in response.content.decode().splitlines()[1:]}
    assert numbers == {order.number for order in network.orders if order.pile_id == pile.pk} and numbers
    page = client.get("/orders/", {"pile": pile.pk})
    assert f'<span class="filter-linked">{pile.name} · {pile.station.name} <a href="?"' in page.content.decode()
    theirs = next(order.pile for order in network.orders if order.station == network.other_station)
    page = client.get("/orders/", {"pile": theirs.pk})
    assert page.context["filter"].linked_filters()[0]["errors"] and not list(page.context["table"].data)


@pytest.mark.django_db
def test_an_order_number_is_held_once():
    """By the database (the constraint), and by the model's validation with a message."""
    order = ChargingOrderFactory()
    copy = ChargingOrderFactory.build(number=order.number, gun=order.gun, pile=order.pile, station=order.station)
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert ChargingOrder.objects.filter(number=order.number).count() == 1
    with pytest.raises(ValidationError) as error:
        copy.validate_constraints()
    assert error.value.messages == ["Charging order with this Order number already exists."]


def test_order_page_is_the_operators_only(client, admin_user, other_operator):
    mine = ChargingOrderFactory(gun__pile__station__area__operator=admin_user.operator)
    theirs = ChargingOrderFactory(gun__pile__station__area__operator=other_operator)
    client.force_login(admin_user)
    response = client.get(mine.get_absolute_url())
    assert response.status_code == 200 and mine.number in response.content.decode()
    assert client.get(theirs.get_absolute_url()).status_code == 404


def test_day_bounds_used_by_the_filter_match_the_local_date():
    start, end = day_bounds(date(2026, 3, 29), "Europe/Berlin")
    assert (end - start).total_seconds() == 23 * 3600


def test_order_search_finds_by_number_id_tag_and_the_piles_name_or_charge_point_id(client, admin_user, other_operator):
    mine = ChargingOrderFactory(
        gun__pile__station__area__operator=admin_user.operator,
        gun__pile__name="Hongqiao DC 7",
        gun__pile__charge_point_id="HQ-DC-007",
        id_tag_text="CARD-4711",
    )
    ChargingOrderFactory(gun__pile__station__area__operator=admin_user.operator)
    ChargingOrderFactory(
        gun__pile__station__area__operator=other_operator,
        gun__pile__name="Hongqiao DC 7",
        gun__pile__charge_point_id="HQ-DC-008",
        id_tag_text="CARD-4711",
    )
    client.force_login(admin_user)

    def found(keyword):
        response = client.get("/orders/", {"q": keyword})
        return [row.record.number for row in response.context["table"].page.object_list]

    for keyword in (mine.number.lower(), "card-4711", " hongqiao dc ", "hq-dc", mine.number[1:]):
        assert found(keyword) == [mine.number], keyword
    assert found("no such order") == []
    # A long keyword is looked up by its end and must then be there whole; wildcards of SQL's
    # LIKE are plain characters.
    assert found("X" + mine.number[-9:]) == []
    assert found("card_4711") == found("card%4711") == found("car%") == []


def test_an_export_past_the_row_limit_is_refused_with_a_message(client, admin_user, monkeypatch):
    from chargeops import export

    for _n in range(3):
        ChargingOrderFactory(gun__pile__station__area__operator=admin_user.operator)
    client.force_login(admin_user)
    monkeypatch.setattr(export, "EXPORT_ROWS", 2)
    # Back to the list with the same filters, and the message above it.
    response = client.get("/orders/", {"export": "xlsx", "status": "completed"})
    assert response.status_code == 302 and response.url == "/orders/?status=completed"
    page = client.get(response.url)
    assert "An export holds at most 2 rows" in page.content.decode()
    assert len(page.context["table"].page.object_list) == 3
    response = client.get("/analytics/orders/", {"export": "csv", "table": "orders", "granularity": "month"})
    assert response.status_code == 302 and response.url == "/analytics/orders/?granularity=month"
    monkeypatch.setattr(export, "EXPORT_ROWS", 3)
    assert client.get("/orders/", {"export": "xlsx"}).status_code == 200
    assert client.get("/analytics/orders/", {"export": "csv", "table": "orders"}).status_code == 200


def test_exported_columns_are_wide_enough_for_their_times_and_names(client, admin_user):
    ChargingOrderFactory(
        gun__pile__station__area__operator=admin_user.operator, gun__pile__station__name="城东新区公交枢纽充电站"
    )
    client.force_login(admin_user)
    sheet = load_workbook(BytesIO(client.get("/orders/", {"export": "xlsx"}).content)).active
    header = [cell.value for cell in sheet[1]]
    width = {name: sheet.column_dimensions[get_column_letter(n)].width for n, name in enumerate(header, start=1)}
    # "2026-11-24 08:30:00" in full; eleven Chinese characters, each two wide.
    assert width["Start"] >= 19 and width["Order created"] >= 19
    assert width["Station"] >= 22
    assert width["Gun"] < 10


def test_times_name_their_zone_where_the_page_holds_several(client, admin_user):
    """Orders come newest first by the moment they started; in local times alone an order at
    a New York station would seem out of place between two at a Berlin one."""
    operator = admin_user.operator
    moment = datetime(2026, 1, 15, 12, tzinfo=UTC)
    berlin = ChargingOrderFactory(
        gun__pile__station__area__operator=operator, gun__pile__station__time_zone="Europe/Berlin", started_at=moment
    )
    client.force_login(admin_user)
    row = 'data-table.*?<span class="nowrap">2026-01-15</span> 13:00(?P<zone>[^<]*<span class="time-zone">[^<]+)?'
    assert re.search(row, client.get("/orders/").content.decode(), re.S).group("zone") is None
    ChargingOrderFactory(
        gun__pile__station__area__operator=operator,
        gun__pile__station__time_zone="America/New_York",
        started_at=moment - timedelta(hours=1),
    )
    content = client.get("/orders/").content.decode()
    assert '<span class="nowrap">2026-01-15</span> 13:00 <span class="time-zone">CET</span>' in content
    assert '<span class="nowrap">2026-01-15</span> 06:00 <span class="time-zone">EST</span>' in content
    assert content.index("13:00 <span") < content.index("06:00 <span")
    assert berlin.number in content
