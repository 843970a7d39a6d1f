"""Writes of piles and their guns. The web forms, the Excel import, the OCPP gateway and the
demo data all call these functions."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Operator, User
from analytics.services import rollup_mark, rollup_mark_since
from audit.services import audit_changes, audit_created, audit_created_many, audit_deleted
from chargeops.db import rows_insert, rows_update
from chargeops.imports import ImportPlan, ImportResult, Progress, no_progress
from firmware.services import upgrade_boot_report, upgrade_status_report, upgrade_targets_release
from maintenance.choices import ErrorCode
from maintenance.services import FaultReport, alarms_report
from stations.models import Station

from .choices import GunStatus, OnlineStatus, UsageState
from .models import Gun, Pile, StatusChange

# The fields of a pile that people set (forms, import); the rest is learnt from the pile.
PILE_FIELDS = [
    "station",
    "name",
    "charge_point_id",
    "manufacturer",
    "model",
    "serial_number",
    "rated_power_kw",
    "voltage_min",
    "voltage_max",
    "charging_method",
    "usage_state",
]
GUN_FIELDS = ["connector_id", "connector_type"]
# Above any real gun number: where a renumbered gun waits while others move.
TEMPORARY_GUN_NUMBER = 30000


def _check_gun_numbers(rows: list[dict]) -> None:
    kept = [row for row in rows if not row.get("DELETE")]
    if not kept:
        raise ValidationError({"guns": _("A pile needs at least one gun.")})
    seen = set()
    for row in kept:
        number = row["connector_id"]
        if number in seen:
            raise ValidationError({"guns": _("Gun number %(number)s is used twice on this pile.") % {"number": number}})
        seen.add(number)


def _guns_apply(pile: Pile, rows: list[dict]) -> None:
    """Create, change and remove a pile's guns from form rows (`id` = existing gun or None,
    `DELETE` = remove it). Removals go first, and renumbered guns pass through free numbers, so
    that guns can swap numbers without tripping the one-number-per-pile constraint."""
    _check_gun_numbers(rows)
    for row in rows:
        gun = row.get("id")
        if gun is not None and gun.pile_id != pile.pk:
            raise ValidationError({"guns": _("A gun of another pile cannot be changed here.")})
    for row in rows:
        gun = row.get("id")
        if gun is not None and row.get("DELETE"):
            if gun.orders.exists():
                message = _("Gun %(number)s has charging orders and cannot be removed.")
                raise ValidationError({"guns": message % {"number": gun.connector_id}})
            gun.delete()
    kept = [row for row in rows if not row.get("DELETE")]
    # Compared with the database: a form may already have set the new number on the instance.
    stored = dict(pile.guns.values_list("pk", "connector_id")) if pile.pk else {}
    renumbered = [row["id"] for row in kept if row.get("id") and stored.get(row["id"].pk) != row["connector_id"]]
    for offset, gun in enumerate(renumbered, start=1):
        gun.connector_id = TEMPORARY_GUN_NUMBER + offset
        gun.save(update_fields=["connector_id"])
    for row in kept:
        gun = row.get("id") or Gun(pile=pile)
        for field in GUN_FIELDS:
            setattr(gun, field, row[field])
        gun.full_clean()
        if gun.pk:
            # Only the fields people set: status and live power belong to the pile's own reports.
            gun.save(update_fields=GUN_FIELDS)
        else:
            gun.save()


@transaction.atomic
def pile_create(*, user: User | None, station: Station, guns: list[dict], **data) -> Pile:
    pile = Pile(station=station)
    for field in PILE_FIELDS:
        if field in data:
            setattr(pile, field, data[field])
    pile.full_clean()
    _check_gun_numbers(guns)
    pile.save()
    _guns_apply(pile, guns)
    audit_created(user=user, obj=pile)
    return pile


@transaction.atomic
def pile_update(*, user: User | None, pile: Pile, guns: list[dict] | None = None, **data) -> Pile:
    operator_id = pile.station.area.operator_id
    # The guns are a value of the pile's entry (Pile.audit_values): one entry for the whole form.
    with audit_changes(user=user, obj=pile):
        for field in PILE_FIELDS:
            if field in data:
                setattr(pile, field, data[field])
        if pile.station.area.operator_id != operator_id:
            raise ValidationError({"station": _("A pile can only move to a station of its own operator.")})
        pile.full_clean()
        pile.save(update_fields=PILE_FIELDS)
        if guns is not None:
            _guns_apply(pile, guns)
    return pile


@transaction.atomic
def pile_delete(*, user: User | None, pile: Pile) -> None:
    orders = pile.orders.count()
    if orders:
        raise ValidationError(
            _("Pile “%(pile)s” cannot be deleted: it has %(count)d charging order(s). Disable it instead.")
            % {"pile": pile, "count": orders}
        )
    work_orders = pile.work_orders.count()
    if work_orders:
        raise ValidationError(
            _("Pile “%(pile)s” cannot be deleted: it has %(count)d work order(s). Disable it instead.")
            % {"pile": pile, "count": work_orders}
        )
    audit_deleted(user=user, obj=pile)
    pile.delete()


@transaction.atomic
def pile_set_usage(*, user: User | None, pile: Pile, usage_state: str) -> Pile:
    with audit_changes(user=user, obj=pile):
        pile.usage_state = UsageState(usage_state)
        pile.save(update_fields=["usage_state"])
    return pile


# What a pile reports about itself over OCPP.


def pile_gun(pile: Pile, connector_id: int) -> Gun:
    """The gun a pile's message names, or the refusal when the pile has no such gun."""
    gun = pile.gun_numbered(connector_id)
    if gun is None:
        raise ValidationError(_("Pile %(pile)s has no gun %(number)s.") % {"pile": pile, "number": connector_id})
    return gun


@transaction.atomic
def pile_boot(
    *, pile: Pile, vendor: str, model: str, at: datetime, serial_number: str = "", firmware_version: str = ""
) -> int:
    """Record a BootNotification: what the pile says it is, and that it is registered now.
    Returns the heartbeat interval the pile is to use."""
    pile.reported_vendor = vendor[:50]
    pile.reported_model = model[:50]
    if serial_number:
        pile.serial_number = serial_number[:64]
    if firmware_version:
        pile.firmware_version = firmware_version[:50]
    pile.booted_at = at
    pile.registered_at = pile.registered_at or at
    pile.last_seen_at = at
    fields = ["reported_vendor", "reported_model", "serial_number", "firmware_version", "booted_at", "registered_at"]
    pile.save(update_fields=[*fields, "last_seen_at"])
    upgrade_boot_report(pile=pile, firmware_version=firmware_version[:50], at=at)
    return pile.station.area.operator.heartbeat_interval


@transaction.atomic
def pile_connection_set(*, pile: Pile, connected: bool, at: datetime) -> None:
    """A pile's WebSocket opened or closed (or it fell silent): online or offline from `at`."""
    changed = Pile.objects.filter(pk=pile.pk, connected=not connected).update(
        connected=connected, **({"last_seen_at": at} if connected else {})
    )
    pile.connected = connected
    if changed:
        status = OnlineStatus.ONLINE if connected else OnlineStatus.OFFLINE
        StatusChange.objects.create(pile=pile, status=status, at=at)
        rollup_mark(moments=[(pile.station, at)])


def piles_seen(*, pile_ids: list[int], at: datetime) -> None:
    """Piles sent messages up to `at`. The gateway gathers the piles it heard from and writes
    them every few seconds in one statement, not one UPDATE per message."""
    Pile.objects.filter(pk__in=pile_ids).filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=at)).update(
        last_seen_at=at
    )


@transaction.atomic
def pile_transfer_status_set(*, pile: Pile, firmware_status: str | None = None, diagnostics_status: str | None = None):
    """Record a FirmwareStatusNotification or DiagnosticsStatusNotification."""
    fields = {"firmware_status": firmware_status, "diagnostics_status": diagnostics_status}
    fields = {name: value[:20] for name, value in fields.items() if value is not None}
    Pile.objects.filter(pk=pile.pk).update(**fields)
    if firmware_status is not None:
        upgrade_status_report(pile=pile, status=firmware_status, at=timezone.now())


@dataclass(frozen=True)
class StatusReport:
    """One StatusNotification. Connector 0 is the pile as a whole."""

    pile: Pile
    connector_id: int
    status: str
    error_code: str
    at: datetime
    info: str = ""
    vendor_error_code: str = ""


# While charging, the live power stays; any other status means no power flows.
POWERED = (GunStatus.CHARGING, GunStatus.SUSPENDED_EV, GunStatus.SUSPENDED_EVSE)


@transaction.atomic
def gun_status_reports(*, items: list[StatusReport]) -> list[ValidationError | None]:
    """Record StatusNotifications, many piles' at once: the gateway gathers them, so that a
    network's reports cost a few statements instead of several each.

    A Faulted status or an error code other than NoError raises an alarm; a gun's alarms clear
    when it reports a healthy status. A report older than the gun's current status (sent late,
    after a reconnect) goes into the history without overwriting the newer status. Returns, per
    report, None or the ValidationError that refused it; a refused report stores nothing.

    Only the pile reports its guns' statuses, one message at a time, so the guns in hand (kept
    by the gateway with the pile) are current."""
    errors: list[ValidationError | None] = [None] * len(items)
    changes, guns, alarm_reports, marks = [], [], [], []
    for index, report in enumerate(items):
        try:
            gun = pile_gun(report.pile, report.connector_id) if report.connector_id else None
        except ValidationError as error:
            errors[index] = error
            continue
        status = GunStatus(report.status)
        code = "" if report.error_code == ErrorCode.NO_ERROR else report.error_code
        current = gun is not None and (gun.status_changed_at is None or gun.status_changed_at <= report.at)
        if not current or (gun.status, gun.error_code) != (status, code):
            changes.append((report.pile.pk, gun.pk if gun else None, status, code, report.at))
            if current or gun is None:
                marks.append((report.pile.station, report.at))
            else:
                rollup_mark_since(station=report.pile.station, since=report.at)
        if current:
            gun.status, gun.error_code, gun.status_changed_at = status, code, report.at
            if status not in POWERED:
                gun.live_power_kw = Decimal("0")
            guns.append(gun)
        faulted = status == GunStatus.FAULTED or code
        alarm_reports.append(
            FaultReport(
                pile=report.pile,
                gun=gun,
                error_code=(code or ErrorCode.OTHER_ERROR) if faulted else None,
                at=report.at,
                info=report.info or _("The pile reported %(status)s.") % {"status": status.label},
                vendor_error_code=report.vendor_error_code,
            )
        )
    rows_insert(StatusChange, ["pile", "gun", "status", "error_code", "at"], changes)
    rollup_mark(moments=marks)
    rows_update(
        Gun,
        ["status", "error_code", "status_changed_at", "live_power_kw"],
        [(gun.status, gun.error_code, gun.status_changed_at, gun.live_power_kw, gun.pk) for gun in guns],
    )
    alarms_report(reports=alarm_reports)
    # A car left, or a pile came back: a firmware upgrade waiting for that goes out now.
    upgrade_targets_release(pile_ids={report.pile.pk for report in items})
    return errors


def piles_mark_silent_offline(*, now: datetime | None = None) -> int:
    """Mark offline every connected pile that has been silent for its operator's offline
    timeout. Returns how many piles went offline."""
    now = now or timezone.now()
    count = 0
    for timeout in Operator.objects.values_list("offline_timeout", flat=True).distinct():
        silent = Pile.objects.select_related("station").filter(
            connected=True,
            station__area__operator__offline_timeout=timeout,
            last_seen_at__lt=now - timedelta(seconds=timeout),
        )
        for pile in silent:
            pile_connection_set(pile=pile, connected=False, at=pile.last_seen_at + timedelta(seconds=timeout))
            count += 1
    return count


@transaction.atomic
def piles_create_many(
    *, user: User | None, piles: list[tuple[dict, list[dict]]], progress: Progress = no_progress
) -> list[Pile]:
    """`pile_create` for many piles, each given as (fields, gun rows), in a few statements: the
    batch import's path for new piles (10,000 through `pile_create` take minutes). Each pile and
    gun is checked as there; the constraints (unique charge point ids and names, gun numbers)
    are left to the database, whose refusal undoes every pile. The stations are the caller's,
    already loaded from the user's operator."""
    new, guns = [], []
    for done, (fields, gun_rows) in enumerate(piles, start=1):
        pile = Pile(**{field: fields[field] for field in PILE_FIELDS if field in fields})
        pile.full_clean(exclude=["station"], validate_unique=False, validate_constraints=False)
        _check_gun_numbers(gun_rows)
        new.append(pile)
        progress(done)
    try:
        with transaction.atomic():
            Pile.objects.bulk_create(new, batch_size=1000)
            for pile, (_fields, gun_rows) in zip(new, piles, strict=True):
                for row in gun_rows:
                    gun = Gun(pile=pile, **{field: row[field] for field in GUN_FIELDS})
                    gun.full_clean(exclude=["pile"], validate_unique=False, validate_constraints=False)
                    guns.append(gun)
            Gun.objects.bulk_create(guns, batch_size=1000)
            audit_created_many(user=user, objects=new, prefetch=("guns",))
    except IntegrityError as error:
        raise ValidationError(
            _("A pile with one of these charge point ids or names was saved meanwhile. Nothing was imported.")
        ) from error
    return new


@transaction.atomic
def piles_import(*, user: User, plan: ImportPlan, progress: Progress = no_progress) -> ImportResult:
    """Write a checked batch import: every row or, when any row fails, none. Updates go
    through `pile_update` one by one; new piles through `piles_create_many`. Either way the
    audit log has an entry per pile, as if each had been entered by hand. Rows that match
    their pile already are not written at all."""
    if not plan.is_valid:
        raise ValidationError(_("The file has errors; nothing was imported."))
    updates = [row for row in plan.rows if row.target is not None]
    for done, row in enumerate(updates, start=1):
        try:
            pile_update(user=user, pile=row.target, **row.fields)
        except ValidationError as error:
            # Checked moments ago; a change saved since ends the whole import, and says where.
            raise ValidationError(
                _("Row %(row)s: %(message)s Nothing was imported.")
                % {"row": row.number, "message": " ".join(error.messages)}
            ) from error
        progress(done)
    creates = [(row.fields, row.fields["guns"]) for row in plan.rows if row.target is None]
    piles_create_many(user=user, piles=creates, progress=lambda done: progress(len(updates) + done))
    return ImportResult(created=plan.created, updated=plan.updated, unchanged=plan.unchanged)
