"""The statistic-analysis pages: every figure equals the raw orders, status history, power
samples, alarms or piles counted independently for the same filters, and no operator sees
another's numbers."""

import html
import re
import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.choices import Role
from analytics.models import PileDaily
from analytics.services import day_bounds, rollups_rebuild, rollups_refresh
from maintenance.choices import FaultCause, WorkOrderStatus
from maintenance.models import Alarm
from orders.models import ChargingOrder
from piles.choices import GunStatus, OnlineStatus
from piles.models import Pile, StatusChange

from .analytics_data import reference_days
from .factories import (
    AlarmFactory,
    ChargingOrderFactory,
    GunFactory,
    PileFactory,
    PowerSampleFactory,
    StationFactory,
    UserFactory,
    WorkOrderFactory,
)
from .test_dashboard import _filter_params, _in_scope, _year_before, reference_change

FIGURES = ("orders", "energy_kwh", "amount")


def station_figures(start: date, end: date) -> dict:
    """Station id -> the figures of its orders started on local days start..end."""
    totals: dict = {}
    for (station_id, day), figures in reference_days(ChargingOrder.objects.select_related("station")).items():
        if start <= day <= end:
            row = totals.setdefault(station_id, dict.fromkeys(FIGURES, 0))
            for name in FIGURES:
                row[name] += figures[name]
    return totals


COMPARISONS = [
    # (page, how the base range follows from the range)
    (
        "/analytics/month-on-month/",
        lambda start, end: (start - (end - start) - timedelta(days=1), start - timedelta(days=1)),
    ),
    ("/analytics/year-on-year/", lambda start, end: (_year_before(start), _year_before(end))),
]


@pytest.mark.parametrize("url, base_of", COMPARISONS)
@pytest.mark.parametrize(
    "filters, start, end",
    [
        ({}, date(2026, 1, 1), date(2026, 1, 31)),  # a month after a year end
        ({"area": "South"}, date(2026, 3, 29), date(2026, 3, 29)),  # the 23-hour day
        ({}, date(2026, 10, 25), date(2026, 11, 1)),  # the 25-hour day and a month end
        ({}, date(2023, 5, 1), date(2023, 5, 7)),  # nothing in either range
    ],
)
def test_comparison_pages_equal_the_raw_orders(client, analyst, network, url, base_of, filters, start, end):
    response = client.get(url, {**_filter_params(network, filters), "start": start, "end": end, "figure": "amount"})
    assert response.status_code == 200
    base_start, base_end = base_of(start, end)
    current, base = station_figures(start, end), station_figures(base_start, base_end)
    stations = {s.pk for s in network.stations if _in_scope(s, filters)} & (current.keys() | base.keys())
    rows = {row["station"].pk: row for row in response.context["tables"][0]["table"].data}
    assert rows.keys() == stations
    empty = dict.fromkeys(FIGURES, 0)
    for station_id, row in rows.items():
        now, then = current.get(station_id, empty), base.get(station_id, empty)
        for name in FIGURES:
            assert row[name] == now[name]
            assert row[f"{name}_base"] == then[name]
            assert row[f"{name}_change"] == reference_change(now[name], then[name])
    totals = {str(total["label"]): total for total in response.context["totals"]}
    amount = totals["Charging amount"]
    assert amount["value"] == sum(current.get(s, empty)["amount"] for s in stations)
    assert amount["base"] == sum(base.get(s, empty)["amount"] for s in stations)
    chart = response.context["chart"]
    assert sum(Decimal(str(v)) for v in chart["datasets"][0]["data"]) == amount["value"]  # every station fits
    assert f"{base_start:%Y-%m-%d}" in chart["datasets"][1]["label"]


@pytest.mark.parametrize("url, base_of", COMPARISONS)
@pytest.mark.parametrize(
    "granularity, start, end, bucket",
    [
        # A month end; month-on-month against a range that starts on Berlin's 25-hour day.
        ("day", date(2026, 10, 30), date(2026, 11, 3), "%Y-%m-%d"),
        ("month", date(2026, 10, 15), date(2026, 11, 14), "%Y-%m"),  # parts of two months each
    ],
)
def test_comparison_over_time_sets_each_bucket_beside_the_one_in_its_place(
    client, analyst, network, url, base_of, granularity, start, end, bucket
):
    response = client.get(url, {"start": start, "end": end, "granularity": granularity, "figure": "energy_kwh"})
    chart = response.context["time_chart"]
    mine = {s.pk for s in network.stations}
    days = reference_days(ChargingOrder.objects.select_related("station"))

    def per_bucket(first: date, last: date) -> list[Decimal]:
        sums = Counter()
        day = first
        while day <= last:
            sums[f"{day:{bucket}}"] += sum(days.get((s, day), {}).get("energy_kwh", 0) for s in mine)
            day += timedelta(days=1)
        return [sums[key] for key in sorted(sums)]

    current, base = per_bucket(start, end), per_bucket(*base_of(start, end))
    labels = sorted({f"{start + timedelta(days=n):{bucket}}" for n in range((end - start).days + 1)})
    assert chart["labels"] == labels and len(current) == len(base) == len(labels)
    assert [Decimal(str(value)) for value in chart["datasets"][0]["data"]] == current
    assert [Decimal(str(value)) for value in chart["datasets"][1]["data"]] == base
    assert sum(current) and sum(base)


# kWh charged at a station on each day around two leap days' 29 February.
LEAP_DAYS = {
    **{date(2023, 2, 27) + timedelta(days=n): kwh for n, kwh in enumerate([1, 2, 4, 5])},
    **{date(2024, 2, 27) + timedelta(days=n): kwh for n, kwh in enumerate([10, 20, 30, 40, 50])},
    **{date(2025, 2, 27) + timedelta(days=n): kwh for n, kwh in enumerate([100, 200, 400, 500])},
}


@pytest.mark.parametrize(
    "start, base_line, base_total",
    [
        # 29 February 2024 has no date a year earlier: a gap in the earlier line.
        (date(2024, 2, 27), [1, 2, None, 4, 5], 12),
        # The earlier range's 29 February has no place on the chart; its total holds it.
        (date(2025, 2, 27), [10, 20, 40, 50], 150),
    ],
)
def test_year_on_year_over_time_sets_each_day_beside_the_same_date_a_year_earlier(
    client, analyst, operator, start, base_line, base_total
):
    gun = GunFactory(pile__station=StationFactory(area__operator=operator, time_zone="Asia/Shanghai"))
    for day, kwh in LEAP_DAYS.items():
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
        ChargingOrderFactory(gun=gun, started_at=noon, energy_kwh=Decimal(kwh))
    rollups_rebuild()
    end = date(start.year, 3, 2)
    params = {"start": start, "end": end, "granularity": "day", "figure": "energy_kwh"}
    response = client.get("/analytics/year-on-year/", params)
    chart = response.context["time_chart"]
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    assert chart["labels"] == [f"{day:%Y-%m-%d}" for day in days]
    assert chart["datasets"][0]["data"] == [LEAP_DAYS[day] for day in days]
    assert chart["datasets"][1]["data"] == base_line
    totals = {str(total["label"]): total for total in response.context["totals"]}
    assert totals["Charging energy (kWh)"]["base"] == base_total
    page = response.content.decode()
    assert "beside the same date a year earlier" in page
    assert ("its place in the earlier line is empty" in page) == (start.year == 2024)
    assert ("29 February has no place on the chart" in page) == (start.year == 2025)
    page = client.get("/analytics/year-on-year/", {**params, "start": date(2025, 3, 1), "end": date(2025, 3, 2)})
    assert "29 February" not in page.content.decode()


def test_comparison_never_shows_the_other_operators_station(client, analyst, network):
    response = client.get("/analytics/month-on-month/", {"station": network.other_station.pk})
    assert "station" in response.context["form"].errors
    shown = {row["station"].pk for row in response.context["tables"][0]["table"].data}
    assert network.other_station.pk not in shown
    assert shown <= {s.pk for s in network.stations}


def test_a_comparison_chart_that_leaves_stations_out_says_so(client, analyst, network, monkeypatch):
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    response = client.get("/analytics/month-on-month/", params)
    stations = len(response.context["tables"][0]["table"].data)
    assert stations > 2 and len(response.context["chart"]["labels"]) == stations
    assert "highest of" not in response.content.decode()
    monkeypatch.setattr("analytics.views.CHART_STATIONS", 2)
    response = client.get("/analytics/month-on-month/", params)
    assert len(response.context["chart"]["labels"]) == 2
    assert f"The chart shows the 2 highest of {stations} stations" in response.content.decode()


@pytest.mark.parametrize("granularity, label", [("day", "%Y-%m-%d"), ("month", "%Y-%m"), ("year", "%Y")])
def test_faults_over_time_equal_the_alarms_of_each_local_bucket(client, analyst, network, granularity, label):
    pile = network.orders[0].pile
    zone = zoneinfo.ZoneInfo(pile.station.time_zone)
    for at, cause in [
        (datetime(2025, 12, 31, 23, 30, tzinfo=zone), FaultCause.METER),  # a year's last half hour
        (datetime(2026, 1, 1, 0, 30, tzinfo=zone), FaultCause.METER),
        (datetime(2026, 1, 31, 23, 59, tzinfo=zone), FaultCause.CONNECTOR),
        (datetime(2026, 2, 1, 0, 1, tzinfo=zone), FaultCause.CONNECTOR),
        (datetime(2026, 3, 29, 23, 30, tzinfo=zone), FaultCause.OTHER),
        (datetime(2026, 4, 1, 0, 30, tzinfo=zone), FaultCause.OTHER),  # after the range
    ]:
        AlarmFactory(pile=pile, occurred_at=at, cause=cause)
    AlarmFactory(pile__station=network.other_station, occurred_at=datetime(2026, 1, 5, tzinfo=zone))
    rollups_rebuild()
    start, end = date(2025, 12, 1), date(2026, 3, 31)
    response = client.get("/analytics/faults/", {"start": start, "end": end, "granularity": granularity})
    chart = response.context["time_chart"]
    expected = Counter()
    for alarm in Alarm.objects.filter(pile__station__in=network.stations).select_related("pile__station"):
        day = alarm.occurred_at.astimezone(zoneinfo.ZoneInfo(alarm.pile.station.time_zone)).date()
        if start <= day <= end:
            bucket = {"day": day, "month": day.replace(day=1), "year": day.replace(month=1, day=1)}[granularity]
            expected[(f"{bucket:{label}}", str(FaultCause(alarm.cause).label))] += 1
    shown = Counter()
    for dataset in chart["datasets"]:
        for bucket, count in zip(chart["labels"], dataset["data"], strict=True):
            if count:
                shown[(bucket, dataset["label"])] = count
    assert shown == expected and len({bucket for bucket, _cause in expected}) > (granularity != "year")
    assert chart["stacked"] and chart["labels"][0] == f"{start:{label}}"
    # In the pie's order, so that a cause has one colour in both charts.
    assert [dataset["label"] for dataset in chart["datasets"]] == response.context["chart"]["labels"]


def test_a_cause_narrows_every_fault_figure_and_the_rows_they_lead_to(client, admin_user, network):
    client.force_login(admin_user)
    piles = list(Pile.objects.filter(station__in=network.stations).select_related("station")[:2])
    for pile, causes in zip(piles, [[FaultCause.METER] * 2 + [FaultCause.CONNECTOR], [FaultCause.METER]], strict=True):
        at = datetime(2026, 2, 10, 12, tzinfo=zoneinfo.ZoneInfo(pile.station.time_zone))
        for cause in causes:
            AlarmFactory(pile=pile, occurred_at=at, cause=cause)
    rollups_rebuild()
    params = {"start": "2026-02-01", "end": "2026-02-28", "cause": FaultCause.METER}
    response = client.get("/analytics/faults/", params)
    meter = Alarm.objects.filter(pile__station__in=network.stations, cause=FaultCause.METER)
    meter = [alarm for alarm in meter.select_related("pile__station") if alarm.occurred_at.month == 2]
    assert response.context["fault_total"] == len(meter) >= 3
    assert [str(label) for label, _count in response.context["causes"]] == ["Power meter"]
    assert [dataset["label"] for dataset in response.context["time_chart"]["datasets"]] == ["Power meter"]
    stations, by_pile, rows = (entry["table"] for entry in response.context["tables"])
    assert sum(row["faults"] for row in stations.data) == sum(row["faults"] for row in by_pile.data) == len(meter)
    assert {alarm.cause for alarm in rows.data} == {FaultCause.METER}
    for href, shown in links_to(response.content.decode(), "/maintenance/alarms/"):
        assert "cause=meter" in href
        assert {alarm.cause for alarm in client.get(href).context["object_list"]} == {FaultCause.METER}
        assert client.get(href).context["object_list"].count() == int(shown)
    # An unknown cause is explained on the form, which then narrows nothing.
    response = client.get("/analytics/faults/", {**params, "cause": "gremlins"})
    assert response.status_code == 200 and "cause" in response.context["form"].errors
    assert response.context["form"].chosen_cause is None


@pytest.fixture
def berlin(operator):
    """A Berlin station with a two-gun pile and a one-gun pile, both added before March."""
    station = StationFactory(area__operator=operator, time_zone="Europe/Berlin", name="Usage Berlin")
    long_ago = datetime(2025, 1, 1, tzinfo=zoneinfo.ZoneInfo("UTC"))
    double, single = PileFactory(station=station, name="Double"), PileFactory(station=station, name="Single")
    Pile.objects.filter(pk__in=[double.pk, single.pk]).update(created_at=long_ago)
    guns = [GunFactory(pile=double, connector_id=1), GunFactory(pile=double, connector_id=2)]
    guns.append(GunFactory(pile=single, connector_id=1))
    return station, double, single, guns


def test_usage_and_availability_on_the_23_hour_day(client, analyst, berlin):
    station, double, single, (gun1, gun2, gun3) = berlin
    day = date(2026, 3, 29)
    start, end = day_bounds(day, "Europe/Berlin")
    assert end - start == timedelta(hours=23)
    ChargingOrderFactory(gun=gun1, started_at=start + timedelta(hours=2), stopped_at=start + timedelta(hours=5))
    ChargingOrderFactory(gun=gun2, started_at=start + timedelta(hours=8), stopped_at=start + timedelta(hours=9))
    # Started before midnight: it belongs to the day before, not to this one.
    ChargingOrderFactory(gun=gun3, started_at=start - timedelta(hours=1), stopped_at=start + timedelta(hours=3))
    for pile in (double, single):
        StatusChange.objects.create(pile=pile, status=OnlineStatus.ONLINE, at=start - timedelta(days=5))
    StatusChange.objects.create(pile=double, status=OnlineStatus.OFFLINE, at=start + timedelta(hours=10))
    StatusChange.objects.create(pile=double, status=OnlineStatus.ONLINE, at=start + timedelta(hours=12))
    StatusChange.objects.create(pile=single, gun=gun3, status=GunStatus.FAULTED, at=start + timedelta(hours=20))
    StatusChange.objects.create(pile=single, gun=gun3, status=GunStatus.AVAILABLE, at=start + timedelta(hours=21))
    rollups_rebuild(now=end + timedelta(days=1))

    response = client.get("/analytics/usage/", {"station": station.pk, "start": day, "end": day})
    assert response.status_code == 200
    piles = {row["pile"].name: row for row in response.context["tables"][1]["table"].data}
    day_seconds = 23 * 3600
    assert piles["Double"]["charging_seconds"] == 4 * 3600
    assert piles["Double"]["utilisation"] == (Decimal(4 * 3600) / (2 * day_seconds)).quantize(Decimal("0.0001"))
    # Offline for two hours takes both guns down.
    assert piles["Double"]["availability"] == 1 - (Decimal(2 * 2 * 3600) / (2 * day_seconds)).quantize(
        Decimal("0.0001")
    )
    assert piles["Single"]["charging_seconds"] == 0
    assert piles["Single"]["availability"] == 1 - (Decimal(3600) / day_seconds).quantize(Decimal("0.0001"))
    [row] = response.context["tables"][0]["table"].data
    assert row["guns"] == 3 and row["charging_seconds"] == 4 * 3600
    assert row["availability"] == 1 - (Decimal(5 * 3600) / (3 * day_seconds)).quantize(Decimal("0.0001"))
    assert response.context["below_nevi"] == 2  # 91.3 % and 95.7 %: both under the 97 % rule
    assert "91.3 %" in response.content.decode()


def test_usage_counts_a_pile_from_the_day_it_was_added(client, analyst, berlin):
    station, double, single, guns = berlin
    added = datetime(2026, 6, 10, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    Pile.objects.filter(pk=single.pk).update(created_at=added)
    rollups_rebuild(now=datetime(2026, 7, 1, tzinfo=zoneinfo.ZoneInfo("UTC")))
    response = client.get("/analytics/usage/", {"station": station.pk, "start": "2026-06-01", "end": "2026-06-10"})
    piles = {row["pile"].name: row for row in response.context["tables"][1]["table"].data}
    assert piles["Single"]["capacity_seconds"] == 12 * 3600
    assert piles["Double"]["capacity_seconds"] == 2 * 10 * 86400
    # Before it was added there is nothing to rank.
    response = client.get("/analytics/usage/", {"station": station.pk, "start": "2026-06-01", "end": "2026-06-09"})
    assert [row["pile"].name for row in response.context["tables"][1]["table"].data] == ["Double"]


def test_usage_counts_a_pile_from_an_order_older_than_the_pile(client, analyst, berlin):
    """A pile added on 10 June that uploads a session it held from 5 June: its time in the
    range starts at that order, so that its utilisation stays a share of its time, in the
    ranking and in each day of the chart over time (the days before count the other pile's
    two guns alone)."""
    station, double, single, guns = berlin
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    Pile.objects.filter(pk=single.pk).update(created_at=datetime(2026, 6, 10, 12, tzinfo=zone))
    started = datetime(2026, 6, 5, 10, tzinfo=zone)
    ChargingOrderFactory(gun=guns[2], started_at=started, stopped_at=started + timedelta(hours=2))
    rollups_rebuild(now=datetime(2026, 7, 1, tzinfo=zoneinfo.ZoneInfo("UTC")))
    for end, hours in (("2026-06-10", 24 * 5 + 14), ("2026-06-09", 24 * 4 + 14)):
        response = client.get("/analytics/usage/", {"station": station.pk, "start": "2026-06-01", "end": end})
        piles = {row["pile"].name: row for row in response.context["tables"][1]["table"].data}
        assert piles["Single"]["capacity_seconds"] == hours * 3600
        assert piles["Single"]["utilisation"] == (Decimal(2) / hours).quantize(Decimal("0.0001"))
    # Orders after the pile was added leave its time where it was.
    response = client.get("/analytics/usage/", {"station": station.pk, "start": "2026-06-06", "end": "2026-06-10"})
    piles = {row["pile"].name: row for row in response.context["tables"][1]["table"].data}
    assert piles["Single"]["capacity_seconds"] == 12 * 3600
    params = {"station": station.pk, "start": "2026-06-03", "end": "2026-06-06", "granularity": "day"}
    chart = client.get("/analytics/usage/", params).context["utilisation_chart"]
    day = 24 * 3600
    assert chart["datasets"][0]["data"] == [0.0, 0.0, percent(2 * 3600, 2 * day + 14 * 3600), 0.0]
    # The month: both piles' whole time, as the ranking counts it.
    response = client.get(
        "/analytics/usage/", {**params, "start": "2026-06-01", "end": "2026-06-10", "granularity": "month"}
    )
    [value] = response.context["utilisation_chart"]["datasets"][0]["data"]
    assert value == float(response.context["network"]["utilisation"] * 100)
    assert response.context["network"]["capacity_seconds"] == 2 * 10 * day + (24 * 5 + 14) * 3600


def test_todays_downtime_grows_with_every_run_without_a_new_report(operator):
    station = StationFactory(area__operator=operator, time_zone="Asia/Shanghai")
    pile = PileFactory(station=station, connected=False, registered_at=timezone.now() - timedelta(days=30))
    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    StatusChange.objects.create(pile=pile, status=OnlineStatus.OFFLINE, at=datetime(2026, 5, 10, 8, tzinfo=zone))
    rollups_refresh(now=datetime(2026, 5, 10, 9, tzinfo=zone))
    rollups_refresh(now=datetime(2026, 5, 10, 11, tzinfo=zone))
    assert pile.daily.get(date=date(2026, 5, 10)).offline_seconds == 3 * 3600


def test_usage_ranks_by_any_column_and_exports(client, analyst, network):
    Pile.objects.update(created_at=datetime(2025, 1, 1, tzinfo=zoneinfo.ZoneInfo("UTC")))
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    response = client.get("/analytics/usage/", params)
    rows = list(response.context["tables"][0]["table"].data)
    assert len(rows) == len(network.stations)
    assert len({row["utilisation"] for row in rows}) > 1
    assert [row["utilisation"] for row in rows] == sorted((row["utilisation"] for row in rows), reverse=True)
    response = client.get("/analytics/usage/", {**params, "sort": "charging_seconds"})
    rows = list(response.context["tables"][0]["table"].data)
    assert [row["charging_seconds"] for row in rows] == sorted(row["charging_seconds"] for row in rows)
    for sort in ("station", "-area", "guns"):
        assert client.get("/analytics/usage/", {**params, "sort": sort, "piles-sort": sort}).status_code == 200
    response = client.get("/analytics/usage/", {**params, "piles-sort": "pile"})
    names = [(row["pile"].name, row["station"].name) for row in response.context["tables"][1]["table"].data]
    assert names == sorted(names)
    response = client.get("/analytics/usage/", {**params, "export": "xlsx", "table": "piles"})
    sheet = load_workbook(BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["Pile", "Station"] and "Availability" in header
    assert sheet.max_row - 1 == Pile.objects.filter(station__in=network.stations).count()


@pytest.fixture
def outages(network):
    """The network's piles in service since 2025, each offline from 30 January to 2 February
    and one gun of each faulted from 28 March to 3 April 2026 (over Berlin's 23-hour day); the
    roll-ups built."""
    Pile.objects.update(created_at=datetime(2025, 1, 1, tzinfo=zoneinfo.ZoneInfo("UTC")))
    piles = list(Pile.objects.filter(station__in=network.stations).select_related("station"))
    for pile in piles:
        gun = pile.guns.first()
        StatusChange.objects.create(pile=pile, status=OnlineStatus.OFFLINE, at=datetime(2026, 1, 30, tzinfo=UTC))
        StatusChange.objects.create(pile=pile, status=OnlineStatus.ONLINE, at=datetime(2026, 2, 2, tzinfo=UTC))
        StatusChange.objects.create(pile=pile, gun=gun, status=GunStatus.FAULTED, at=datetime(2026, 3, 28, tzinfo=UTC))
        StatusChange.objects.create(pile=pile, gun=gun, status=GunStatus.AVAILABLE, at=datetime(2026, 4, 3, tzinfo=UTC))
    rollups_rebuild()
    return piles


@pytest.mark.parametrize(
    "start, end",
    [
        (date(2025, 12, 15), date(2026, 3, 29)),  # whole months between parts of two, the 23-hour day last
        (date(2025, 11, 1), date(2026, 10, 31)),  # whole months only, a year end and both clock changes
        (date(2026, 2, 1), date(2026, 2, 15)),  # no whole month: an outage's end, the order over midnight
    ],
)
def test_usage_over_months_equals_the_raw_orders_and_status_days(client, analyst, network, outages, start, end):
    """Whole months come from the pile months, the days around them from the pile days: the
    figures are the raw orders' of the range, the downtime the pile days' of the range."""
    response = client.get("/analytics/usage/", {"start": start, "end": end})
    assert response.status_code == 200
    rows = {row["pile"].pk: row for row in response.context["tables"][1]["table"].data}
    raw = reference_days(ChargingOrder.objects.select_related("station"), key=lambda order: order.pile_id)
    down = {
        (day.pile_id, day.date): day.offline_seconds * day.pile.guns.count() + day.faulted_seconds
        for day in PileDaily.objects.select_related("pile")
    }
    piles = Pile.objects.filter(station__in=network.stations)
    assert rows.keys() == {pile.pk for pile in piles}
    downtime = 0
    for pile in piles:
        days = [day for (pile_id, day) in raw if pile_id == pile.pk and start <= day <= end]
        assert rows[pile.pk]["orders"] == sum(raw[(pile.pk, day)]["orders"] for day in days)
        assert rows[pile.pk]["charging_seconds"] == sum(raw[(pile.pk, day)]["charging_seconds"] for day in days)
        pile_down = sum(
            seconds for (pile_id, day), seconds in down.items() if pile_id == pile.pk and start <= day <= end
        )
        assert rows[pile.pk]["downtime_seconds"] == pile_down
        downtime += pile_down
    assert downtime > 0


def percent(part, whole) -> float:
    """A share as the usage charts show it: rounded as the page rounds it, in per cent."""
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) * 100)


@pytest.mark.parametrize(
    "granularity, start, end",
    [
        ("day", date(2026, 3, 27), date(2026, 4, 2)),  # the 23-hour day, an outage's gun faulted
        ("month", date(2025, 12, 15), date(2026, 3, 29)),  # parts of two months around whole ones
        ("year", date(2025, 11, 1), date(2026, 2, 15)),  # a year end
    ],
)
def test_usage_over_time_equals_the_raw_orders_and_status_days_of_each_bucket(
    client, analyst, outages, granularity, start, end
):
    piles = outages
    response = client.get("/analytics/usage/", {"start": start, "end": end, "granularity": granularity})
    utilisation, availability = response.context["utilisation_chart"], response.context["availability_chart"]

    def bucket(day: date) -> str:
        return {"day": f"{day:%Y-%m-%d}", "month": f"{day:%Y-%m}", "year": f"{day:%Y}"}[granularity]

    charging, down, capacity = Counter(), Counter(), Counter()
    raw = reference_days(ChargingOrder.objects.select_related("station"), key=lambda order: order.pile_id)
    guns = {pile.pk: pile.guns.count() for pile in piles}
    for (pile_id, day), figures in raw.items():
        if start <= day <= end and pile_id in guns:
            charging[bucket(day)] += figures["charging_seconds"]
    for day in PileDaily.objects.filter(pile__in=piles, date__range=(start, end)):
        down[bucket(day.date)] += day.offline_seconds * guns[day.pile_id] + day.faulted_seconds
    day = start
    while day <= end:
        for pile in piles:
            first, last = day_bounds(day, pile.station.time_zone)
            capacity[bucket(day)] += guns[pile.pk] * int((last - first).total_seconds())
        day += timedelta(days=1)
    labels = sorted(capacity)
    assert utilisation["labels"] == availability["labels"] == labels
    assert utilisation["datasets"][0]["data"] == [percent(charging[key], capacity[key]) for key in labels]
    assert availability["datasets"][0]["data"] == [100 - percent(down[key], capacity[key]) for key in labels]
    assert sum(charging.values()) and sum(down.values())


def test_usage_refuses_a_reversed_range(client, analyst, network):
    response = client.get("/analytics/usage/", {"start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


@pytest.fixture
def powered(operator, other_operator):
    station = StationFactory(area__operator=operator, time_zone="Europe/Berlin", name="Power Berlin")
    pile = PileFactory(station=station, rated_power_kw=Decimal("120.00"))
    gun1 = GunFactory(pile=pile, status=GunStatus.CHARGING, live_power_kw=Decimal("50.50"))
    gun2 = GunFactory(pile=pile, status=GunStatus.CHARGING, live_power_kw=Decimal("11.25"))
    other = GunFactory(pile__station__area__operator=other_operator, live_power_kw=Decimal("99.00"))
    return station, gun1, gun2, other


def test_live_power_is_the_sum_of_the_guns(client, analyst, powered):
    station, gun1, gun2, other = powered
    response = client.get("/analytics/power/")
    [row] = response.context["tables"][0]["table"].data
    assert row["station"] == station
    assert (row["live_kw"], row["charging"], row["guns"]) == (Decimal("61.75"), 2, 2)
    assert row["rated_kw"] == Decimal("120.00")
    assert response.context["live_kw"] == Decimal("61.75")
    assert 'data-refresh-every="5000"' in response.content.decode()


def test_todays_power_curve_averages_each_gun_and_sums_the_station(client, analyst, powered):
    station, gun1, gun2, other = powered
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    now = timezone.localtime(timezone.now(), zone)
    if now.hour == 0:
        pytest.skip("the first hour of the local day has no earlier step to test")
    step = now.replace(minute=(now.minute // 15) * 15, second=0, microsecond=0) - timedelta(minutes=30)
    PowerSampleFactory(gun=gun1, sampled_at=step + timedelta(minutes=1), power_kw=Decimal("10"))
    PowerSampleFactory(gun=gun1, sampled_at=step + timedelta(minutes=6), power_kw=Decimal("20"))
    PowerSampleFactory(gun=gun2, sampled_at=step + timedelta(minutes=14), power_kw=Decimal("7"))
    PowerSampleFactory(gun=gun2, sampled_at=step - timedelta(days=1), power_kw=Decimal("70"))  # yesterday
    PowerSampleFactory(gun=other, sampled_at=step, power_kw=Decimal("99"))  # another operator's
    response = client.get("/analytics/power/")
    chart = response.context["curve_chart"]
    [dataset] = chart["datasets"]
    assert dataset["label"] == station.name
    index = chart["labels"].index(f"{step:%H:%M}")
    assert dataset["data"][index] == 15 + 7
    assert sum(value for value in dataset["data"] if value) == 22
    assert dataset["data"][-1] is None or now.hour == 23  # the rest of today is still to come


def test_faults_by_pile_equal_the_alarms(client, analyst, network):
    piles = [pile for station in network.stations for pile in station.piles.all()]
    causes = list(FaultCause)
    for index, pile in enumerate(piles[:4]):
        for repeat in range(index + 1):
            AlarmFactory(
                pile=pile,
                cause=causes[repeat % len(causes)],
                occurred_at=datetime(2026, 2, 3, 12, tzinfo=zoneinfo.ZoneInfo("UTC")),
            )
    AlarmFactory(
        pile__station=network.other_station, occurred_at=datetime(2026, 2, 3, 12, tzinfo=zoneinfo.ZoneInfo("UTC"))
    )
    response = client.get("/analytics/faults/", {"start": "2026-02-01", "end": "2026-02-28"})
    rows = response.context["tables"][1]["table"].data
    expected = Counter(alarm.pile_id for alarm in piles[0].alarms.model.objects.filter(pile__in=piles))
    assert {row["pile"].pk: row["faults"] for row in rows} == dict(expected)
    assert [row["faults"] for row in rows] == sorted(expected.values(), reverse=True)


def test_pile_status_counts_and_drill_down(client, analyst, network):
    stations = network.stations
    piles = list(Pile.objects.filter(station__in=stations).prefetch_related("guns"))
    now = timezone.now()
    Pile.objects.filter(pk=piles[0].pk).update(registered_at=now, connected=True, last_seen_at=now)
    Pile.objects.filter(pk=piles[1].pk).update(registered_at=now, connected=False, last_seen_at=now)
    Pile.objects.filter(pk=piles[2].pk).update(registered_at=now, connected=True, last_seen_at=now)
    piles[2].guns.update(status=GunStatus.FAULTED)
    piles = list(Pile.objects.filter(station__in=stations).prefetch_related("guns"))
    expected = Counter((pile.station_id, pile.online_status) for pile in piles)

    response = client.get("/analytics/pile-status/")
    assert response.status_code == 200
    rows = {row["station"].pk: row for row in response.context["tables"][0]["table"].data}
    assert rows.keys() == {s.pk for s in stations if any(p.station_id == s.pk for p in piles)}
    for station_id, row in rows.items():
        for status in OnlineStatus:
            assert row[status.value] == expected[(station_id, status.value)]
        assert row["total"] == sum(1 for pile in piles if pile.station_id == station_id)
    assert response.context["counts"] == {
        "total": len(piles),
        **{status.value: sum(1 for pile in piles if pile.online_status == status) for status in OnlineStatus},
    }
    assert response.context["counts"]["fault"] == 1
    assert response.context["station_count"] == len(stations)
    assert f"?station={piles[2].station_id}&amp;status=fault" in response.content.decode()
    # The export holds the counts as numbers, not the links the page draws around them.
    export = client.get("/analytics/pile-status/", {"export": "xlsx", "table": "stations"})
    sheet = load_workbook(BytesIO(export.content)).active
    header = [cell.value for cell in sheet[1]]
    exported = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    station = piles[2].station
    assert exported[station.name][header.index("Fault")] == 1
    assert exported[station.name][header.index("Piles")] == rows[station.pk]["total"]

    response = client.get("/analytics/pile-status/", {"station": piles[2].station_id, "status": "fault"})
    assert [pile.pk for pile in response.context["tables"][1]["table"].data] == [piles[2].pk]
    response = client.get("/analytics/pile-status/", {"station": network.other_station.pk})
    assert "station" in response.context["form"].errors
    shown = {pile.station_id for pile in response.context["tables"][1]["table"].data}
    assert network.other_station.pk not in shown


def test_technicians_see_pile_status_but_no_revenue_pages(client, operator):
    client.force_login(UserFactory(operator=operator, role=Role.TECHNICIAN))
    assert client.get("/analytics/pile-status/").status_code == 200
    for url in ("/analytics/month-on-month/", "/analytics/year-on-year/", "/analytics/power/", "/analytics/usage/"):
        assert client.get(url).status_code == 403
    menu = client.get("/analytics/pile-status/").content.decode()
    assert "Pile status analysis" in menu and "Station usage rate" not in menu


def links_to(content: str, path: str) -> list[tuple[str, str]]:
    """(href, shown number) of every link of a page to the list at `path`."""
    return [
        (html.unescape(href), text) for href, text in re.findall(rf'<a href="({path}\?[^"]+)">([^<]+)</a>', content)
    ]


def test_station_counts_lead_to_the_rows_behind_them(client, admin_user, network):
    """Where a statistics table counts orders, faults or work orders of a station (or faults of
    a pile), the count links to that station's (pile's) rows of the range in their list, which
    holds as many."""
    client.force_login(admin_user)
    pile = network.orders[0].pile
    at = datetime(2026, 3, 29, 23, 30, tzinfo=zoneinfo.ZoneInfo(pile.station.time_zone))
    for status in [WorkOrderStatus.UNACCEPTED, WorkOrderStatus.ACCEPTED, WorkOrderStatus.ACCEPTED]:
        WorkOrderFactory(pile=pile, status=status, reported_at=at)
    WorkOrderFactory(pile=pile, reported_at=at + timedelta(days=1))  # the next local day
    AlarmFactory(pile=pile, occurred_at=at)
    AlarmFactory(pile=pile, occurred_at=at, cause=FaultCause.CONNECTOR)
    AlarmFactory(pile=pile, occurred_at=at - timedelta(days=1))
    rollups_rebuild()
    day = {"start": "2026-03-29", "end": "2026-03-29"}
    pages = [
        ("/analytics/faults/", day, "/maintenance/alarms/", {f"station={pile.station_id}": 2, f"pile={pile.pk}": 2}),
        ("/analytics/work-orders/", day, "/maintenance/work-orders/", {f"station={pile.station_id}": 3}),
        ("/analytics/month-on-month/", {"start": "2026-01-01", "end": "2026-01-31"}, "/orders/", None),
        ("/analytics/orders/", {"start": "2026-01-01", "end": "2026-01-31"}, "/orders/", None),
        ("/analytics/usage/", {"start": "2026-01-01", "end": "2026-01-31"}, "/orders/", None),
    ]
    for page, params, rows_path, totals in pages:
        links = links_to(client.get(page, params).content.decode(), rows_path)
        assert links, page
        for href, shown in links:
            listed = client.get(href).context["object_list"]
            assert listed.count() == int(shown.replace(",", "")), (page, href)
            query = dict(part.split("=") for part in href.split("?")[1].split("&"))
            if totals and "status" not in query:
                row = next(f"{key}={query[key]}" for key in ("station", "pile") if key in query)
                assert int(shown) == totals.pop(row)
        assert not totals, (page, totals)  # every row counted had its link
    # A status's count leads to the work orders in that status.
    links = links_to(client.get("/analytics/work-orders/", day).content.decode(), "/maintenance/work-orders/")
    accepted = [shown for href, shown in links if "status=accepted" in href]
    assert accepted == ["2"]
    [listed] = [client.get(href).context["object_list"] for href, _shown in links if "status=accepted" in href]
    assert {work_order.status for work_order in listed} == {WorkOrderStatus.ACCEPTED}


def test_counts_of_a_list_the_user_may_not_see_link_nowhere(client, operator, network):
    from django.contrib.auth.models import Group, Permission

    figures_only = Group.objects.create(name="Figures only")
    figures_only.permissions.add(Permission.objects.get(codename="view_stationdaily"))
    user = UserFactory(operator=operator)
    user.groups.add(figures_only)
    client.force_login(user)
    response = client.get("/analytics/orders/", {"start": "2026-01-01", "end": "2026-01-31"})
    assert response.status_code == 200
    assert response.context["tables"][0]["table"].data and not links_to(response.content.decode(), "/orders/")


STATISTICS_PAGES = [
    "/",
    "/analytics/orders/",
    "/analytics/energy/",
    "/analytics/amount/",
    "/analytics/month-on-month/",
    "/analytics/year-on-year/",
    "/analytics/power/",
    "/analytics/usage/",
    "/analytics/faults/",
    "/analytics/pile-status/",
    "/analytics/work-orders/",
    "/analytics/work-orders/people/",
]


@pytest.mark.parametrize("page", STATISTICS_PAGES)
def test_every_sortable_column_of_a_statistics_table_sorts_both_ways(operator_client, network, page):
    """The page answers with all of the table's rows, sorted by the column asked for (the order
    itself is held to django-tables2's by test_rendering's tests of `RowList`)."""
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    tables = operator_client.get(page, params).context["tables"]
    sorted_columns = 0
    for entry in tables:
        table = entry["table"]
        rows = len(table.data)
        for column in (column for column in table.columns if column.orderable):
            for order in (column.name, f"-{column.name}"):
                response = operator_client.get(page, {**params, table.prefixed_order_by_field: order})
                assert response.status_code == 200, (page, order)
                shown = next(shown["table"] for shown in response.context["tables"] if shown["name"] == entry["name"])
                assert len(shown.data) == rows and shown.order_by == (order,), (page, order)
            sorted_columns += 1
    assert sorted_columns or not any(entry["table"].orderable for entry in tables)


def test_a_stations_export_keeps_the_order_the_table_was_sorted_by(operator_client, network):
    params = {"start": "2026-01-01", "end": "2026-01-31", "table": "stations", "export": "xlsx"}
    for order, descending in (("amount", False), ("-amount", True)):
        export = operator_client.get("/analytics/amount/", {**params, "sort": order})
        header, *rows = load_workbook(BytesIO(export.content)).active.values
        amounts = [row[header.index("Amount")] for row in rows]
        assert len(set(amounts)) > 1 and amounts == sorted(amounts, reverse=descending)
