"""Every figure of the dashboard and its Details pages equals the raw orders (alarms, work
orders) summed independently for the same filters."""

import json
import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.choices import Role
from analytics.selectors import user_today
from analytics.services import rollups_update
from maintenance.choices import FaultCause, WorkOrderStatus
from orders.models import ChargingOrder

from .analytics_data import order_local_date, reference_days
from .factories import AlarmFactory, ChargingOrderFactory, GunFactory, UserFactory, WorkOrderFactory


def reference(station_ids, start: date, end: date) -> dict:
    """The figures of the stations' orders started on local days start..end."""
    totals = {"orders": 0, "energy_kwh": Decimal("0"), "amount": Decimal("0")}
    for (station_id, day), figures in reference_days(ChargingOrder.objects.select_related("station")).items():
        if station_id in station_ids and start <= day <= end:
            for name in totals:
                totals[name] += figures[name]
    return totals


def reference_change(current, base):
    if not base:
        return None
    return ((Decimal(current) - Decimal(base)) * 100 / Decimal(base)).quantize(Decimal("0.1"))


def cards(response) -> dict:
    return {card["figure"]: card for card in response.context["figure_cards"]}


CASES = [
    # (filters, start, end): a year end, a month end, both DST changes, a long range, an empty one.
    ({}, date(2025, 12, 20), date(2026, 1, 10)),
    ({}, date(2026, 1, 31), date(2026, 2, 1)),
    ({"area": "South"}, date(2026, 3, 29), date(2026, 3, 29)),
    ({"station": "Berlin Mitte"}, date(2026, 10, 25), date(2026, 10, 25)),
    ({"area": "North"}, date(2025, 11, 1), date(2026, 11, 30)),
    ({}, date(2024, 2, 1), date(2024, 2, 29)),
]


@pytest.mark.parametrize("filters, start, end", CASES)
def test_dashboard_cards_equal_the_raw_orders(client, analyst, network, filters, start, end):
    stations = [s for s in network.stations if _in_scope(s, filters)]
    params = {**_filter_params(network, filters), "start": start, "end": end}
    response = client.get("/", params)
    assert response.status_code == 200
    ids = {s.pk for s in stations}
    current = reference(ids, start, end)
    days = (end - start).days + 1
    previous = reference(ids, start - timedelta(days=days), start - timedelta(days=1))
    year_before = reference(ids, _year_before(start), _year_before(end))
    for figure, card in cards(response).items():
        assert card["value"] == current[figure], figure
        assert card["previous"] == previous[figure]
        assert card["year_before"] == year_before[figure]
        assert card["mom"] == reference_change(current[figure], previous[figure])
        assert card["yoy"] == reference_change(current[figure], year_before[figure])
        assert sum(Decimal(str(v)) for v in card["chart"]["datasets"][0]["data"]) == current[figure]


def _year_before(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _in_scope(station, filters) -> bool:
    return (
        filters.get("area", station.area.name) == station.area.name
        and filters.get("station", station.name) == station.name
    )


def _filter_params(network, filters) -> dict:
    params = {}
    if "area" in filters:
        params["area"] = next(s.area_id for s in network.stations if s.area.name == filters["area"])
    if "station" in filters:
        params["station"] = next(s.pk for s in network.stations if s.name == filters["station"])
    return params


@pytest.mark.parametrize("granularity", ["day", "month", "year"])
def test_details_chart_and_station_table_equal_the_raw_orders(client, analyst, network, granularity):
    start, end = date(2025, 12, 1), date(2026, 11, 30)
    response = client.get("/analytics/energy/", {"start": start, "end": end, "granularity": granularity})
    chart = response.context["card"]["chart"]
    expected: dict[str, Decimal] = {}
    for (station_id, day), figures in reference_days(ChargingOrder.objects.select_related("station")).items():
        if station_id in {s.pk for s in network.stations} and start <= day <= end:
            label = {"day": f"{day:%Y-%m-%d}", "month": f"{day:%Y-%m}", "year": f"{day:%Y}"}[granularity]
            expected[label] = expected.get(label, Decimal("0")) + figures["energy_kwh"]
    got = dict(zip(chart["labels"], chart["datasets"][0]["data"], strict=True))
    assert {label: Decimal(str(value)) for label, value in got.items() if value} == {
        label: value for label, value in expected.items() if value
    }
    stations = response.context["tables"][0]["table"]
    for row in stations.data:
        assert row["energy_kwh"] == reference({row["station"].pk}, start, end)["energy_kwh"]
    assert {row["station"].pk for row in stations.data} <= {s.pk for s in network.stations}


def test_detail_rows_are_the_orders_of_the_range_in_the_stations_days(client, analyst, network):
    start, end = date(2026, 10, 25), date(2026, 10, 31)
    response = client.get("/analytics/orders/", {"start": start, "end": end, "export": "xlsx", "table": "orders"})
    sheet = load_workbook(BytesIO(response.content)).active
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    expected = {
        order.number
        for order in ChargingOrder.objects.select_related("station")
        if order.station in network.stations and start <= order_local_date(order) <= end
    }
    assert numbers == expected and expected


def test_station_table_exports_typed_figures(client, analyst, network):
    response = client.get("/analytics/amount/", {"start": "2026-01-01", "end": "2026-06-30", "export": "xlsx"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Station", "Operations area", "Orders")
    by_name = {row[0]: row for row in rows[1:]}
    station = network.stations[1]
    assert by_name[station.name][2] == reference({station.pk}, date(2026, 1, 1), date(2026, 6, 30))["orders"]
    assert isinstance(by_name[station.name][6], float | int | Decimal)


def test_today_is_current_without_waiting_for_a_rollup_run(client, analyst, network):
    station = network.stations[1]
    gun = next(o.gun for o in network.orders if o.station_id == station.pk)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(station.time_zone)).date()
    before = cards(client.get("/", {"start": today, "end": today}))["amount"]["value"]
    ChargingOrder.objects.create(
        number="NOW-1",
        station=station,
        pile=gun.pile,
        gun=gun,
        started_at=timezone.now() - timedelta(minutes=2),
        stopped_at=timezone.now() - timedelta(minutes=1),
        energy_kwh=Decimal("3.210"),
        amount=Decimal("4.56"),
        payment_method="app",
        status="completed",
    )
    after = cards(client.get("/", {"start": today, "end": today}))["amount"]["value"]
    assert after - before == Decimal("4.56")


def test_another_operators_numbers_are_never_counted(client, operator, other_operator, network):
    user = UserFactory(operator=other_operator, role=Role.OPERATOR_ADMIN)
    client.force_login(user)
    response = client.get("/", {"start": "2025-11-01", "end": "2026-11-30"})
    assert (
        cards(response)["orders"]["value"]
        == reference({network.other_station.pk}, date(2025, 11, 1), date(2026, 11, 30))["orders"]
    )
    # A station of the first operator is refused: the page shows the user's whole network over
    # the default range, this month, which the generated orders may not reach; an order of
    # today (of the user's time zone, which is behind the station's) puts the station there.
    today = user_today(user)
    started = datetime.combine(today, datetime.min.time(), zoneinfo.ZoneInfo(network.other_station.time_zone))
    ChargingOrderFactory(gun=GunFactory(pile__station=network.other_station), started_at=started)
    rollups_update()
    forged = client.get(
        "/analytics/orders/", {"station": network.stations[0].pk, "export": "xlsx", "table": "stations"}
    )
    rows = list(load_workbook(BytesIO(forged.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [network.other_station.name]


def test_bad_filters_are_explained_and_the_default_range_shown(client, analyst, network):
    response = client.get("/", {"start": "2026-05-10", "end": "2026-05-01"})
    assert "The end date is before the start date." in response.content.decode()
    assert response.context["period"].end == response.context["form"].today
    response = client.get("/", {"start": "yesterday", "granularity": "week"})
    assert response.context["form"].errors.keys() == {"start", "granularity"}
    north = next(s.area for s in network.stations if s.area.name == "North")
    shanghai = network.stations[1]
    response = client.get("/", {"area": north.pk, "station": shanghai.pk})
    assert "This station is not in the chosen operations area." in response.content.decode()
    response = client.get("/", {"start": "2000-01-01", "end": "2026-01-01"})
    assert "at most" in response.context["form"].errors["end"][0]
    assert client.get("/analytics/orders/", {"export": "xlsx", "table": "nope"}).status_code == 404
    assert client.get("/analytics/orders/", {"export": "pdf"}).status_code == 404


@pytest.mark.parametrize(
    "start, end, granularity, buckets",
    [
        ("2026-01-01", "2026-03-03", "day", 62),
        ("2026-01-01", "2026-03-04", "month", 3),
        ("2023-12-01", "2026-11-30", "month", 36),
        ("2023-11-30", "2026-11-30", "year", 4),
    ],
)
def test_a_range_without_a_granularity_gets_the_one_that_fits_it(
    client, analyst, network, start, end, granularity, buckets
):
    response = client.get("/analytics/energy/", {"start": start, "end": end})
    assert response.context["granularity"] == granularity
    assert len(response.context["card"]["chart"]["labels"]) == buckets
    label = {"day": "Day", "month": "Month", "year": "Year"}[granularity]
    assert f'<option value="" selected>Automatic ({label})</option>' in response.content.decode()
    # A granularity chosen stays; a range a click away fits its own.
    response = client.get("/analytics/energy/", {"start": start, "end": end, "granularity": "day"})
    assert response.context["granularity"] == "day"
    assert all("granularity" not in query for _label, query in response.context["quick_ranges"])


def test_work_order_and_fault_figures_equal_their_rows(client, admin_user, network):
    client.force_login(admin_user)
    pile = network.orders[0].pile
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    at = datetime(2026, 3, 29, 23, 30, tzinfo=berlin)  # the last half hour of the 23-hour day
    for status in [WorkOrderStatus.UNACCEPTED, WorkOrderStatus.ACCEPTED, WorkOrderStatus.CONFIRMED]:
        WorkOrderFactory(pile=pile, status=status, reported_at=at)
    WorkOrderFactory(pile=pile, reported_at=at + timedelta(hours=1))  # the next local day
    AlarmFactory(pile=pile, occurred_at=at, cause=FaultCause.METER)
    AlarmFactory(
        pile=pile, occurred_at=at.astimezone(UTC), cause=FaultCause.CONNECTOR, error_code="ConnectorLockFailure"
    )
    from analytics.services import rollups_rebuild

    rollups_rebuild()
    response = client.get("/", {"start": "2026-03-29", "end": "2026-03-29"})
    assert response.context["work_orders"]["total"] == 3
    assert response.context["work_orders"]["confirmed"] == 1
    assert response.context["fault_total"] == 2
    response = client.get("/analytics/faults/", {"start": "2026-03-29", "end": "2026-03-29"})
    assert sorted(str(label) for label, _count in response.context["causes"]) == ["Connector or lock", "Power meter"]
    assert 'data-chart="chart-faults"' in response.content.decode()
    # A range without faults says so instead of drawing an empty pie.
    content = client.get("/analytics/faults/", {"start": "2026-03-01", "end": "2026-03-28"}).content.decode()
    assert 'data-chart="chart-faults"' not in content and content.count("No faults in this range.") >= 2
    response = client.get("/analytics/work-orders/", {"start": "2026-03-30", "end": "2026-03-30"})
    assert response.context["counts"]["total"] == 1


def test_order_figures_need_their_permission(client, technician_user, network):
    client.force_login(technician_user)
    assert client.get("/analytics/orders/").status_code == 403
    response = client.get("/")
    assert "figure_cards" not in response.context and "work_orders" in response.context


def test_chart_data_reaches_the_page_as_json(client, analyst, network):
    content = client.get("/", {"start": "2026-01-01", "end": "2026-01-31"}).content.decode()
    chart = json.loads(content.split('id="chart-orders" type="application/json">')[1].split("</script>")[0])
    assert chart["labels"][0] == "2026-01-01" and len(chart["labels"]) == 31
    assert chart["xTitle"] == "Day" and chart["yTitle"] == "Charging orders"


@pytest.mark.parametrize("params", [{}, {"sort": "-amount"}, {"page": "1", "area": ""}])
def test_the_date_fields_show_the_range_the_page_shows(client, analyst, network, params):
    """Also when the page was opened by a table's sort or page alone, which leaves the range to
    its default."""
    response = client.get("/analytics/amount/", params)
    period, html = response.context["period"], response.content.decode()
    assert (period.start, period.end) == (response.context["form"].today.replace(day=1), response.context["form"].today)
    for name, day in (("start", period.start), ("end", period.end)):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert f'value="{day.isoformat()}"' in field, field
