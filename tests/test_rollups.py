import random
import threading
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.db.utils import load_backend
from django.utils import timezone

from analytics.models import (
    PileDaily,
    PileMonthly,
    RollupMark,
    StationDaily,
    StationFaultDaily,
    StationMonthly,
    StationRollup,
)
from analytics.services import day_bounds, rollup_days_close, rollup_mark_since, rollups_rebuild, rollups_update
from analytics.tasks import rollups_update_task
from chargeops.db import rows_with_sql, shared_ids_sql
from maintenance.choices import AlarmStatus, ErrorCode, FaultCause
from maintenance.services import alarm_raise
from orders.models import ChargingOrder
from orders.services import StartReport, StopReport, order_starts, order_stops
from piles.choices import GunStatus, OnlineStatus
from piles.models import StatusChange

from .analytics_data import FIGURES, network_build, order_local_date, reference_days
from .factories import AlarmFactory, GunFactory, PileFactory, StationFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def rolled(model, names=FIGURES) -> dict[tuple, dict]:
    """A roll-up table's rows: (station or pile, date) -> the columns `names`."""
    owner = "pile_id" if hasattr(model, "pile_id") else "station_id"
    return {
        (getattr(row, owner), row.date): {name: getattr(row, name) for name in names} for row in model.objects.all()
    }


def months_of(days: dict[tuple, dict]) -> dict[tuple, dict]:
    """Daily figures summed per station (or pile) and calendar month (keyed by its first day)."""
    months: dict[tuple, dict] = {}
    for (owner_id, day), figures in days.items():
        month = months.setdefault((owner_id, day.replace(day=1)), dict.fromkeys(figures, 0))
        for name, value in figures.items():
            month[name] += value
    return months


PILE_FIGURES = [*FIGURES, "offline_seconds", "faulted_seconds"]


def raw_orders():
    return list(ChargingOrder.objects.select_related("station"))


@pytest.fixture
def network(operator, other_operator):
    return network_build(operator, other_operator)


def test_day_bounds_follow_the_station_clock_change():
    short = day_bounds(date(2026, 3, 29), "Europe/Berlin")
    long = day_bounds(date(2026, 10, 25), "Europe/Berlin")
    assert short[1] - short[0] == timedelta(hours=23)
    assert long[1] - long[0] == timedelta(hours=25)
    assert day_bounds(date(2026, 10, 25), "Asia/Shanghai")[0] == datetime(2026, 10, 24, 16, tzinfo=UTC)


def test_rollups_equal_the_orders_summed_by_station_and_local_day(network):
    rollups_update()
    assert rolled(StationDaily) == reference_days(raw_orders())
    assert rolled(StationMonthly) == months_of(reference_days(raw_orders()))
    assert rolled(PileDaily) == reference_days(raw_orders(), key=lambda o: o.pile_id)
    assert rolled(PileMonthly, PILE_FIGURES) == months_of(rolled(PileDaily, PILE_FIGURES))
    assert not RollupMark.objects.exists()


def test_an_order_belongs_to_the_day_it_started_on(network):
    rollups_update()
    station = network.stations[0]
    spanning = ChargingOrder.objects.get(
        station=station, started_at=datetime(2026, 2, 14, 22, 30, tzinfo=UTC), stopped_at__isnull=False
    )
    day = [o for o in raw_orders() if o.station_id == station.pk and order_local_date(o) == date(2026, 2, 14)]
    assert spanning in day and spanning.stopped_at.astimezone(BERLIN).date() == date(2026, 2, 15)
    row = StationDaily.objects.get(station=station, date=date(2026, 2, 14))
    assert row.orders == len(day)
    assert row.charging_seconds == sum(int(o.stopped_at.timestamp()) - int(o.started_at.timestamp()) for o in day)


def test_the_23_and_25_hour_days_hold_exactly_their_orders(network):
    rollups_update()
    expected = reference_days(raw_orders())
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        station = network.stations[0]
        start, end = day_bounds(day, "Europe/Berlin")
        count = ChargingOrder.objects.filter(station=station, started_at__gte=start, started_at__lt=end).count()
        assert (
            StationDaily.objects.get(station=station, date=day).orders == count == expected[(station.pk, day)]["orders"]
        )


def test_running_twice_changes_nothing(network):
    rollups_rebuild()
    first = rolled(StationDaily), rolled(PileDaily)
    rollups_rebuild()
    rollups_update()
    assert (rolled(StationDaily), rolled(PileDaily)) == first


def test_a_late_order_and_an_edited_order_recompute_their_days(network):
    rollups_update()
    station = network.stations[1]
    gun = network.orders[0].gun
    # Arrives today, started last January: only that day and the edited order's days change.
    late = ChargingOrder.objects.create(
        number="LATE-1",
        station=gun.pile.station,
        pile=gun.pile,
        gun=gun,
        started_at=datetime(2026, 1, 5, 8, tzinfo=UTC),
        stopped_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        energy_kwh=Decimal("12.345"),
        amount=Decimal("9.99"),
        payment_method="app",
        status="completed",
    )
    edited = ChargingOrder.objects.filter(station=station).first()
    old_day = edited.started_at
    edited.started_at = old_day - timedelta(days=40)
    edited.stopped_at = edited.started_at + timedelta(minutes=20)
    edited.amount += Decimal("1.01")
    edited.save()
    assert RollupMark.objects.count() == 3
    assert rollups_update() == 3
    assert rolled(StationDaily) == reference_days(raw_orders())
    assert rolled(StationMonthly) == months_of(reference_days(raw_orders()))
    assert rolled(StationMonthly)[(gun.pile.station_id, date(2026, 1, 1))]["orders"] > 0
    late.delete()
    rollups_update()
    assert rolled(StationDaily) == reference_days(raw_orders())
    assert rolled(StationMonthly) == months_of(reference_days(raw_orders()))


def test_gateway_starts_and_stops_mark_the_local_day(operator):
    station = StationFactory(area__operator=operator, time_zone="Asia/Shanghai")
    gun = GunFactory(pile=PileFactory(station=station), connector_id=1)
    # 17:30 UTC is 01:30 the next day in Shanghai.
    at = datetime(2026, 6, 30, 17, 30, tzinfo=UTC)
    [(transaction_id, _info)] = order_starts(
        items=[StartReport(pile=gun.pile, connector_id=1, id_tag="ABC", meter_start_wh=0, at=at)]
    )
    rollups_update()
    assert StationDaily.objects.get(station=station, date=date(2026, 7, 1)).orders == 1
    order_stops(
        items=[StopReport(pile=gun.pile, transaction_id=transaction_id, meter_stop_wh=7500, at=at + timedelta(hours=1))]
    )
    assert list(RollupMark.objects.values_list("station", "date")) == [(station.pk, date(2026, 7, 1))]
    rollups_update()
    row = StationDaily.objects.get(station=station, date=date(2026, 7, 1))
    assert (row.orders, row.energy_kwh, row.charging_seconds) == (1, Decimal("7.500"), 3600)


def test_faults_are_counted_per_station_day_and_cause(operator):
    station = StationFactory(area__operator=operator, time_zone="Europe/Berlin")
    gun = GunFactory(pile=PileFactory(station=station), connector_id=1)
    night = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # 00:30 on the 25th in Berlin
    alarm_raise(pile=gun.pile, gun=gun, error_code=ErrorCode.GROUND_FAILURE, at=night)
    alarm_raise(pile=gun.pile, gun=gun, error_code=ErrorCode.GROUND_FAILURE, at=night + timedelta(minutes=5))
    alarm_raise(pile=gun.pile, gun=gun, error_code=ErrorCode.HIGH_TEMPERATURE, at=night + timedelta(hours=2))
    AlarmFactory(pile=gun.pile, occurred_at=night - timedelta(hours=1), cause=FaultCause.METER)
    rollups_rebuild()
    rows = set(StationFaultDaily.objects.values_list("date", "cause", "faults"))
    assert rows == {
        (date(2026, 10, 25), FaultCause.GROUND_FAULT, 1),  # the repeat is counted on the alarm, not as a fault
        (date(2026, 10, 25), FaultCause.OVER_TEMPERATURE, 1),
        (date(2026, 10, 24), FaultCause.METER, 1),
    }


def change(pile, status, at, gun=None):
    return StatusChange.objects.create(pile=pile, gun=gun, status=status, at=at)


def test_downtime_comes_from_the_status_history_on_a_25_hour_day(operator):
    station = StationFactory(area__operator=operator, time_zone="Europe/Berlin")
    pile = PileFactory(station=station)
    gun = GunFactory(pile=pile, connector_id=1)
    day = date(2026, 10, 25)
    start, end = day_bounds(day, "Europe/Berlin")
    change(pile, OnlineStatus.ONLINE, start - timedelta(days=3))
    change(pile, OnlineStatus.OFFLINE, start - timedelta(hours=2))  # offline over midnight
    change(pile, OnlineStatus.ONLINE, start + timedelta(hours=1))
    change(pile, GunStatus.FAULTED, start + timedelta(hours=10), gun=gun)
    change(pile, OnlineStatus.OFFLINE, start + timedelta(hours=11))  # offline while faulted
    change(pile, OnlineStatus.ONLINE, start + timedelta(hours=12))
    change(pile, GunStatus.AVAILABLE, start + timedelta(hours=13), gun=gun)
    change(pile, OnlineStatus.OFFLINE, end - timedelta(minutes=30))  # and into the next day
    change(pile, OnlineStatus.ONLINE, end + timedelta(minutes=15))
    rollups_rebuild(now=end + timedelta(days=2))
    row = PileDaily.objects.get(pile=pile, date=day)
    assert row.offline_seconds == 3600 + 3600 + 1800
    assert row.faulted_seconds == 3 * 3600 - 3600
    previous = PileDaily.objects.get(pile=pile, date=day - timedelta(days=1))
    following = PileDaily.objects.get(pile=pile, date=day + timedelta(days=1))
    assert (previous.offline_seconds, following.offline_seconds) == (7200, 900)


def test_an_outage_with_no_further_report_counts_on_every_day_it_lasts(operator):
    station = StationFactory(area__operator=operator, time_zone="Asia/Shanghai")
    pile = PileFactory(station=station)
    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 5, 10, 12, tzinfo=zone)
    change(pile, OnlineStatus.OFFLINE, datetime(2026, 5, 6, 18, tzinfo=zone))
    rollup_days_close(now=datetime(2026, 5, 7, 1, tzinfo=zone))
    rollups_update(now=datetime(2026, 5, 7, 1, tzinfo=zone))
    assert PileDaily.objects.get(pile=pile, date=date(2026, 5, 6)).offline_seconds == 6 * 3600
    # Nothing is reported for three days; closing each day counts it whole.
    assert rollup_days_close(now=now) == 3
    rollups_update(now=now)
    assert [row.offline_seconds for row in PileDaily.objects.filter(pile=pile).order_by("date")] == [
        6 * 3600,
        86400,
        86400,
        86400,
    ]
    assert rollup_days_close(now=now) == 0


def reference_downtime(piles, zone: zoneinfo.ZoneInfo, now: datetime, days: list[date]) -> dict[tuple, tuple]:
    """(pile id, day) -> (offline, faulted) seconds from the status history, worked out here:
    each connection's and each gun's changes in order of time and id, each status lasting
    until the next change of the same connection or gun (the last until `now`); a gun's
    faulted time while its pile was offline counts as offline only."""

    def spells(changes, status):
        ordered = sorted(changes, key=lambda change: (change.at, change.pk))
        ends = [change.at for change in ordered[1:]] + [now]
        return [(change.at, end) for change, end in zip(ordered, ends, strict=True) if change.status == status]

    def seconds(start, end):
        return max(0, int((end - start).total_seconds()))

    downtime = {}
    for pile in piles:
        changes = list(StatusChange.objects.filter(pile=pile))
        off = spells([change for change in changes if change.gun_id is None], OnlineStatus.OFFLINE)
        faulted = [
            spell
            for gun in pile.guns.all()
            for spell in spells([change for change in changes if change.gun_id == gun.pk], GunStatus.FAULTED)
        ]
        for day in days:
            first, last = day_bounds(day, str(zone))
            offline = sum(seconds(max(start, first), min(end, last)) for start, end in off)
            alone = 0
            for start, end in faulted:
                start, end = max(start, first), min(end, last)
                alone += seconds(start, end) - sum(seconds(max(start, a), min(end, b)) for a, b in off)
            downtime[(pile.pk, day)] = (offline, alone)
    return downtime


def test_downtime_of_each_day_follows_each_connection_and_gun_to_its_next_change(operator):
    """Spells that began days before the day, a gun's many statuses between its faults, a
    connection's changes far apart while its guns change often, and changes at the same
    instant (ordered by id): the incremental path and the full rebuild give the downtime
    worked out from the history itself."""
    station = StationFactory(area__operator=operator, time_zone="Europe/Berlin")
    piles = [PileFactory(station=station) for _ in range(2)]
    guns = [GunFactory(pile=pile, connector_id=n) for pile in piles for n in (1, 2)]
    rng = random.Random(7)
    begin = datetime(2026, 10, 20, tzinfo=BERLIN)
    now = datetime(2026, 11, 3, 15, 30, tzinfo=BERLIN)
    for pile in piles:
        change(pile, OnlineStatus.ONLINE, begin - timedelta(days=30))
        at = begin
        while at < now - timedelta(days=1):
            change(pile, rng.choice([OnlineStatus.OFFLINE, OnlineStatus.ONLINE]), at)
            at += timedelta(seconds=rng.randrange(600, 5 * 86400))
    statuses = [GunStatus.PREPARING, GunStatus.CHARGING, GunStatus.FINISHING, GunStatus.AVAILABLE, GunStatus.FAULTED]
    for gun in guns:
        at = begin - timedelta(days=2)
        while at < now - timedelta(hours=3):
            status = rng.choice(statuses)
            change(gun.pile, status, at, gun=gun)
            if rng.random() < 0.2:  # reported again at the same instant: the later one holds
                change(gun.pile, rng.choice(statuses), at, gun=gun)
            at += timedelta(seconds=rng.randrange(60, 86400 if status == GunStatus.FAULTED else 4 * 3600))
    # A pile offline since days before the last days, with its guns still reporting.
    change(piles[0], OnlineStatus.OFFLINE, now - timedelta(days=3))
    days = [date(2026, 10, 18) + timedelta(days=n) for n in range(17)]
    expected = reference_downtime(piles, BERLIN, now, days)
    assert sum(offline for offline, _faulted in expected.values()) > 0
    assert sum(faulted for _offline, faulted in expected.values()) > 0

    def downtime():
        rows = PileDaily.objects.filter(pile__in=piles, date__in=days)
        found = {(row.pile_id, row.date): (row.offline_seconds, row.faulted_seconds) for row in rows}
        return {key: found.get(key, (0, 0)) for key in expected}

    rollup_mark_since(station=station, since=day_bounds(days[0], "Europe/Berlin")[0], now=now)
    rollups_update(now=now)
    assert downtime() == expected
    # One late day alone, in the middle of spells that began before it.
    PileDaily.objects.all().delete()
    rollup_mark_since(station=station, since=now - timedelta(days=2), now=now)
    rollups_update(now=now)
    late = {key: value for key, value in downtime().items() if key[1] >= days[-3]}
    assert late == {key: value for key, value in expected.items() if key[1] >= days[-3]}
    PileDaily.objects.all().delete()
    rollups_rebuild(now=now)
    assert downtime() == expected


def test_the_rollup_command_runs_full_since_and_incremental(network, capsys):
    call_command("rollup", "--full")
    assert rolled(StationDaily) == reference_days(raw_orders())
    StationDaily.objects.filter(date__gte=date(2026, 6, 1)).delete()
    call_command("rollup", "--since", "2026-06-01")
    assert rolled(StationDaily) == reference_days(raw_orders())
    call_command("rollup")
    assert "station-days" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
def test_two_runs_at_once_give_the_same_rows_as_one(operator, other_operator):
    network_build(operator, other_operator, orders_per_gun=60)
    errors = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            rollups_update()
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert rolled(StationDaily) == reference_days(raw_orders())
    assert not RollupMark.objects.exists()


def test_the_periodic_task_closes_yesterday_and_recomputes_the_marked_days(network):
    assert RollupMark.objects.exists()
    assert rollups_update_task() > 0
    assert rolled(StationDaily) == reference_days(raw_orders())
    assert StationRollup.objects.count() == len(network.stations) + 1


ROLLUPS = (StationDaily, StationMonthly, PileDaily, PileMonthly, StationFaultDaily)


def all_rows() -> dict:
    """Every roll-up row with every column, per table."""

    def rows(model, *key):
        fields = [field.attname for field in model._meta.concrete_fields if field.attname != "id"]
        return {tuple(row[k] for k in key): row for row in model.objects.values(*fields)}

    return {
        "stations": rows(StationDaily, "station_id", "date"),
        "months": rows(StationMonthly, "station_id", "date"),
        "piles": rows(PileDaily, "pile_id", "date"),
        "pile months": rows(PileMonthly, "pile_id", "date"),
        "faults": rows(StationFaultDaily, "station_id", "date", "cause"),
    }


def test_a_full_rebuild_equals_recomputing_every_day_by_itself(network):
    """The rebuild computes all days in one pass per table (on PostgreSQL); the incremental
    path one statement per batch of marked days. Both give the same rows to the second."""
    now = timezone.now()
    rng = random.Random(3)
    causes = list(FaultCause)
    for station in network.stations + [network.other_station]:
        for pile in station.piles.all():
            gun = pile.guns.first()
            at = datetime(2025, 12, 25, tzinfo=UTC)
            while at < now - timedelta(days=2):
                StatusChange.objects.create(
                    pile=pile, status=rng.choice([OnlineStatus.ONLINE, OnlineStatus.OFFLINE]), at=at
                )
                StatusChange.objects.create(
                    pile=pile,
                    gun=gun,
                    status=rng.choice([GunStatus.FAULTED, GunStatus.AVAILABLE]),
                    at=at + timedelta(hours=rng.uniform(0, 30)),
                )
                AlarmFactory(
                    pile=pile,
                    gun=gun,
                    status=AlarmStatus.CLEARED,
                    cause=rng.choice(causes),
                    occurred_at=at + timedelta(hours=rng.uniform(0, 48)),
                )
                at += timedelta(hours=rng.uniform(6, 24 * 12))
    RollupMark.objects.all().delete()
    for station in network.stations + [network.other_station]:
        rollup_mark_since(station=station, since=datetime(2025, 11, 1, tzinfo=UTC), now=now)
    rollups_update(now=now)
    by_day = all_rows()
    assert sum(row["offline_seconds"] for row in by_day["piles"].values()) > 0
    assert sum(row["faulted_seconds"] for row in by_day["piles"].values()) > 0

    assert by_day["months"]
    assert rolled(PileMonthly, PILE_FIGURES) == months_of(rolled(PileDaily, PILE_FIGURES))
    for model in ROLLUPS:
        model.objects.all().delete()
    rollups_rebuild(now=now)
    assert all_rows() == by_day
    for model in ROLLUPS:
        model.objects.filter(date__gte=date(2026, 3, 29)).delete()
    rollups_rebuild(since=date(2026, 3, 29), now=now)
    assert all_rows() == by_day


def test_a_pile_day_and_a_station_day_are_unique_and_deleted_with_their_pile_and_station(operator):
    """The roll-ups keep no foreign key constraint in the database (a rebuild would check one
    per row): their unique constraints, covering on PostgreSQL, hold one row per day on every
    database, and Django's cascade deletes them with their pile or station."""
    pile = PileFactory(station__area__operator=operator)
    PileDaily.objects.create(pile=pile, date=date(2026, 3, 1), orders=1)
    StationDaily.objects.create(station=pile.station, date=date(2026, 3, 1), orders=1)
    for model, owner in ((PileDaily, {"pile": pile}), (StationDaily, {"station": pile.station})):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.create(date=date(2026, 3, 1), orders=2, **owner)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'pile_daily_unique'")
            assert "INCLUDE (orders, charging_seconds, offline_seconds, faulted_seconds)" in cursor.fetchone()[0]
    pile.delete()
    assert not PileDaily.objects.exists() and StationDaily.objects.exists()
    pile.station.delete()
    assert not StationDaily.objects.exists()


@pytest.mark.django_db
def test_the_covering_unique_constraint_is_a_plain_unique_one_on_sqlite():
    """SQLite has no covering indexes: Django would make no constraint there and warn about
    it; the pile days' constraint is a plain unique index there, and no warning."""
    settings = {**connections["default"].settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    sqlite = load_backend("django.db.backends.sqlite3").DatabaseWrapper(settings, alias="covering_check")
    [constraint] = PileDaily._meta.constraints
    sql = str(constraint.create_sql(PileDaily, sqlite.SchemaEditorClass(sqlite, collect_sql=True)))
    assert "UNIQUE" in sql and '"pile_id", "date"' in sql and "INCLUDE" not in sql
    assert constraint._check(PileDaily, sqlite) == []
    sqlite.close()


@pytest.mark.django_db
@pytest.mark.parametrize("ids", [[], [2], [1, 3, 1000]])
def test_the_ids_a_statement_shares_are_tested_alike_by_each_of_its_parts(ids):
    with_ids, in_ids, params = shared_ids_sql(ids)
    parts = [f"SELECT n FROM (SELECT {n} AS n) one WHERE {in_ids.format(column='n')}" for n in (1, 2, 3)]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {with_ids} {' UNION ALL '.join(parts)}", params)
        assert sorted(n for (n,) in cursor.fetchall()) == [n for n in (1, 2, 3) if n in ids]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [[], [(2, 1)], [(1, 2), (3, 0), (1000, 5)]])
def test_rows_a_statement_is_given_come_back_as_given(rows):
    with_rows, params = rows_with_sql("g", ("pile_id", "n"), rows)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {with_rows} SELECT pile_id, n FROM g", params)
        assert sorted(cursor.fetchall()) == sorted(rows)
