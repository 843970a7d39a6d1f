"""Roll-ups: every station's and pile's figures per local day, kept current incrementally.

Whatever changes an order, an alarm or a pile's status history marks the station's local day
(`rollup_mark`) in the same transaction. `rollups_update` recomputes the marked days, each
roll-up table with one set-based statement over a batch of days (delete the days' rows, insert
them again from the raw rows) and deletes exactly the marks it read: a change committed while a
run is in progress leaves its own mark for the next run. Two runs at once are serialised by a
PostgreSQL advisory lock (SQLite serialises writers itself), so running twice gives the same rows.

An order belongs to the local day it started on, with all of its energy, fee and charging time,
also when it ends after midnight. A day is the station's calendar day in its time zone: 23 or
25 hours long when the clocks change.
"""

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import BigIntegerField, Func, OuterRef, Q, Subquery
from django.utils import timezone

from chargeops.db import rows_insert
from maintenance.models import Alarm
from orders.models import ChargingOrder
from piles.choices import GunStatus, OnlineStatus
from piles.models import Gun, Pile, StatusChange
from stations.models import Station

from .models import (
    PileDaily,
    PileMonthly,
    RollupMark,
    StationDaily,
    StationFaultDaily,
    StationMonthly,
    StationRollup,
)

# Days per statement: a VALUES list of this many keys (6 parameters each).
DAYS_PER_STATEMENT = 1000
# Marks read per transaction; a full rebuild commits in steps of this many station-days.
MARKS_PER_RUN = 20000
# The advisory lock key of roll-up runs on PostgreSQL ("rollup" in ASCII).
ROLLUP_LOCK = 0x726F6C6C7570
DAY = timedelta(days=1)


@lru_cache(maxsize=1024)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_date(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(_zone(time_zone)).date()


def day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """The UTC instants a station's local day starts and ends at."""
    zone = _zone(time_zone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + DAY, time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def rollup_mark(*, moments: Iterable[tuple[Station, datetime]]) -> None:
    """Mark the local days of these (station, moment) pairs for the next roll-up run."""
    days = {(station.pk, local_date(moment, station.time_zone)) for station, moment in moments}
    rows_insert(RollupMark, ["station", "date"], sorted(days))


def rollup_mark_since(*, station: Station, since: datetime, now: datetime | None = None) -> None:
    """Mark every local day from `since` through today: a status report that arrives late
    changes the downtime of each day until the next report."""
    first = local_date(since, station.time_zone)
    last = local_date(now or timezone.now(), station.time_zone)
    rows_insert(
        RollupMark, ["station", "date"], [(station.pk, first + n * DAY) for n in range((last - first).days + 1)]
    )


def rollup_days_close(*, now: datetime | None = None) -> int:
    """Mark each station's local days that ended since the roll-ups last closed them, so that
    an outage or a fault lasting through a whole day without a new report still counts on it.
    Returns how many days were marked."""
    now = now or timezone.now()
    closed = dict(StationRollup.objects.values_list("station_id", "closed_through"))
    marks, states = [], []
    for station_id, time_zone in Station.objects.values_list("pk", "time_zone"):
        yesterday = local_date(now, time_zone) - DAY
        through = closed.get(station_id)
        if through is not None and through >= yesterday:
            continue
        first = yesterday if through is None else through + DAY
        marks += [(station_id, first + n * DAY) for n in range((yesterday - first).days + 1)]
        states.append(StationRollup(station_id=station_id, closed_through=yesterday))
    _marks_write(marks, states)
    return len(marks)


@transaction.atomic
def _marks_write(marks: list[tuple[int, date]], states: list[StationRollup]) -> None:
    """Mark (station, day) pairs and record through which day each station's days are closed."""
    rows_insert(RollupMark, ["station", "date"], marks)
    StationRollup.objects.bulk_create(
        states, update_conflicts=True, unique_fields=["station"], update_fields=["closed_through"]
    )


def rollup_days_down(*, now: datetime | None = None) -> int:
    """Mark today at each station with a pile that is down now (disconnected, or a gun
    faulted), so that its downtime today grows with every run and not only with its next
    report. Returns how many days were marked."""
    now = now or timezone.now()
    down = Pile.objects.filter(registered_at__isnull=False).filter(
        Q(connected=False) | Q(guns__status=GunStatus.FAULTED)
    )
    stations = Station.objects.filter(pk__in=down.values("station")).values_list("pk", "time_zone")
    marks = [(station_id, local_date(now, time_zone)) for station_id, time_zone in stations]
    _marks_write(marks, [])
    return len(marks)


def rollups_refresh(*, now: datetime | None = None) -> int:
    """What runs every minute: close the days that ended, bring today's downtime up to date,
    then recompute every marked day. Returns how many station-days were recomputed."""
    rollup_days_close(now=now)
    rollup_days_down(now=now)
    return rollups_update(now=now)


def rollups_update(*, now: datetime | None = None) -> int:
    """Recompute every marked station-day. Returns how many station-days were recomputed."""
    now = now or timezone.now()
    recomputed = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])
            marks = list(RollupMark.objects.order_by("pk").values_list("pk", "station_id", "date")[:MARKS_PER_RUN])
            days = sorted({(station_id, day) for _pk, station_id, day in marks})
            _days_recompute(days, now)
            pks = [pk for pk, _station, _day in marks]
            for start in range(0, len(pks), 10000):
                RollupMark.objects.filter(pk__in=pks[start : start + 10000]).delete()
        recomputed += len(days)
        if len(marks) < MARKS_PER_RUN:
            return recomputed


def rollups_rebuild(*, since: date | None = None, now: datetime | None = None) -> int:
    """Recompute every station's days from `since` (or from its first order, alarm, status
    report or roll-up row) through today, and close the days up to yesterday. Returns how many
    station-days were recomputed."""
    now = now or timezone.now()
    zones = dict(Station.objects.values_list("pk", "time_zone"))
    if since is None:
        firsts: dict[int, date] = {}
        for station_id, first in _first_days(zones):
            firsts[station_id] = min(first, firsts.get(station_id, first))
    else:
        firsts = dict.fromkeys(zones, since)
    marks = []
    states = []
    for station_id, first in firsts.items():
        today = local_date(now, zones[station_id])
        marks += [(station_id, first + n * DAY) for n in range((today - first).days + 1)]
        states.append(StationRollup(station_id=station_id, closed_through=today - DAY))
    if connection.vendor != "postgresql":
        _marks_write(marks, states)
        return rollups_update(now=now)
    # PostgreSQL converts to local days itself: one pass over each table instead of a
    # statement per thousand station-days.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])
            for sql in _rebuild_sql():
                cursor.execute(sql, {"since": since, "now": int(now.timestamp())})
        _marks_write([], states)
    return len(marks)


def _first_days(zones: dict[int, str]) -> Iterable[tuple[int, date]]:
    """(station, first local day) of every kind of row the roll-ups are made of."""
    # Each station's or pile's earliest row, one step down its (owner, time) index each: a
    # MIN per owner would read the whole table (millions of orders and status changes).
    owners = {"station": (Station, "pk"), "pile": (Pile, "station")}
    kinds = [
        (ChargingOrder, "station", "started_at"),
        (Alarm, "pile", "occurred_at"),
        (StatusChange, "pile", "at"),
        (StationDaily, "station", "date"),
        (StationFaultDaily, "station", "date"),
        (PileDaily, "pile", "date"),
    ]
    for model, owner, field in kinds:
        owner_model, station = owners[owner]
        rows = owner_model.objects.annotate(first=_earliest(model, owner, field)).values_list(station, "first")
        for station_id, first in rows.order_by():
            if first is not None:
                yield station_id, local_date(first, zones[station_id]) if isinstance(first, datetime) else first


def _earliest(model, owner: str, field: str) -> Subquery:
    """The earliest `field` of `model`'s rows of the outer row (`owner` its foreign key)."""
    return Subquery(model.objects.filter(**{owner: OuterRef("pk")}).order_by(field).values(field)[:1])


# --- the statements ---------------------------------------------------------------------------
#
# Each runs over a batch of station-days given as a VALUES list `k` of (station_id, day, s, e,
# s_ep, e_ep): the day's UTC bounds as times (to use the indexes on start times) and as epoch
# seconds (for the downtime arithmetic). The few expressions PostgreSQL and SQLite spell
# differently come from `Dialect`.


# A time as whole epoch seconds: durations are counted in seconds of the clock, the same on both
# databases. SQLite's date functions round to milliseconds, so the text (stored as
# "YYYY-MM-DD HH:MM:SS.ffffff") is cut to its whole seconds first.
EPOCH_POSTGRESQL = "CAST(EXTRACT(EPOCH FROM date_trunc('second', %(expressions)s)) AS BIGINT)"
EPOCH_SQLITE = "CAST(ROUND((julianday(substr(%(expressions)s, 1, 19)) - 2440587.5) * 86400) AS INTEGER)"


class EpochSeconds(Func):
    """`EPOCH_*` as an ORM expression, for the live figures that must match the roll-ups."""

    output_field = BigIntegerField()
    template = EPOCH_SQLITE

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=EPOCH_POSTGRESQL, **extra_context)


class Dialect:
    """What PostgreSQL and SQLite spell differently in the roll-ups' statements and the
    statistics' reads of them."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.greatest, self.least = ("GREATEST", "LEAST") if self.postgres else ("MAX", "MIN")

    def epoch(self, expr: str) -> str:
        return (EPOCH_POSTGRESQL if self.postgres else EPOCH_SQLITE) % {"expressions": expr}

    def money(self, expr: str, places: int) -> str:
        """An amount to sum: SQLite keeps decimals as floats, so it sums whole cents (or Wh)
        exactly and `money_total` scales the total back."""
        return expr if self.postgres else f"CAST(ROUND({expr} * {10**places}) AS INTEGER)"

    def money_total(self, expr: str, places: int) -> str:
        return expr if self.postgres else f"({expr}) / {10**places}.0"

    def overlap(self, *intervals: tuple[str, str]) -> str:
        """Seconds the intervals (start, end) have in common, or 0."""
        starts = ", ".join(start for start, _end in intervals)
        ends = ", ".join(end for _start, end in intervals)
        return f"{self.greatest}(0, {self.least}({ends}) - {self.greatest}({starts}))"

    def keys(self, count: int) -> str:
        row = "(%s, %s, %s, %s, %s, %s)"
        first = "(%s::bigint, %s::date, %s::timestamptz, %s::timestamptz, %s::bigint, %s::bigint)"
        rows = [first if self.postgres else row] + [row] * (count - 1)
        return f"k (station_id, day, s, e, s_ep, e_ep) AS (VALUES {', '.join(rows)})"


# Money and energy columns of the figures: (column, decimal places).
FIGURES = [("energy_kwh", 3), ("electricity_fee", 2), ("service_fee", 2), ("amount", 2)]


FIGURE_COLUMNS = "orders, energy_kwh, electricity_fee, service_fee, amount, charging_seconds"
DOWNTIME_COLUMNS = "offline_seconds, faulted_seconds"


def _order_figures(d: Dialect, alias: str, *, named: bool = False) -> str:
    """COUNT and SUMs of the orders joined as `alias`, in the column order of DailyFigures
    (`named`: each under its column's name)."""
    sums = [d.money_total(f"SUM({d.money(f'{alias}.{column}', places)})", places) for column, places in FIGURES]
    seconds = (
        f"CAST(COALESCE(ROUND(SUM({d.epoch(f'{alias}.stopped_at')} - {d.epoch(f'{alias}.started_at')})), 0) AS BIGINT)"
    )
    expressions = ["COUNT(*)", *sums, seconds]
    if named:
        expressions = [f"{sql} AS {name}" for sql, name in zip(expressions, FIGURE_COLUMNS.split(", "), strict=True)]
    return ", ".join(expressions)


def _station_days_sql(d: Dialect, count: int) -> list[str]:
    table = StationDaily._meta.db_table
    orders = ChargingOrder._meta.db_table
    return [
        f"WITH {d.keys(count)} DELETE FROM {table} "
        f"WHERE EXISTS (SELECT 1 FROM k WHERE k.station_id = {table}.station_id AND k.day = {table}.date)",
        f"WITH {d.keys(count)} INSERT INTO {table} (station_id, date, {FIGURE_COLUMNS}) "
        f"SELECT k.station_id, k.day, {_order_figures(d, 'o')} "
        f"FROM k JOIN {orders} o ON o.station_id = k.station_id AND o.started_at >= k.s AND o.started_at < k.e "
        f"GROUP BY k.station_id, k.day",
    ]


def _months_sql(d: Dialect, count: int) -> list[str]:
    """Each month of a batch, given as a VALUES list `m` of (station_id, first day, last day),
    summed again from its daily rows: the station's month and each of its piles' months."""
    first = "(%s::bigint, %s::date, %s::date)" if d.postgres else "(%s, %s, %s)"
    keys = f"m (station_id, first, last) AS (VALUES {', '.join([first] + ['(%s, %s, %s)'] * (count - 1))})"
    sums = [d.money_total(f"SUM({d.money(f'dd.{column}', places)})", places) for column, places in FIGURES]
    figures = f"SUM(dd.orders), {', '.join(sums)}, SUM(dd.charging_seconds)"
    station_monthly, station_daily = StationMonthly._meta.db_table, StationDaily._meta.db_table
    pile_monthly, pile_daily = PileMonthly._meta.db_table, PileDaily._meta.db_table
    piles = Pile._meta.db_table
    return [
        f"WITH {keys} DELETE FROM {station_monthly} WHERE EXISTS "
        f"(SELECT 1 FROM m WHERE m.station_id = {station_monthly}.station_id AND m.first = {station_monthly}.date)",
        f"WITH {keys} INSERT INTO {station_monthly} (station_id, date, {FIGURE_COLUMNS}) "
        f"SELECT m.station_id, m.first, {figures} "
        f"FROM m JOIN {station_daily} dd ON dd.station_id = m.station_id AND dd.date >= m.first AND dd.date <= m.last "
        f"GROUP BY m.station_id, m.first",
        f"WITH {keys} DELETE FROM {pile_monthly} WHERE EXISTS (SELECT 1 FROM m JOIN {piles} p "
        f"ON p.station_id = m.station_id WHERE p.id = {pile_monthly}.pile_id AND m.first = {pile_monthly}.date)",
        f"WITH {keys} INSERT INTO {pile_monthly} (pile_id, date, {FIGURE_COLUMNS}, {DOWNTIME_COLUMNS}) "
        f"SELECT p.id, m.first, {figures}, SUM(dd.offline_seconds), SUM(dd.faulted_seconds) "
        f"FROM m JOIN {piles} p ON p.station_id = m.station_id "
        f"JOIN {pile_daily} dd ON dd.pile_id = p.id AND dd.date >= m.first AND dd.date <= m.last "
        f"GROUP BY p.id, m.first",
    ]


def _down_sql(d: Dialect, now: str, span: str | None = None) -> str:
    """The CTEs `off` and `flt` (pile_id, t0, t1 in epoch seconds): the pile's offline spells
    and its guns' faulted ones. Each lasts from its change to the next change of the same pile
    connection or gun (by time, then id), the latest until `now`. Each next change is one step
    down an index, so a network's whole history is never put in order. `span`, a CTE of
    (pile_id, s, e), keeps the spells of its piles that reach into [s, e): the changes in it
    and each connection's or gun's last one before it."""
    changes, guns = StatusChange._meta.db_table, Gun._meta.db_table
    after = "(n.at, n.id) > (c.at, c.id) ORDER BY n.at, n.id LIMIT 1"
    # Per CTE: its changes, the next change of the same connection or gun, its status, and
    # (with `span`) each connection or gun of the span's piles with the test of its changes.
    channels = {
        "off": (
            "c.gun_id IS NULL",
            "n.pile_id = c.pile_id AND n.gun_id IS NULL",
            OnlineStatus.OFFLINE,
            f"{span} sp",
            "b.pile_id = sp.pile_id AND b.gun_id IS NULL",
        ),
        "flt": (
            "c.gun_id IS NOT NULL",
            "n.gun_id = c.gun_id",
            GunStatus.FAULTED,
            f"{span} sp JOIN {guns} g ON g.pile_id = sp.pile_id",
            "b.gun_id = g.id",
        ),
    }
    within = f"SELECT c.id FROM {span} sp JOIN {changes} c ON c.pile_id = sp.pile_id AND c.at >= sp.s AND c.at < sp.e"
    ctes = []
    for name, (own, same, status, channel, last) in channels.items():
        t1 = f"COALESCE({d.epoch(f'(SELECT n.at FROM {changes} n WHERE {same} AND {after})')}, {now})"
        where = f"{own} AND c.status = '{status.value}'"
        if span is not None:
            # The changes within the span, and each connection's or gun's last one before it.
            before = f"SELECT (SELECT b.id FROM {changes} b WHERE {last} AND b.at < sp.s"
            before += f" ORDER BY b.at DESC, b.id DESC LIMIT 1) FROM {channel}"
            where += f" AND c.id IN ({within} UNION ALL {before})"
        ctes.append(f"{name} AS (SELECT c.pile_id, {d.epoch('c.at')} AS t0, {t1} AS t1 FROM {changes} c WHERE {where})")
    return ", ".join(ctes)


def _pile_days_sql(d: Dialect, count: int) -> list[str]:
    """Orders per pile and day, and downtime from the status history: each status lasts until
    the pile's (or gun's) next one, the latest until now. Offline seconds come from the pile's
    online/offline changes, faulted seconds from its guns' Faulted statuses, less the time the
    pile was offline anyway."""
    table = PileDaily._meta.db_table
    orders = ChargingOrder._meta.db_table
    piles = Pile._meta.db_table
    zero_figures = "0, " + ", ".join(["0"] * (len(FIGURES) + 1))
    money_parts = ", ".join(f"SUM({d.money(f'o.{column}', places)})" for column, places in FIGURES)
    seconds = f"SUM({d.epoch('o.stopped_at')} - {d.epoch('o.started_at')})"
    day = ("pk.s_ep", "pk.e_ep")
    off = ("off.t0", "off.t1")
    flt = ("flt.t0", "flt.t1")
    totals = ", ".join(d.money_total(f"SUM(p.{column})", places) for column, places in FIGURES)
    keys = d.keys(count)
    return [
        f"WITH {keys} DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM k JOIN {piles} p ON p.station_id = k.station_id "
        f"WHERE p.id = {table}.pile_id AND k.day = {table}.date)",
        f"""WITH {keys},
        pk AS (
            SELECT p.id AS pile_id, k.day, k.s, k.e, k.s_ep, k.e_ep
            FROM k JOIN {piles} p ON p.station_id = k.station_id
        ),
        span AS (SELECT pile_id, MIN(s) AS s, MAX(e) AS e FROM pk GROUP BY pile_id),
        {_down_sql(d, "%s", span="span")},
        parts (pile_id, day, orders, energy_kwh, electricity_fee, service_fee, amount, charging, offline, faulted) AS (
            SELECT pk.pile_id, pk.day, COUNT(*), {money_parts}, {seconds}, 0, 0
            FROM pk JOIN {orders} o ON o.pile_id = pk.pile_id AND o.started_at >= pk.s AND o.started_at < pk.e
            GROUP BY pk.pile_id, pk.day
            UNION ALL
            SELECT pk.pile_id, pk.day, {zero_figures}, SUM({d.overlap(off, day)}), 0
            FROM pk JOIN off ON off.pile_id = pk.pile_id AND off.t0 < pk.e_ep AND off.t1 > pk.s_ep
            GROUP BY pk.pile_id, pk.day
            UNION ALL
            SELECT pk.pile_id, pk.day, {zero_figures}, 0, SUM({d.overlap(flt, day)})
            FROM pk JOIN flt ON flt.pile_id = pk.pile_id AND flt.t0 < pk.e_ep AND flt.t1 > pk.s_ep
            GROUP BY pk.pile_id, pk.day
            UNION ALL
            SELECT pk.pile_id, pk.day, {zero_figures}, 0, -SUM({d.overlap(flt, off, day)})
            FROM pk JOIN flt ON flt.pile_id = pk.pile_id AND flt.t0 < pk.e_ep AND flt.t1 > pk.s_ep
            JOIN off ON off.pile_id = pk.pile_id AND off.t0 < flt.t1 AND off.t1 > flt.t0
                AND off.t0 < pk.e_ep AND off.t1 > pk.s_ep
            GROUP BY pk.pile_id, pk.day
        )
        INSERT INTO {table} (pile_id, date, {FIGURE_COLUMNS}, {DOWNTIME_COLUMNS})
        SELECT p.pile_id, p.day, SUM(p.orders), {totals}, COALESCE(SUM(p.charging), 0),
               SUM(p.offline), SUM(p.faulted)
        FROM parts p GROUP BY p.pile_id, p.day ORDER BY p.pile_id, p.day""",
    ]


def _fault_days_sql(d: Dialect, count: int) -> list[str]:
    table = StationFaultDaily._meta.db_table
    piles = Pile._meta.db_table
    alarms = Alarm._meta.db_table
    return [
        f"WITH {d.keys(count)} DELETE FROM {table} "
        f"WHERE EXISTS (SELECT 1 FROM k WHERE k.station_id = {table}.station_id AND k.day = {table}.date)",
        f"WITH {d.keys(count)} INSERT INTO {table} (station_id, date, cause, faults) "
        f"SELECT k.station_id, k.day, a.cause, COUNT(*) FROM k JOIN {piles} p ON p.station_id = k.station_id "
        f"JOIN {alarms} a ON a.pile_id = p.id AND a.occurred_at >= k.s AND a.occurred_at < k.e "
        f"GROUP BY k.station_id, k.day, a.cause",
    ]


# The orders of each station, pile and local day, summed once for both daily tables. A table
# made by CREATE TABLE AS may be filled by parallel workers; an INSERT may not.
REBUILD_ORDERS = "rollup_rebuild_orders"
# The downtime of each pile and local day, worked out before the pile days are written.
REBUILD_DOWN = "rollup_rebuild_down"
# The rebuild sums a million orders at once: sorted in memory by parallel workers, then grouped
# in that order (a hash table of half a million numeric sums spills to disk, and the planner's
# estimate of one group per order would keep the sort to one core), without compiling the plan
# (JIT costs more than it saves on a statement run once).
REBUILD_SETTINGS = [
    "SET LOCAL work_mem = '256MB'",
    "SET LOCAL enable_hashagg = off",
    "SET LOCAL parallel_setup_cost = 0",
    "SET LOCAL parallel_tuple_cost = 0",
    "SET LOCAL jit = off",
]


def _rebuild_sql() -> list[str]:
    """Every table recomputed from the local day `%(since)s` on (all days when it is NULL), each
    row's local day taken from its station's time zone by PostgreSQL. The same figures as the
    per-day statements, so that both can be checked against the raw orders."""
    d = Dialect()
    orders, piles, stations = ChargingOrder._meta.db_table, Pile._meta.db_table, Station._meta.db_table
    alarms = Alarm._meta.db_table
    station_daily, station_monthly, pile_daily, pile_monthly, fault_daily = (
        StationDaily._meta.db_table,
        StationMonthly._meta.db_table,
        PileDaily._meta.db_table,
        PileMonthly._meta.db_table,
        StationFaultDaily._meta.db_table,
    )
    since = "(%(since)s::date IS NULL OR {day} >= %(since)s::date)"
    this_month = "(%(since)s::date IS NULL OR {day} >= date_trunc('month', %(since)s::date))"
    # Rows from a day before `since` in UTC can still fall on `since` in a station's zone.
    recent = "(%(since)s::date IS NULL OR {at} >= %(since)s::date - 1)"
    order_day = "(o.started_at AT TIME ZONE s.time_zone)::date"
    day_start = "EXTRACT(EPOCH FROM (g.day::timestamp AT TIME ZONE s.time_zone))"
    day_end = "EXTRACT(EPOCH FROM ((g.day + 1)::timestamp AT TIME ZONE s.time_zone))"
    local_day = "(to_timestamp({}) AT TIME ZONE s.time_zone)::date"
    figure_sums = ", ".join(f"SUM(r.{column})" for column in FIGURE_COLUMNS.split(", "))
    return [
        *REBUILD_SETTINGS,
        f"DELETE FROM {station_daily} WHERE {since.format(day='date')}",
        f"DELETE FROM {pile_daily} WHERE {since.format(day='date')}",
        f"DELETE FROM {fault_daily} WHERE {since.format(day='date')}",
        f"DELETE FROM {station_monthly} WHERE {this_month.format(day='date')}",
        f"DELETE FROM {pile_monthly} WHERE {this_month.format(day='date')}",
        f"""CREATE TEMPORARY TABLE {REBUILD_ORDERS} ON COMMIT DROP AS
        SELECT o.station_id, o.pile_id, {order_day} AS day, {_order_figures(d, "o", named=True)}
        FROM {orders} o JOIN {stations} s ON s.id = o.station_id
        WHERE {recent.format(at="o.started_at")} AND {since.format(day=order_day)}
        GROUP BY o.station_id, o.pile_id, {order_day}""",
        f"ANALYZE {REBUILD_ORDERS}",
        f"""INSERT INTO {station_daily} (station_id, date, {FIGURE_COLUMNS})
        SELECT r.station_id, r.day, {figure_sums} FROM {REBUILD_ORDERS} r GROUP BY r.station_id, r.day""",
        f"""INSERT INTO {station_monthly} (station_id, date, {FIGURE_COLUMNS})
        SELECT r.station_id, date_trunc('month', r.date)::date, {figure_sums} FROM {station_daily} r
        WHERE {this_month.format(day="r.date")} GROUP BY r.station_id, date_trunc('month', r.date)""",
        f"""INSERT INTO {fault_daily} (station_id, date, cause, faults)
        SELECT p.station_id, (a.occurred_at AT TIME ZONE s.time_zone)::date, a.cause, COUNT(*)
        FROM {alarms} a JOIN {piles} p ON p.id = a.pile_id JOIN {stations} s ON s.id = p.station_id
        WHERE {recent.format(at="a.occurred_at")}
            AND {since.format(day="(a.occurred_at AT TIME ZONE s.time_zone)::date")}
        GROUP BY p.station_id, (a.occurred_at AT TIME ZONE s.time_zone)::date, a.cause""",
        f"""CREATE TEMPORARY TABLE {REBUILD_DOWN} ON COMMIT DROP AS
        WITH {_down_sql(d, "%(now)s")},
        down (pile_id, offline, faulted, t0, t1) AS (
            SELECT pile_id, 1, 0, t0, t1 FROM off
            UNION ALL SELECT pile_id, 0, 1, t0, t1 FROM flt
            UNION ALL SELECT flt.pile_id, 0, -1, GREATEST(flt.t0, off.t0), LEAST(flt.t1, off.t1)
                FROM flt JOIN off ON off.pile_id = flt.pile_id AND off.t0 < flt.t1 AND off.t1 > flt.t0
        ),
        down_days AS (
            SELECT x.pile_id, x.day, SUM(x.offline * x.seconds) AS offline, SUM(x.faulted * x.seconds) AS faulted
            FROM (
                SELECT dn.pile_id, dn.offline, dn.faulted, g.day,
                    LEAST(dn.t1, {day_end}) - GREATEST(dn.t0, {day_start}) AS seconds
                FROM down dn JOIN {piles} p ON p.id = dn.pile_id JOIN {stations} s ON s.id = p.station_id
                CROSS JOIN LATERAL (
                    SELECT {local_day.format("dn.t0")} + n AS day
                    FROM generate_series(0, {local_day.format("dn.t1")} - {local_day.format("dn.t0")}) AS n
                ) AS g
                WHERE dn.t1 > dn.t0
            ) x
            WHERE x.seconds > 0 AND {since.format(day="x.day")}
            GROUP BY x.pile_id, x.day
        )
        SELECT pile_id, day, offline, faulted FROM down_days""",
        # Each pile-day once, with its orders and its downtime, in the order of the pile's
        # unique index, which then grows at its end (an upsert of the downtime into rows already
        # written cost a rebuild of a million orders most of a second, and left as many dead rows).
        f"""INSERT INTO {pile_daily} (pile_id, date, {FIGURE_COLUMNS}, {DOWNTIME_COLUMNS})
        SELECT r.pile_id, r.day, {figure_sums}, SUM(r.offline), SUM(r.faulted) FROM (
            SELECT pile_id, day, {FIGURE_COLUMNS}, 0 AS offline, 0 AS faulted FROM {REBUILD_ORDERS}
            UNION ALL SELECT pile_id, day, 0, 0, 0, 0, 0, 0, offline, faulted FROM {REBUILD_DOWN}
        ) r GROUP BY r.pile_id, r.day ORDER BY r.pile_id, r.day""",
        f"""INSERT INTO {pile_monthly} (pile_id, date, {FIGURE_COLUMNS}, {DOWNTIME_COLUMNS})
        SELECT r.pile_id, date_trunc('month', r.date)::date, {figure_sums}, SUM(r.offline_seconds),
            SUM(r.faulted_seconds)
        FROM {pile_daily} r WHERE {this_month.format(day="r.date")}
        GROUP BY r.pile_id, date_trunc('month', r.date) ORDER BY r.pile_id, date_trunc('month', r.date)""",
        # Dropped here too, not only at commit: the rebuild may run inside a longer transaction.
        f"DROP TABLE {REBUILD_ORDERS}",
        f"DROP TABLE {REBUILD_DOWN}",
    ]


def _days_recompute(days: list[tuple[int, date]], now: datetime) -> None:
    if not days:
        return
    d = Dialect()
    ops = connection.ops
    zones = {}
    station_ids = sorted({station_id for station_id, _day in days})
    for start in range(0, len(station_ids), 10000):
        zones.update(Station.objects.filter(pk__in=station_ids[start : start + 10000]).values_list("pk", "time_zone"))
    now_ep = int(now.timestamp())
    for start in range(0, len(days), DAYS_PER_STATEMENT):
        batch = [
            (station_id, day) for station_id, day in days[start : start + DAYS_PER_STATEMENT] if station_id in zones
        ]
        if not batch:
            continue
        params = []
        for station_id, day in batch:
            s, e = day_bounds(day, zones[station_id])
            params += [
                station_id,
                ops.adapt_datefield_value(day),
                ops.adapt_datetimefield_value(s),
                ops.adapt_datetimefield_value(e),
                int(s.timestamp()),
                int(e.timestamp()),
            ]
        # The latest offline and faulted spells last until now.
        pile_extra = [now_ep, now_ep]
        with connection.cursor() as cursor:
            for sql in _station_days_sql(d, len(batch)) + _fault_days_sql(d, len(batch)):
                cursor.execute(sql, params)
            delete_sql, insert_sql = _pile_days_sql(d, len(batch))
            cursor.execute(delete_sql, params)
            cursor.execute(insert_sql, params + pile_extra)
    months = sorted({(station_id, day.replace(day=1)) for station_id, day in days if station_id in zones})
    for start in range(0, len(months), DAYS_PER_STATEMENT):
        batch = months[start : start + DAYS_PER_STATEMENT]
        params = []
        for station_id, first in batch:
            last = (first + timedelta(days=31)).replace(day=1) - DAY
            params += [station_id, ops.adapt_datefield_value(first), ops.adapt_datefield_value(last)]
        with connection.cursor() as cursor:
            for sql in _months_sql(d, len(batch)):
                cursor.execute(sql, params)
