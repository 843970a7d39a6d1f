"""Writes of tariffs and charging orders, and the fee computation every priced order uses."""

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Operator, User
from analytics.services import rollup_mark
from audit.choices import AuditAction
from audit.services import audit_created, audit_record
from chargeops.db import objects_insert, rows_insert, rows_update
from drivers.services import charge_requests_link, wallet_orders_charge
from piles.choices import IdTagStatus
from piles.models import Gun, IdTag, Pile
from piles.services import pile_gun

from .choices import OrderStatus, PaymentMethod, StopReason
from .models import ChargingOrder, PowerSample, Tariff, TariffPeriod

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


def tariff_period_at(tariff: Tariff | None, *, at: datetime, time_zone: str) -> tuple[TariffPeriod, time | None] | None:
    """The period of a tariff in force at a moment, read on the station's wall clock, with the
    local time the next one starts (None: at midnight); None without a tariff or schedule."""
    if tariff is None:
        return None
    local = at.astimezone(zoneinfo.ZoneInfo(time_zone))
    schedule = tariff_schedule(tariff, local.date())
    return _period_at(schedule, local.time()) if schedule else None


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
    audit_created(user=user, obj=tariff)
    return tariff


def _schedule_text(periods) -> str:
    """A schedule as the audit log shows it: “00:00 0.3000 + 0.1000; 08:00 …” (electricity
    price + service fee per kWh from each start)."""
    rows = sorted(periods, key=lambda period: period.starts_at)
    return "; ".join(f"{row.starts_at:%H:%M} {row.electricity_price} + {row.service_fee}" for row in rows)


@transaction.atomic
def tariff_schedule_set(
    *, user: User | None, tariff: Tariff, effective_from: date, periods: list[dict]
) -> list[TariffPeriod]:
    """Replace the schedule that starts on `effective_from` with `periods` (dicts of starts_at,
    electricity_price, service_fee). Schedules of other dates are untouched."""
    _validate_schedule(periods)
    replaced = tariff.periods.filter(effective_from=effective_from)
    old = _schedule_text(replaced)
    replaced.delete()
    created = []
    for row in periods:
        period = TariffPeriod(tariff=tariff, effective_from=effective_from, **row)
        period.full_clean()
        period.save()
        created.append(period)
    # Read back: the prices as stored (rounded to the field's places), as the old ones were.
    new = _schedule_text(tariff.periods.filter(effective_from=effective_from))
    if new != old:
        label = _("Schedule from %(date)s") % {"date": effective_from.isoformat()}
        audit_record(user=user, obj=tariff, action=AuditAction.UPDATE, changes={label: [old, new]})
    return created


def order_number_for_transaction(started_at: datetime, transaction_id: int) -> str:
    """A readable order number, unique because the transaction id is: CO, the start date in
    UTC and the transaction id (the demo data numbers its orders the same way)."""
    return f"CO{started_at.astimezone(UTC):%Y%m%d}{transaction_id:010d}"


# Charging sessions as piles report them over OCPP.


def transaction_ids_next(count: int) -> list[int]:
    """The next OCPP transaction ids: a PostgreSQL sequence, or on SQLite (which lets one writer
    in at a time) the ones after the highest id, read inside the caller's write transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval('ocpp_transaction_id_seq') FROM generate_series(1, %s)", [count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT COALESCE(MAX(transaction_id), 0) FROM orders_chargingorder")
        highest = cursor.fetchone()[0]
        return list(range(highest + 1, highest + count + 1))


def transaction_ids_resync() -> None:
    """Move the sequence past ids written directly (the demo data sets its own)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval('ocpp_transaction_id_seq', "
                "COALESCE((SELECT MAX(transaction_id) FROM orders_chargingorder), 0) + 1, false)"
            )


@dataclass(frozen=True)
class IdTagInfo:
    status: str
    expires_at: datetime | None = None
    id_tag: IdTag | None = None


def _id_tag_info(pile: Pile, tag: IdTag | None, at: datetime) -> IdTagInfo:
    if tag is None:
        return IdTagInfo(IdTagStatus.INVALID)
    if tag.status != IdTagStatus.ACCEPTED:
        return IdTagInfo(tag.status, tag.expires_at, tag)
    if tag.expires_at is not None and tag.expires_at <= at:
        return IdTagInfo(IdTagStatus.EXPIRED, tag.expires_at, tag)
    if not pile.is_enabled:
        return IdTagInfo(IdTagStatus.BLOCKED, tag.expires_at, tag)
    return IdTagInfo(IdTagStatus.ACCEPTED, tag.expires_at, tag)


def _id_tags(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], IdTag]:
    """The id tags of (operator id, tag) pairs, in one query."""
    if not pairs:
        return {}
    tags = (
        IdTag.objects.filter(
            operator_id__in={operator for operator, _tag in pairs}, id_tag__in={tag for _operator, tag in pairs}
        )
        .select_related("driver")
        .order_by()
    )
    return {(tag.operator_id, tag.id_tag): tag for tag in tags if (tag.operator_id, tag.id_tag) in pairs}


def id_tag_authorize(*, pile: Pile, id_tag: str, at: datetime | None = None) -> IdTagInfo:
    """What the pile is to do with an id tag: Accepted only for a tag of the pile's own operator
    that is accepted and not expired, and only on a pile in use; unknown tags are Invalid."""
    key = (pile.station.area.operator_id, id_tag)
    return _id_tag_info(pile, _id_tags({key}).get(key), at or timezone.now())


def _pile_order(pile: Pile, transaction_id: int, orders: dict[int, ChargingOrder]) -> ChargingOrder:
    """The order of a transaction a pile's message names, among `orders` (by transaction id),
    or the refusal when it is unknown or another pile's."""
    order = orders.get(transaction_id)
    if order is None:
        raise ValidationError(_("Transaction %(id)s is not known.") % {"id": transaction_id})
    if order.pile_id != pile.pk:
        raise ValidationError(_("Transaction %(id)s belongs to another pile.") % {"id": transaction_id})
    return order


def _payment_method(tag: IdTag | None) -> str:
    """A driver portal account's tag pays from the driver's wallet; any other, by card."""
    return PaymentMethod.WALLET if tag is not None and hasattr(tag, "driver") else PaymentMethod.RFID_CARD


@dataclass(frozen=True)
class StartReport:
    """One StartTransaction."""

    pile: Pile
    connector_id: int
    id_tag: str
    meter_start_wh: int
    at: datetime


@transaction.atomic
def order_starts(*, items: list[StartReport]) -> list[tuple[int, IdTagInfo] | ValidationError]:
    """Open the orders of StartTransactions, many piles' at once (the gateway gathers them).
    Returns per report its transaction id and id tag answer, or the ValidationError that
    refused it.

    Piles resend a StartTransaction whose answer they lost; the same pile, gun, tag, meter
    reading and time give back the transaction already made. A refused tag still gets an
    order (OCPP has the pile stop such a session at once)."""
    results: list = [None] * len(items)
    accepted = []
    for index, report in enumerate(items):
        try:
            if report.meter_start_wh < 0:
                raise ValidationError(_("The meter start cannot be negative."))
            accepted.append((index, report, pile_gun(report.pile, report.connector_id)))
        except ValidationError as error:
            results[index] = error
    tags = _id_tags({(report.pile.station.area.operator_id, report.id_tag) for _i, report, _gun in accepted})
    resent = {
        (o.pile_id, o.gun_id, o.id_tag_text, o.meter_start_wh, o.started_at): o.transaction_id
        for o in ChargingOrder.objects.filter(
            pile_id__in={report.pile.pk for _i, report, _gun in accepted},
            started_at__in={report.at for _i, report, _gun in accepted},
        )
        .order_by()
        .only("pile_id", "gun_id", "id_tag_text", "meter_start_wh", "started_at", "transaction_id")
    }
    orders = []
    for index, report, gun in accepted:
        info = _id_tag_info(report.pile, tags.get((report.pile.station.area.operator_id, report.id_tag)), report.at)
        previous = resent.get((report.pile.pk, gun.pk, report.id_tag, report.meter_start_wh, report.at))
        if previous is not None:
            results[index] = (previous, info)
            continue
        order = ChargingOrder(
            station=report.pile.station,
            pile=report.pile,
            gun=gun,
            id_tag=info.id_tag,
            id_tag_text=report.id_tag,
            started_at=report.at,
            meter_start_wh=report.meter_start_wh,
            meter_last_wh=report.meter_start_wh,
            meter_last_at=report.at,
            payment_method=_payment_method(info.id_tag),
        )
        orders.append((index, order, info))
    for (index, order, info), transaction_id in zip(orders, transaction_ids_next(len(orders)), strict=True):
        order.transaction_id = transaction_id
        order.number = order_number_for_transaction(order.started_at, transaction_id)
        results[index] = (transaction_id, info)
    # Every value is the gateway's own or checked above; the table's constraints guard the rest.
    objects_insert([order for _index, order, _info in orders])
    charge_requests_link(orders=[order for _index, order, _info in orders])
    rollup_mark(moments=[(order.station, order.started_at) for _index, order, _info in orders])
    return results


@dataclass(frozen=True)
class MeterSample:
    """One sampled moment of a MeterValues message; None where the pile did not send it."""

    at: datetime
    energy_wh: int | None = None
    power_kw: Decimal | None = None
    soc_percent: int | None = None


@dataclass(frozen=True)
class MeterReport:
    """One MeterValues message. Connector 0 is the pile as a whole."""

    pile: Pile
    connector_id: int
    samples: list[MeterSample]
    transaction_id: int | None = None


def _meter_report_check(report: MeterReport, orders: dict[int, ChargingOrder]) -> tuple[Gun, ChargingOrder | None]:
    for sample in report.samples:
        if sample.energy_wh is not None and sample.energy_wh < 0:
            raise ValidationError(_("A meter reading cannot be negative."))
        if sample.power_kw is not None and sample.power_kw < 0:
            raise ValidationError(_("Power cannot be negative."))
    gun = pile_gun(report.pile, report.connector_id)
    order = None
    if report.transaction_id is not None:
        order = _pile_order(report.pile, report.transaction_id, orders)
        if order.gun_id != gun.pk:
            raise ValidationError(_("Transaction %(id)s runs on another gun.") % {"id": report.transaction_id})
        readings = [s.energy_wh for s in report.samples if s.energy_wh is not None]
        if readings and min(readings) < order.meter_start_wh:
            raise ValidationError(_("A meter reading cannot be below the meter start."))
    return gun, order


@transaction.atomic
def meter_reports_record(*, items: list[MeterReport]) -> list[ValidationError | None]:
    """Record MeterValues, many piles' at once (the gateway gathers them): power samples for
    the live charts, each gun's live power, and each order's latest energy reading, in a few
    statements for the whole batch. Returns, per report, None or the ValidationError that
    refused it; a refused report stores nothing."""
    errors: list[ValidationError | None] = [None] * len(items)
    wanted = {report.transaction_id for report in items if report.transaction_id is not None}
    fields = ["pk", "pile_id", "gun_id", "status", "meter_start_wh", "meter_last_at", "transaction_id"]
    orders = {o.transaction_id: o for o in ChargingOrder.objects.filter(transaction_id__in=wanted).only(*fields)}
    samples, guns, readings = [], [], []
    for index, report in enumerate(items):
        if report.connector_id == 0 and report.transaction_id is None:
            continue  # readings of the whole pile: no gun to show them on
        try:
            gun, order = _meter_report_check(report, orders)
        except ValidationError as error:
            errors[index] = error
            continue
        powered = [s for s in report.samples if s.power_kw is not None]
        samples += [(gun.pk, order.pk if order else None, s.at, s.power_kw, s.soc_percent) for s in powered]
        if powered:
            gun.live_power_kw = max(powered, key=lambda s: s.at).power_kw
            guns.append(gun)
        metered = [s for s in report.samples if s.energy_wh is not None]
        if order is not None and order.status == OrderStatus.CHARGING and metered:
            reading = max(metered, key=lambda s: s.at)
            # A late reading never replaces a newer one.
            if order.meter_last_at is None or order.meter_last_at <= reading.at:
                order.meter_last_wh, order.meter_last_at = reading.energy_wh, reading.at
                order.energy_kwh = _kwh(reading.energy_wh - order.meter_start_wh)
                readings.append(order)
    rows_insert(PowerSample, ["gun", "order", "sampled_at", "power_kw", "soc_percent"], samples)
    rows_update(Gun, ["live_power_kw"], [(gun.live_power_kw, gun.pk) for gun in guns])
    # Only orders still charging: one stopped meanwhile keeps its final reading.
    rows_update(
        ChargingOrder,
        ["meter_last_wh", "meter_last_at", "energy_kwh"],
        [(o.meter_last_wh, o.meter_last_at, o.energy_kwh, o.pk) for o in readings],
        only_where={"status": OrderStatus.CHARGING},
    )
    return errors


def _kwh(wh: int) -> Decimal:
    return (Decimal(wh) / 1000).quantize(Decimal("0.001"))


STOP_FIELDS = [
    "stopped_at",
    "meter_stop_wh",
    "meter_last_wh",
    "energy_kwh",
    "electricity_fee",
    "service_fee",
    "amount",
    "status",
    "stop_reason",
]


def _order_close(order: ChargingOrder, *, meter_stop_wh: int, at: datetime, status: str, reason: str) -> None:
    """Set a closing order's stop, energy and fees (the caller writes them: STOP_FIELDS)."""
    order.stopped_at = max(at, order.started_at)
    order.meter_stop_wh = meter_stop_wh
    order.meter_last_wh = meter_stop_wh
    order.energy_kwh = _kwh(meter_stop_wh - order.meter_start_wh)
    station = order.station
    fee = order_fee_compute(
        tariff=station.tariff,
        started_at=order.started_at,
        stopped_at=order.stopped_at,
        energy_kwh=order.energy_kwh,
        time_zone=station.time_zone,
    )
    order.electricity_fee, order.service_fee, order.amount = fee.electricity_fee, fee.service_fee, fee.amount
    order.status, order.stop_reason = status, reason


def _orders_closed_write(orders: list[ChargingOrder]) -> None:
    # The check constraints on the table (stop after start, meter not backwards) guard these.
    rows_update(ChargingOrder, STOP_FIELDS, [(*(getattr(o, f) for f in STOP_FIELDS), o.pk) for o in orders])
    rows_update(Gun, ["live_power_kw"], [(Decimal("0"), order.gun_id) for order in orders])
    # In the stop's transaction: an order is closed and paid together, or neither.
    wallet_orders_charge(orders=orders)
    rollup_mark(moments=[(order.station, order.started_at) for order in orders])


@dataclass(frozen=True)
class StopReport:
    """One StopTransaction."""

    pile: Pile
    transaction_id: int
    meter_stop_wh: int
    at: datetime
    reason: str = ""


def _stop_check(report: StopReport, order: ChargingOrder) -> bool:
    """Whether the stop closes the order (False: it is a resend of the stop already made)."""
    if order.status != OrderStatus.CHARGING:
        if order.meter_stop_wh == report.meter_stop_wh and order.stopped_at == max(report.at, order.started_at):
            return False
        raise ValidationError(_("Transaction %(id)s is already stopped.") % {"id": report.transaction_id})
    if report.meter_stop_wh < order.meter_start_wh:
        raise ValidationError(_("The meter stop cannot be below the meter start."))
    if report.at < order.started_at:
        raise ValidationError(_("A transaction cannot stop before it started."))
    return True


@transaction.atomic
def order_stops(*, items: list[StopReport]) -> list[ValidationError | None]:
    """Close the orders of StopTransactions, many piles' at once (the gateway gathers them):
    energy from the meter, fee from the station's tariff. A resent stop with the same reading
    and time is answered again without changing anything. Returns per report None or the
    ValidationError that refused it."""
    results: list[ValidationError | None] = [None] * len(items)
    wanted = [report.transaction_id for report in items]
    orders = {o.transaction_id: o for o in ChargingOrder.objects.select_for_update().filter(transaction_id__in=wanted)}
    closed = []
    for index, report in enumerate(items):
        try:
            order = _pile_order(report.pile, report.transaction_id, orders)
            if not _stop_check(report, order):
                continue
        except ValidationError as error:
            results[index] = error
            continue
        if order.station_id == report.pile.station_id:
            order.station = report.pile.station  # the gateway's copy, with its tariff's periods loaded
        reason = report.reason or StopReason.LOCAL
        _order_close(
            order, meter_stop_wh=report.meter_stop_wh, at=report.at, status=OrderStatus.COMPLETED, reason=reason
        )
        closed.append(order)
    _orders_closed_write(closed)
    return results


def orders_close_abnormal(*, now: datetime | None = None) -> int:
    """Close as abnormal the orders whose pile has said nothing about them for the operator's
    abnormal-order timeout, with the energy of their last meter reading. Returns how many."""
    now = now or timezone.now()
    closed = 0
    for hours in Operator.objects.values_list("abnormal_order_hours", flat=True).distinct():
        cutoff = now - timedelta(hours=hours)
        stale = ChargingOrder.objects.filter(
            status=OrderStatus.CHARGING, station__area__operator__abnormal_order_hours=hours
        ).filter(Q(meter_last_at__lt=cutoff) | Q(meter_last_at__isnull=True, started_at__lt=cutoff))
        for pk in stale.values_list("pk", flat=True):
            with transaction.atomic():
                order = ChargingOrder.objects.select_for_update(of=("self",)).select_related("station__tariff")
                order = order.get(pk=pk)
                if order.status != OrderStatus.CHARGING:
                    continue
                _order_close(
                    order,
                    meter_stop_wh=order.meter_last_wh if order.meter_last_wh is not None else order.meter_start_wh,
                    at=order.meter_last_at or order.started_at,
                    status=OrderStatus.ABNORMAL,
                    reason=StopReason.OTHER,
                )
                _orders_closed_write([order])
                closed += 1
    return closed
