"""Writes of tariffs and charging orders, and the fee computation every priced order uses."""

import secrets
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Operator, User

from .models import Tariff, TariffPeriod

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Fee:
    electricity_fee: Decimal
    service_fee: Decimal

    @property
    def amount(self) -> Decimal:
        return self.electricity_fee + self.service_fee


ZERO_FEE = Fee(Decimal("0.00"), Decimal("0.00"))


def tariff_schedule(tariff: Tariff, on: date) -> list[TariffPeriod]:
    """The periods in force on a local date, by start time: the schedule with the latest
    `effective_from` not after that date. Reads `tariff.periods.all()`, so prefetch it when
    pricing many orders."""
    periods = list(tariff.periods.all())
    dates = [period.effective_from for period in periods if period.effective_from <= on]
    if not dates:
        return []
    in_force = max(dates)
    return sorted((p for p in periods if p.effective_from == in_force), key=lambda p: p.starts_at)


def _period_at(schedule: list[TariffPeriod], moment: time) -> tuple[TariffPeriod, time | None]:
    """The period that covers a local time of day, and the start of the next one (None: it runs
    to midnight). Before the first start of a schedule, the day's last period is still running."""
    current, following = schedule[-1], schedule[0].starts_at
    for index, period in enumerate(schedule):
        if period.starts_at <= moment:
            current = period
            following = schedule[index + 1].starts_at if index + 1 < len(schedule) else None
    return current, following


def _next_boundary(cursor: datetime, day: date, starts: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first instant after `cursor` at which the wall clock of `zone` reads `starts` on
    `day`. A wall time that occurs twice (clocks going back) has two candidates; one that never
    occurs (clocks going forward) yields an instant after the jump, and the caller cuts the
    segment at the jump itself (`_offset_change`)."""
    wall = datetime.combine(day, starts)
    candidates = sorted(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    later = [candidate for candidate in candidates if candidate > cursor]
    return later[0] if later else cursor + timedelta(hours=1)


def _offset_change(start: datetime, end: datetime, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """The instant in (start, end] where the zone's UTC offset changes, to the second, or None."""
    before = start.astimezone(zone).utcoffset()
    if end.astimezone(zone).utcoffset() == before:
        return None
    low, high = start, end  # offset at low is the old one, at high the new one
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def order_fee_compute(
    *, tariff: Tariff | None, started_at: datetime, stopped_at: datetime, energy_kwh: Decimal, time_zone: str
) -> Fee:
    """Price a session's energy by time of use.

    The schedule in force on the local start date prices the whole session. Energy is spread
    over the session in proportion to time (the piles report energy, not when each kWh flowed),
    so each period is charged for its share of the elapsed seconds. Boundaries are local times
    of the station's zone, so days with a DST change are priced by real elapsed time, each
    moment at the price of its wall-clock time. Fees are rounded half-up to the cent once, at
    the end.
    """
    if tariff is None or energy_kwh <= 0:
        return ZERO_FEE
    zone = zoneinfo.ZoneInfo(time_zone)
    # Python subtracts datetimes that share a tzinfo by wall clock; in UTC it is elapsed time.
    started_at, stopped_at = started_at.astimezone(UTC), stopped_at.astimezone(UTC)
    start_local = started_at.astimezone(zone)
    schedule = tariff_schedule(tariff, start_local.date())
    if not schedule:
        return ZERO_FEE
    total_seconds = Decimal((stopped_at - started_at).total_seconds())
    if total_seconds <= 0:
        period, _next = _period_at(schedule, start_local.time())
        return Fee(
            (energy_kwh * period.electricity_price).quantize(CENT, ROUND_HALF_UP),
            (energy_kwh * period.service_fee).quantize(CENT, ROUND_HALF_UP),
        )

    seconds_by_period: dict[int, Decimal] = defaultdict(Decimal)
    by_id = {period.pk: period for period in schedule}
    cursor = started_at
    while cursor < stopped_at:
        local = cursor.astimezone(zone)
        period, next_start = _period_at(schedule, local.time())
        boundary_day = local.date() if next_start is not None else local.date() + timedelta(days=1)
        boundary = min(_next_boundary(cursor, boundary_day, next_start or time(0), zone), stopped_at)
        # Where clocks change inside the segment, the wall time (and so the period) jumps there.
        boundary = _offset_change(cursor, boundary, zone) or boundary
        seconds_by_period[period.pk] += Decimal((boundary - cursor).total_seconds())
        cursor = boundary

    electricity = Decimal(0)
    service = Decimal(0)
    for pk, seconds in seconds_by_period.items():
        share = energy_kwh * seconds / total_seconds
        electricity += share * by_id[pk].electricity_price
        service += share * by_id[pk].service_fee
    return Fee(electricity.quantize(CENT, ROUND_HALF_UP), service.quantize(CENT, ROUND_HALF_UP))


def _validate_schedule(periods: list[dict]) -> None:
    starts = [row["starts_at"] for row in periods]
    if time(0) not in starts:
        raise ValidationError(_("A tariff schedule must have a period starting at 00:00."))
    if len(set(starts)) != len(starts):
        raise ValidationError(_("Two periods of one schedule cannot start at the same time."))


@transaction.atomic
def tariff_create(*, user: User | None, operator: Operator, name: str) -> Tariff:
    tariff = Tariff(operator=operator, name=name)
    tariff.full_clean()
    tariff.save()
    return tariff


@transaction.atomic
def tariff_schedule_set(
    *, user: User | None, tariff: Tariff, effective_from: date, periods: list[dict]
) -> list[TariffPeriod]:
    """Replace the schedule that starts on `effective_from` with `periods` (dicts of starts_at,
    electricity_price, service_fee). Schedules of other dates are untouched."""
    _validate_schedule(periods)
    tariff.periods.filter(effective_from=effective_from).delete()
    created = []
    for row in periods:
        period = TariffPeriod(tariff=tariff, effective_from=effective_from, **row)
        period.full_clean()
        period.save()
        created.append(period)
    return created


def order_number_new(started_at: datetime) -> str:
    """A readable, unique order number: the start time in UTC and a random suffix."""
    return f"CO{started_at.astimezone(UTC):%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"
