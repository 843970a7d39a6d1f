from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.services import day_bounds

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


def test_order_list_filters_by_the_stations_local_day(client, admin_user, other_operator):
    network = network_build(admin_user.operator, other_operator, orders_per_gun=10)
    client.force_login(admin_user)
    day = date(2026, 10, 25)
    response = client.get("/orders/", {"started_after": day, "started_before": day, "export": "csv"})
    numbers = {line.split(",")[0] for line in response.content.decode().splitlines()[1:]}
    expected = {o.number for o in network.orders if o.station in network.stations and order_local_date(o) == day}
    assert numbers == expected and expected


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
