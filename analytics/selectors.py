"""Reads of the statistics: order figures from the roll-ups plus today's live orders, change
against earlier periods, work order and fault figures.

A period is a range of local days: each station's days in its own time zone. Past days come
from the roll-ups (whole calendar months from the monthly rows where the figures are not
wanted per day, the other days from the daily rows); each station's today is summed from its
raw orders on every request, so the figures are current to the minute without waiting for a
roll-up run.
"""

import zoneinfo
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.db import connection
from django.db.models import Avg, Count, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.urls import reverse
from django.utils import timezone

from chargeops.db import any_of_sql, rows_with_sql, shared_ids_sql
from maintenance.choices import FaultCause, WorkOrderStatus
from maintenance.models import Alarm, WorkOrder, WorkOrderEvent
from orders.models import ChargingOrder, PowerSample
from piles.choices import GunStatus
from piles.models import Gun, Pile
from stations.models import Area, Station

from .choices import Figure, Granularity
from .models import PileDaily, PileMonthly, StationDaily, StationFaultDaily, StationMonthly
from .services import FIGURES, Dialect, EpochSeconds, day_bounds, local_date

MONEY = Decimal("0.01")
ENERGY = Decimal("0.001")
FIGURE_NAMES = ("orders", "energy_kwh", "electricity_fee", "service_fee", "amount", "charging_seconds")
# SQLite sums decimals as floats: totals are rounded back to the places of their columns.
PLACES = {"energy_kwh": ENERGY, "electricity_fee": MONEY, "service_fee": MONEY, "amount": MONEY}


@dataclass(frozen=True)
class Period:
    """Local days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before: what month-on-month compares with."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_before(self) -> "Period":
        """The same days one year earlier (29 February becomes the 28th)."""
        return Period(_year_before(self.start), _year_before(self.end))

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def _year_before(day: date) -> date:
    return same_date_year_before(day) or day.replace(year=day.year - 1, day=28)


def same_date_year_before(day: date) -> date | None:
    """The same date one year earlier; None for 29 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return None


@dataclass(frozen=True)
class Scope:
    """Whose figures: the user's operator, narrowed to an operations area or a station."""

    user: object
    area: Area | None = None
    station: Station | None = None

    @cached_property
    def network_stations(self) -> list[Station]:
        """Every station the user may see (with its area), in name order, read once per scope:
        the scope's stations are taken from them, and the dashboard's map shows them all."""
        return list(Station.objects.for_user(self.user).select_related("area"))

    @cached_property
    def station_objects(self) -> dict[int, Station]:
        """The scope's stations (with their areas) by id, in name order."""
        return {
            station.pk: station
            for station in self.network_stations
            if self.area in (None, station.area) and self.station in (None, station)
        }

    @cached_property
    def station_zones(self) -> dict[int, str]:
        """Each station of the scope (its id) and its time zone: the statistics filter their
        rows by these ids rather than joining the stations again in every query."""
        return {pk: station.time_zone for pk, station in self.station_objects.items()}

    @cached_property
    def zones_today(self) -> dict[str, date]:
        """Each time zone of the scope's stations and the local date it is there now."""
        now = timezone.now()
        return {zone: local_date(now, zone) for zone in set(self.station_zones.values())}

    def station_ids(self, zone: str | None = None) -> list[int]:
        """The scope's stations (those in time zone `zone` if given)."""
        return [pk for pk, time_zone in self.station_zones.items() if zone in (None, time_zone)]

    def station_filter(self, path: str = "station", zone: str | None = None) -> Q:
        """The rows of the scope's stations (those in time zone `zone` if given), for a model
        that reaches a station by `path`."""
        return Q(**{f"{path}__any_of": self.station_ids(zone)})


def change(current, base) -> Decimal | None:
    """The relative change from `base` to `current` in per cent, None where the base is zero."""
    if not base:
        return None
    return ((Decimal(current) - Decimal(base)) * 100 / Decimal(base)).quantize(Decimal("0.1"))


def user_today(user) -> date:
    """Today in the user's operator's time zone: where date ranges start by default."""
    time_zone = user.operator.time_zone if getattr(user, "operator", None) else "UTC"
    return local_date(timezone.now(), time_zone)


def _bucket_of(day: date, granularity: str) -> date:
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    if granularity == Granularity.YEAR:
        return day.replace(month=1, day=1)
    return day


def _bucket_key(day) -> date:
    """A bucket's first day as the database gives it: SQLite gives a computed date as text."""
    return date.fromisoformat(day) if isinstance(day, str) else day


def figures_read(scope: Scope, reads: list[tuple[Period, str | None]]) -> list[dict]:
    """The order figures of the scope for each (period, by) of `reads`, summed per `by`: a
    Granularity (keys are each bucket's first day), "station" or None (one total under the key
    None). Days before each station's today come from the roll-ups, its today from the raw
    orders. All in one round trip: the daily and monthly rows of every read in one UNION ALL,
    each part already summed per key (a station or a bucket's first day: two columns, as the
    parts of a UNION share their types). Each station's today is one more part of the same
    statement, summed from its raw orders once for every read that holds it."""
    totals: list[dict] = [defaultdict(lambda: dict.fromkeys(FIGURE_NAMES, 0)) for _read in reads]

    def add(index, key, row):
        figures = totals[index][key]
        for name in FIGURE_NAMES:
            figures[name] += row[name] or 0

    todays = [{zone: today for zone, today in scope.zones_today.items() if today in period} for period, _by in reads]
    parts, params = [], []
    for index, (period, by) in enumerate(reads):
        # A part per range of days: each reads one stretch of the covering index alone, where
        # two ranges in one part were read from the table through a bitmap.
        for model, first, last in _rolled_ranges(scope, period, by):
            today = todays[index] if model is StationDaily else {}
            sql, part_params = _rolled_sql(scope, model, (first, last), today, by, index)
            parts.append(sql)
            params += part_params
    if any(todays):
        sql, live_params = _live_sql(scope)
        parts.append(sql)
        params += live_params
    live = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for station_key, day_key, index, *sums in cursor.fetchall():
            row = _rolled_figures(sums)
            if index == LIVE:
                live[station_key] = row
            elif row["orders"]:
                add(index, station_key if station_key is not None else _bucket_key(day_key), row)

    for index, (_period, by) in enumerate(reads):
        for station_id, row in live.items() if todays[index] else ():
            today = todays[index].get(scope.station_zones[station_id])
            if today is not None:
                add(index, station_id if by == "station" else _bucket_of(today, by) if by else None, row)

    for read_totals in totals:
        for figures in read_totals.values():
            for name, places in PLACES.items():
                figures[name] = Decimal(figures[name]).quantize(places)
    return [dict(read_totals) for read_totals in totals]


def _rolled_rows(
    scope: Scope, period: Period, by: str | None, daily=StationDaily, monthly=StationMonthly
) -> list[tuple[type, list[tuple[date, date]]]]:
    """The roll-up rows of the period, as (model, ranges of days): the daily rows, or, where
    the figures are not wanted per day, the monthly rows of the whole months in the period and
    the daily rows of the days around them (two ranges the index can seek)."""
    months = None
    if by != Granularity.DAY:
        months = _whole_months(period, before=min(scope.zones_today.values(), default=period.end + timedelta(days=1)))
    if months is None:
        return [(daily, [(period.start, period.end)])]
    around = [(period.start, months[0] - timedelta(days=1)), (months[1] + timedelta(days=1), period.end)]
    return [(daily, around), (monthly, [months])]


def _rolled_ranges(scope: Scope, period: Period, by: str | None, daily=StationDaily, monthly=StationMonthly):
    """(model, first day, last day) of each range of `_rolled_rows` that holds a day: a part of
    a statement each, which reads one stretch of an index."""
    for model, ranges in _rolled_rows(scope, period, by, daily, monthly):
        for first, last in ranges:
            if first <= last:
                yield model, first, last


# The figures of a statistics page come from a UNION of up to eight summed parts. Built with
# the ORM, they cost a page about ten milliseconds of Python; written here, well under one.
# SQLite keeps decimals as floats, so it sums whole cents (and Wh), as the roll-ups' own
# statements do (`Dialect.money`), and `_rolled_figures` scales them back exactly.
# A bucket's first day: PostgreSQL truncates the date as a timestamp without a time zone (with
# one, each row's date is first converted in the session's zone: 5.6 ms instead of 3.3 ms for
# the 6,600 pile months of a network's year), and a monthly row's date is its month already.
BUCKET_SQL = {
    "postgresql": {
        Granularity.DAY: "date",
        Granularity.MONTH: "CAST(date_trunc('month', CAST(date AS timestamp)) AS date)",
        Granularity.YEAR: "CAST(date_trunc('year', CAST(date AS timestamp)) AS date)",
        None: "CAST(NULL AS date)",
        "station": "CAST(NULL AS date)",
    },
    "sqlite": {
        Granularity.DAY: "date",
        Granularity.MONTH: "strftime('%%Y-%%m-01', date)",
        Granularity.YEAR: "strftime('%%Y-01-01', date)",
        None: "NULL",
        "station": "NULL",
    },
}
MONTHLY = (StationMonthly, PileMonthly)


def _bucket_sql(model, by) -> str:
    """The first day of the bucket (`by`: a Granularity) of a row of the roll-up `model`, or
    NULL where the figures are summed per station or in total (`by` "station" or None)."""
    if model in MONTHLY and by == Granularity.MONTH:
        return "date"
    return BUCKET_SQL[connection.vendor][by]


# The index under which `figures_read` reads each station's today from its raw orders.
LIVE = -1


def _live_sql(scope: Scope) -> tuple[str, list]:
    """The part of `figures_read` that sums each station's orders of its today, the same sums
    as a roll-up row's, under the index LIVE."""
    d, adapt = Dialect(), connection.ops.adapt_datetimefield_value
    sums = ", ".join(f"SUM({d.money(name, places)})" for name, places in FIGURES)
    seconds = f"SUM({d.epoch('stopped_at')} - {d.epoch('started_at')})"
    days, params = [], []
    for zone, today in scope.zones_today.items():
        stations, zone_params = any_of_sql("station_id", scope.station_ids(zone))
        days.append(f"({stations} AND started_at >= %s AND started_at < %s)")
        params += [*zone_params, *(adapt(bound) for bound in day_bounds(today, zone))]
    sql = (
        f"SELECT station_id, {BUCKET_SQL[connection.vendor][None]}, {LIVE}, COUNT(*), {sums}, {seconds} "
        f"FROM {ChargingOrder._meta.db_table} WHERE {' OR '.join(days)} GROUP BY station_id"
    )
    return sql, params


def _rolled_sql(
    scope: Scope, model, days: tuple[date, date], todays: dict[str, date], by: str | None, index: int
) -> tuple[str, list]:
    """One part of `figures_read`: the rows of `model` on the days (first, last) of the scope's
    stations, less each station's today (`todays`, zone -> today), summed per key."""
    d, adapt, places = Dialect(), connection.ops.adapt_datefield_value, dict(FIGURES)
    station_key = "station_id" if by == "station" else "CAST(NULL AS bigint)" if d.postgres else "NULL"
    day_key = _bucket_sql(model, by)
    sums = ", ".join(f"SUM({d.money(name, places[name]) if name in places else name})" for name in FIGURE_NAMES)
    stations, params = any_of_sql("station_id", scope.station_ids())
    params += [adapt(day) for day in days]
    conditions = [stations, "date BETWEEN %s AND %s"]
    for zone, today in todays.items():
        zone_stations, zone_params = any_of_sql("station_id", scope.station_ids(zone))
        conditions.append(f"NOT ({zone_stations} AND date = %s)")
        params += [*zone_params, adapt(today)]
    sql = (
        f"SELECT {station_key}, {day_key}, {index}, {sums} FROM {model._meta.db_table} "
        f"WHERE {' AND '.join(conditions)} GROUP BY {station_key}, {day_key}"
    )
    return sql, params


def _rolled_figures(sums: list) -> dict:
    """A part's sums as figures: counts as integers, money and energy as exact decimals."""
    row, places, postgres = dict(zip(FIGURE_NAMES, sums, strict=True)), dict(FIGURES), connection.vendor == "postgresql"
    for name in FIGURE_NAMES:
        if row[name] is None:
            row[name] = 0
        elif name not in places:
            row[name] = int(row[name])
        elif not postgres:
            row[name] = Decimal(row[name]).scaleb(-places[name])
    return row


def _whole_months(period: Period, *, before: date) -> tuple[date, date] | None:
    """The first and the last day of the calendar months wholly inside the period that end
    before `before` (the earliest today of the scope's stations), or None."""
    first = period.start if period.start.day == 1 else (period.start.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = min(period.end, before - timedelta(days=1))
    if (last + timedelta(days=1)).day != 1:
        last = last.replace(day=1) - timedelta(days=1)
    return (first, last) if first < last else None


def _days_condition(scope: Scope, field: str, days: dict[str, tuple[date, date]], path: str = "station") -> Q:
    """Rows of the scope's stations (reached by `path`) whose time `field` falls on the local
    days given per time zone (zone -> first and last day), each zone with its own day bounds."""
    condition = Q(pk__in=[])
    for zone, (first, last) in days.items():
        bounds = {f"{field}__gte": day_bounds(first, zone)[0], f"{field}__lt": day_bounds(last, zone)[1]}
        condition |= scope.station_filter(path, zone) & Q(**bounds)
    return condition


def _today_condition(scope: Scope, todays: dict[str, date], field: str, path: str = "station") -> Q:
    """Rows whose time `field` falls on today of their station (`todays`: zone -> today)."""
    return _days_condition(scope, field, {zone: (today, today) for zone, today in todays.items()}, path)


def _period_condition(scope: Scope, period: Period, field: str, path: str = "station") -> Q:
    """Rows whose time `field` falls on the period's local days of their station."""
    return _days_condition(scope, field, dict.fromkeys(scope.zones_today, (period.start, period.end)), path)


def figures_sum(rows: Iterable[dict]) -> dict:
    """Order figures added up (the buckets of a period give its total)."""
    total = {name: PLACES[name] * 0 if name in PLACES else 0 for name in FIGURE_NAMES}
    for row in rows:
        for name in FIGURE_NAMES:
            total[name] += row[name]
    return total


def buckets(period: Period, granularity: str) -> list[date]:
    """Every bucket of the period in order, the empty ones too, so that charts have no gaps."""
    keys, day = [], _bucket_of(period.start, granularity)
    while day <= period.end:
        keys.append(day)
        if granularity == Granularity.DAY:
            day += timedelta(days=1)
        elif granularity == Granularity.MONTH:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day = day.replace(year=day.year + 1)
    return keys


# Work orders in total and per status.
WORK_ORDER_COUNTS = {
    "total": Count("pk"),
    **{status.value: Count("pk", filter=Q(status=status)) for status in WorkOrderStatus},
}


def work_order_figures(scope: Scope, period: Period) -> dict[str, int]:
    """Work orders reported in the period: `total` and one count per status."""
    return period_work_orders(scope, period).aggregate(**WORK_ORDER_COUNTS)


def _fault_days(scope: Scope, period: Period, cause: str | None = None):
    """The fault roll-up rows of the period, of one cause if given."""
    days = StationFaultDaily.objects.filter(scope.station_filter(), date__range=(period.start, period.end))
    return days.filter(cause=cause) if cause else days


def fault_figures(scope: Scope, period: Period, cause: str | None = None) -> dict[str, int]:
    """Faults in the period per cause (of one cause if given), most frequent first."""
    rows = _fault_days(scope, period, cause).values("cause").annotate(faults=Sum("faults")).order_by("-faults", "cause")
    return {row["cause"]: row["faults"] for row in rows}


def faults_per_bucket(
    scope: Scope, period: Period, granularity: str, cause: str | None = None
) -> dict[date, dict[str, int]]:
    """Faults in the period per bucket of the granularity (its first day), then per cause."""
    bucket = {Granularity.MONTH: TruncMonth("date"), Granularity.YEAR: TruncYear("date")}.get(granularity, F("date"))
    rows = _fault_days(scope, period, cause).values("cause", bucket=bucket).annotate(faults=Sum("faults")).order_by()
    per_bucket: dict[date, dict[str, int]] = defaultdict(dict)
    for day, cause, faults in rows.values_list("bucket", "cause", "faults"):
        per_bucket[_bucket_key(day)][cause] = faults
    return per_bucket


def local_days_condition(
    field: str, start: date | None, end: date | None, path: str = "station", zones: Iterable[str] | None = None
) -> Q:
    """Rows whose time `field` falls on the local days `start`..`end` (either may be open) of
    the station they reach by `path`, each time zone with its own day bounds. `zones` are the
    time zones to cover (all stations' when not given)."""
    if zones is None:
        zones = Station.objects.order_by().values_list("time_zone", flat=True).distinct()
    condition = Q(pk__in=[])
    for zone in zones:
        bounds = {f"{path}__time_zone": zone}
        if start is not None:
            bounds[f"{field}__gte"] = day_bounds(start, zone)[0]
        if end is not None:
            bounds[f"{field}__lt"] = day_bounds(end, zone)[1]
        condition |= Q(**bounds)
    return condition


def period_orders(scope: Scope, period: Period):
    """The raw orders started in the period (each station's local days)."""
    return ChargingOrder.objects.filter(_period_condition(scope, period, "started_at"))


def period_alarms(scope: Scope, period: Period, cause: str | None = None):
    """The alarms of the period (each station's local days), of one cause if given."""
    alarms = Alarm.objects.filter(_period_condition(scope, period, "occurred_at", "pile__station"))
    return alarms.filter(cause=cause) if cause else alarms


def period_work_orders(scope: Scope, period: Period):
    return WorkOrder.objects.filter(_period_condition(scope, period, "reported_at", "pile__station"))


def work_orders_per_station(scope: Scope, period: Period) -> list[dict]:
    """Per station: work orders reported in the period, in total and per status; most first."""
    rows = period_work_orders(scope, period).values("pile__station").annotate(**WORK_ORDER_COUNTS)
    stations = scope.station_objects
    result = [{"station": stations[row.pop("pile__station")], **row} for row in rows.order_by()]
    return sorted(result, key=lambda row: (-row["total"], row["station"].name))


def work_order_people(scope: Scope, period: Period, person=None) -> list[dict]:
    """Per maintenance person, the work orders reported in the period (unclaimed ones under
    person None): how many are in each status, in total, and the average hours from report
    to acceptance and from acceptance to the (last) completion. Most confirmed first."""
    work_orders = period_work_orders(scope, period)
    if person is not None:
        work_orders = work_orders.filter(assignee=person)
    events = WorkOrderEvent.objects.filter(work_order=OuterRef("pk"))
    rows = work_orders.select_related("assignee").annotate(
        accepted_at=Subquery(events.filter(to_status=WorkOrderStatus.ACCEPTED).order_by("at").values("at")[:1]),
        completed_at=Subquery(events.filter(to_status=WorkOrderStatus.COMPLETED).order_by("-at").values("at")[:1]),
    )
    people: dict = {}
    for work_order in rows.order_by():
        row = people.setdefault(
            work_order.assignee_id,
            {
                "person": work_order.assignee,
                "total": 0,
                **dict.fromkeys(WorkOrderStatus.values, 0),
                "accept": [],
                "repair": [],
            },
        )
        row["total"] += 1
        row[work_order.status] += 1
        if work_order.accepted_at:
            row["accept"].append((work_order.accepted_at - work_order.reported_at).total_seconds())
            if work_order.completed_at and work_order.status in (WorkOrderStatus.COMPLETED, WorkOrderStatus.CONFIRMED):
                row["repair"].append((work_order.completed_at - work_order.accepted_at).total_seconds())
    result = []
    for row in people.values():
        accept, repair = row.pop("accept"), row.pop("repair")
        row["accept_hours"] = _average_hours(accept)
        row["repair_hours"] = _average_hours(repair)
        result.append(row)
    return sorted(result, key=lambda row: (row["person"] is None, -row["confirmed"], -row["total"], str(row["person"])))


def _average_hours(seconds: list[float]) -> Decimal | None:
    return (Decimal(sum(seconds)) / len(seconds) / 3600).quantize(Decimal("0.1")) if seconds else None


def _top_cause(causes: dict[str, int]) -> str:
    """The label of the most frequent cause (ties go to the later cause name)."""
    return FaultCause(max(causes, key=lambda cause: (causes[cause], cause))).label


def faults_per_station(scope: Scope, period: Period, cause: str | None = None) -> list[dict]:
    """Per station: faults in the period (of one cause if given) and the most frequent cause;
    most faults first."""
    rows = _fault_days(scope, period, cause).values("station", "cause").annotate(faults=Sum("faults")).order_by()
    per_station: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        per_station[row["station"]][row["cause"]] = row["faults"]
    stations = scope.station_objects
    result = [
        {
            "station": stations[station_id],
            "faults": sum(causes.values()),
            "top_cause": _top_cause(causes),
        }
        for station_id, causes in per_station.items()
    ]
    return sorted(result, key=lambda row: (-row["faults"], row["station"].name))


def faults_per_pile(scope: Scope, period: Period, cause: str | None = None) -> list[dict]:
    """Per pile: faults in the period (of one cause if given) and the most frequent cause; most
    faults first."""
    rows = period_alarms(scope, period, cause).values("pile", "cause").annotate(faults=Count("pk")).order_by()
    per_pile: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        per_pile[row["pile"]][row["cause"]] = row["faults"]
    piles = Pile.objects.filter(pk__in=per_pile).select_related("station")
    result = [
        {
            "pile": pile,
            "station": pile.station,
            "faults": sum(per_pile[pile.pk].values()),
            "top_cause": _top_cause(per_pile[pile.pk]),
        }
        for pile in piles
    ]
    return sorted(result, key=lambda row: (-row["faults"], row["station"].name, row["pile"].name))


def order_comparison(scope: Scope, period: Period, base: Period, granularity: str) -> tuple[list[dict], dict, dict]:
    """Per station: each order figure in the period, in the `base` period it is compared with,
    and the change in per cent (None where the base is zero); most orders first. Then the
    figures of either range per bucket of the granularity. One round trip."""
    current, earlier, *per_bucket = figures_read(
        scope, [(period, "station"), (base, "station"), (period, granularity), (base, granularity)]
    )
    empty = dict.fromkeys(FIGURE_NAMES, 0)
    rows = []
    for station in scope.station_objects.values():
        if station.pk not in current and station.pk not in earlier:
            continue
        now, then = current.get(station.pk, empty), earlier.get(station.pk, empty)
        row = {"station": station}
        for figure in Figure:
            row[figure.value] = now[figure]
            row[f"{figure.value}_base"] = then[figure]
            row[f"{figure.value}_change"] = change(now[figure], then[figure])
        rows.append(row)
    return sorted(rows, key=lambda row: (-row["orders"], row["station"].name)), *per_bucket


# Availability the US NEVI rule asks of every charging port: more than 97 % of the time.
NEVI_AVAILABILITY = Decimal("0.97")


def _ratio(part, whole) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def _usage(charging: int, down: int, capacity: int) -> dict:
    """Utilisation and availability from gun-seconds charging, down, and in the range."""
    return {
        "charging_seconds": charging,
        "downtime_seconds": down,
        "capacity_seconds": capacity,
        "utilisation": _ratio(charging, capacity),
        "availability": None if not capacity else 1 - _ratio(min(down, capacity), capacity),
    }


class PileRef(NamedTuple):
    """What a ranking shows of a pile and links to, without a model instance for each of a
    network's piles (a tuple: made from a database row at a fraction of a dataclass's cost)."""

    pk: int
    name: str
    station_id: int
    created_at: datetime
    guns: int

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("piles:pile_detail", args=[self.pk])


def pile_usage(scope: Scope, period: Period, *, now=None) -> list[dict]:
    """Per pile in the period: orders, charging time, utilisation and availability, from the
    pile roll-ups. A pile's time in the range starts when it was added, or at its first order
    in the range where that is earlier, and ends now."""
    now = now or timezone.now()
    in_scope = Pile.objects.filter(scope.station_filter()).values_list("pk", "name", "station_id", "created_at")
    piles = [PileRef._make(row) for row in in_scope.annotate(gun_count=Count("guns")).order_by()]
    sums = _pile_sums(scope, period, [pile.pk for pile in piles])
    bounds = {zone: (day_bounds(period.start, zone)[0], day_bounds(period.end, zone)[1]) for zone in scope.zones_today}
    empty = dict.fromkeys(PILE_SUMS, 0)
    added = _pile_first_orders(scope, period, [pile for pile in piles if sums.get(pile.pk, empty)["orders"]], bounds)
    rows = []
    for pile in piles:
        station = scope.station_objects[pile.station_id]
        first, last = bounds[station.time_zone]
        start, end = max(first, added.get(pile.pk, pile.created_at)), min(last, now)
        seconds = max(0, int((end - start).total_seconds()))
        figures = sums.get(pile.pk, empty)
        guns = pile.guns
        # Utilisation is charging time over the guns' time in the range; availability the
        # share of that time no gun was down: offline (the whole pile) or faulted (the gun).
        capacity, down = guns * seconds, figures["offline"] * guns + figures["faulted"]
        rows.append(
            {
                "pile": pile,
                "station": station,
                "orders": figures["orders"],
                "guns": guns,
                "since": added.get(pile.pk, pile.created_at),
                **_usage(figures["charging"], down, capacity),
            }
        )
    return rows


PILE_SUMS = ("orders", "charging", "offline", "faulted")


def _pile_sums(scope: Scope, period: Period, pile_ids: list[int]) -> dict[int, dict[str, int]]:
    """Pile id -> its orders and seconds charging, offline and faulted in the period, from the
    pile roll-ups: one statement, whose parts each sum a range of days (the index of (pile,
    date) seeks a range, not an OR of them) and which sums the parts per pile, so that a
    network's piles come back once each, not once per range."""
    adapt, parts = connection.ops.adapt_datefield_value, []
    with_ids, in_ids, params = shared_ids_sql(pile_ids)
    for model, first, last in _rolled_ranges(scope, period, None, daily=PileDaily, monthly=PileMonthly):
        parts.append(
            "SELECT pile_id, SUM(orders) AS o, SUM(charging_seconds) AS c, SUM(offline_seconds) AS f, "
            f"SUM(faulted_seconds) AS d FROM {model._meta.db_table} "
            f"WHERE {in_ids.format(column='pile_id')} AND date BETWEEN %s AND %s GROUP BY pile_id"
        )
        params += [adapt(first), adapt(last)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {with_ids} SELECT pile_id, CAST(SUM(o) AS bigint), CAST(SUM(c) AS bigint), "
            f"CAST(SUM(f) AS bigint), CAST(SUM(d) AS bigint) FROM ({' UNION ALL '.join(parts)}) parts GROUP BY pile_id",
            params,
        )
        return {pile: dict(zip(PILE_SUMS, row, strict=True)) for pile, *row in cursor}


def _pile_first_orders(scope: Scope, period: Period, piles: list[PileRef], bounds: dict) -> dict[int, datetime]:
    """Pile id -> its first order in the period, for the piles added after the period began
    that have an order there before they were added (a pile added today that uploads the
    sessions it held while it was not connected): their time in the range starts there, or
    their charging time would outgrow it."""
    late = [pile for pile in piles if pile.created_at > bounds[scope.station_zones[pile.station_id]][0]]
    if not late:
        return {}
    firsts = (
        period_orders(scope, period)
        .filter(pile__any_of=[pile.pk for pile in late])
        .values("pile")
        .annotate(first=Min("started_at"))
        .order_by()
        .values_list("pile", "first")
    )
    created = {pile.pk: pile.created_at for pile in late}
    return {pile: first for pile, first in firsts if first < created[pile]}


def usage_per_bucket(
    scope: Scope, period: Period, granularity: str, pile_rows: list[dict], *, now=None
) -> dict[date, dict]:
    """Utilisation and availability of the piles of `pile_rows` (`pile_usage`'s) in each bucket
    of the period (its first day), counted as `pile_usage` counts the whole range: charging and
    down gun-seconds from the roll-ups, over the guns' time in service in the bucket (a pile's
    from when it came into service, today's up to now)."""
    now = (now or timezone.now()).timestamp()
    charging = _bucket_charging(scope, period, granularity)
    down = _bucket_downtime(scope, period, granularity, [(row["pile"].pk, row["guns"]) for row in pile_rows])
    per_zone: dict[str, list[dict]] = defaultdict(list)
    for row in pile_rows:
        per_zone[row["station"].time_zone].append(row)
    keys = buckets(period, granularity)
    capacity = dict.fromkeys(keys, 0)
    for zone, rows in per_zone.items():
        guns = _InService(rows)
        # The buckets follow each other: each ends where the next begins, the last with the range.
        edges = [day_bounds(max(key, period.start), zone)[0].timestamp() for key in keys]
        edges.append(day_bounds(period.end, zone)[1].timestamp())
        for index, key in enumerate(keys):
            capacity[key] += guns.seconds(edges[index], min(edges[index + 1], now))
    return {key: _usage(charging.get(key, 0), down.get(key, 0), capacity[key]) for key in keys}


class _InService:
    """The gun-seconds a zone's piles were in service between two instants: each pile's guns
    from when it came into service (`since`). Piles sorted by that time, with running sums of
    their guns and of guns × time, answer each bucket with two bisections rather than a pass
    over every pile (ten years by day are 3,650 buckets)."""

    def __init__(self, rows: list[dict]):
        rows = sorted(rows, key=lambda row: row["since"])
        self.since = [row["since"].timestamp() for row in rows]
        self.guns, self.weighted = [0], [0.0]
        for row, since in zip(rows, self.since, strict=True):
            self.guns.append(self.guns[-1] + row["guns"])
            self.weighted.append(self.weighted[-1] + row["guns"] * since)

    def seconds(self, start: float, end: float) -> int:
        """Between two instants (seconds since the epoch)."""
        if end <= start:
            return 0
        before, within = bisect_right(self.since, start), bisect_left(self.since, end)
        whole = self.guns[before] * (end - start)
        part = end * (self.guns[within] - self.guns[before]) - (self.weighted[within] - self.weighted[before])
        return int(whole + part)


def _bucket_charging(scope: Scope, period: Period, granularity: str) -> dict[date, int]:
    """Bucket -> the charging seconds of the scope's stations, from the station roll-ups as
    they stand (today's too, as the pile roll-ups the rankings read): one statement."""
    adapt, parts, params = connection.ops.adapt_datefield_value, [], []
    stations, station_params = any_of_sql("station_id", scope.station_ids())
    for model, first, last in _rolled_ranges(scope, period, granularity):
        day_key = _bucket_sql(model, granularity)
        parts.append(
            f"SELECT {day_key}, SUM(charging_seconds) FROM {model._meta.db_table} "
            f"WHERE {stations} AND date BETWEEN %s AND %s GROUP BY {day_key}"
        )
        params += [*station_params, adapt(first), adapt(last)]
    charging: dict[date, int] = defaultdict(int)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for day, seconds in cursor.fetchall():
            charging[_bucket_key(day)] += int(seconds or 0)
    return charging


def _bucket_downtime(scope: Scope, period: Period, granularity: str, guns: list[tuple[int, int]]) -> dict[date, int]:
    """Bucket -> the down gun-seconds of the piles of `guns` ((pile id, its guns)): offline
    counts for every gun of the pile, faulted for the gun. Read from the pile roll-ups' rows
    with any downtime alone (an index holds just those days), joined to the piles' numbers of
    guns as `pile_usage` counted them, and summed per bucket by the database, in one
    statement: in a network with outages nearly every pile is down some time each month, and
    a row per pile and bucket would be thousands."""
    adapt, parts = connection.ops.adapt_datefield_value, []
    with_guns, params = rows_with_sql("g", ("pile_id", "n"), guns)
    for model, first, last in _rolled_ranges(scope, period, granularity, daily=PileDaily, monthly=PileMonthly):
        parts.append(
            f"SELECT {_bucket_sql(model, granularity)} AS bucket, offline_seconds * g.n + faulted_seconds AS down "
            f"FROM {model._meta.db_table} r JOIN g ON g.pile_id = r.pile_id "
            f"WHERE (offline_seconds > 0 OR faulted_seconds > 0) AND date BETWEEN %s AND %s"
        )
        params += [adapt(first), adapt(last)]
    sql = f"WITH {with_guns} SELECT bucket, SUM(down) FROM ({' UNION ALL '.join(parts)}) parts GROUP BY bucket"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {_bucket_key(day): int(down) for day, down in cursor.fetchall()}


def usage_total(pile_rows: list[dict]) -> dict:
    """`pile_usage` rows summed: utilisation and availability weigh each gun by its time in
    the range."""
    charging = sum(row["charging_seconds"] for row in pile_rows)
    down = sum(row["downtime_seconds"] for row in pile_rows)
    capacity = sum(row["capacity_seconds"] for row in pile_rows)
    return {
        "piles": len(pile_rows),
        "orders": sum(row["orders"] for row in pile_rows),
        "guns": sum(row["guns"] for row in pile_rows),
        **_usage(charging, down, capacity),
    }


def station_usage(pile_rows: list[dict]) -> list[dict]:
    """`pile_usage` rows summed per station."""
    per_station: dict = defaultdict(list)
    for row in pile_rows:
        per_station[row["station"]].append(row)
    return [{"station": station, **usage_total(rows)} for station, rows in per_station.items()]


def live_power(scope: Scope) -> list[dict]:
    """Per station now: its guns, how many are charging, the live power (sum of its guns) and
    the rated power of its piles; highest power first."""
    guns = (
        Gun.objects.filter(scope.station_filter("pile__station"))
        .values("pile__station")
        .annotate(
            guns=Count("pk"),
            charging=Count("pk", filter=Q(status=GunStatus.CHARGING)),
            kw=Sum("live_power_kw"),
        )
        .order_by()
    )
    per_station = {row.pop("pile__station"): row for row in guns}
    rated = dict(
        Pile.objects.filter(scope.station_filter())
        .values("station")
        .annotate(kw=Sum("rated_power_kw"))
        .order_by()
        .values_list("station", "kw")
    )
    rows = [
        {
            "station": station,
            "guns": per_station[station.pk]["guns"],
            "charging": per_station[station.pk]["charging"],
            "live_kw": Decimal(per_station[station.pk]["kw"] or 0).quantize(MONEY),
            "rated_kw": Decimal(rated.get(station.pk) or 0).quantize(MONEY),
            "load": _ratio(per_station[station.pk]["kw"] or 0, rated.get(station.pk) or 0),
        }
        for station in scope.station_objects.values()
        if station.pk in per_station
    ]
    return sorted(rows, key=lambda row: (-row["live_kw"], row["station"].name))


POWER_STEP = 15 * 60  # seconds per point of the power curve


def power_curve(scope: Scope, *, now=None) -> dict:
    """Today's power of each station in steps of POWER_STEP of its local day: each gun's
    average of its samples in a step, summed over the station's guns. Returns
    {"steps": [local "HH:MM"], "stations": {station: [kW or None per step]}}; steps after now
    are None."""
    now = now or timezone.now()
    steps = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(0, 24 * 60, POWER_STEP // 60)]
    stations = scope.station_objects
    rows = (
        PowerSample.objects.filter(scope.station_filter("gun__pile__station"))
        .filter(_today_condition(scope, scope.zones_today, "sampled_at", "gun__pile__station"))
        .values("gun__pile__station", "gun", step=EpochSeconds("sampled_at") / POWER_STEP)
        .annotate(kw=Avg("power_kw"))
        .order_by()
    )

    def step_of(moment: datetime, zone: str) -> int:
        local = timezone.localtime(moment, zoneinfo.ZoneInfo(zone))
        return (local.hour * 60 + local.minute) * 60 // POWER_STEP

    curves = {}
    for row in rows:
        station = stations[row["gun__pile__station"]]
        if station not in curves:
            elapsed = step_of(now, station.time_zone)
            curves[station] = [0.0 if step <= elapsed else None for step in range(len(steps))]
        index = step_of(datetime.fromtimestamp(row["step"] * POWER_STEP, UTC), station.time_zone)
        if curves[station][index] is not None:
            curves[station][index] += float(row["kw"])
    return {"steps": steps, "stations": curves}
