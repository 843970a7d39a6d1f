"""Writes of firmware packages and upgrades. The web forms, the OCPP gateway (through the piles'
services that record what a pile reports) and the periodic check call these functions."""

import hashlib
import os
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ocpp.v16.enums import FirmwareStatus

from accounts.models import Operator, User
from audit.services import audit_changes, audit_created, audit_deleted
from gateway.choices import CommandAction, CommandStatus
from gateway.services import command_create
from piles.models import Pile
from stations.models import Station

from .choices import UPGRADE_IN_FLIGHT, UPGRADE_UNFINISHED, UPGRADE_WAITING, UpgradeStatus
from .downloads import download_base_url, download_url
from .models import FirmwarePackage, FirmwareUpgrade, UpgradeTarget
from .selectors import piles_busy

# Packages.


def _sha256(file: File) -> str:
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    return digest.hexdigest()


@transaction.atomic
def package_upload(
    *,
    user: User | None,
    file: File,
    version: str,
    manufacturer: str,
    model: str,
    notes: str = "",
    operator: Operator | None = None,
) -> FirmwarePackage:
    """Store a firmware file for a pile model with its SHA-256 and size. A refused upload
    writes nothing, neither the row nor the file."""
    operator = operator or (user.operator if user is not None else None)
    if operator is None:
        raise ValidationError(_("Choose the operator the firmware belongs to."))
    if not file.size:
        raise ValidationError({"file": _("The file is empty.")})
    if file.size > settings.FIRMWARE_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; a firmware package may be at most %(limit)s.")
                % {"size": filesizeformat(file.size), "limit": filesizeformat(settings.FIRMWARE_MAX_BYTES)}
            }
        )
    version, manufacturer, model = version.strip(), manufacturer.strip(), model.strip()
    # Named as the operator's piles of that model spell it, whatever capitals were typed.
    spelled = (
        Pile.objects.for_operator(operator)
        .filter(manufacturer__iexact=manufacturer, model__iexact=model)
        .values_list("manufacturer", "model")
        .first()
    )
    if spelled:
        manufacturer, model = spelled
    taken = FirmwarePackage.objects.filter(
        operator=operator, manufacturer__iexact=manufacturer, model__iexact=model, version=version
    )
    if taken.exists():
        raise ValidationError(
            {
                "version": _("Version %(version)s of the %(manufacturer)s %(model)s firmware is already uploaded.")
                % {"version": version, "manufacturer": manufacturer, "model": model}
            }
        )
    package = FirmwarePackage(
        operator=operator,
        file=file,
        # Named in the download link's path, which needs a name.
        file_name=os.path.basename(file.name)[:200] or "firmware.bin",
        version=version,
        manufacturer=manufacturer,
        model=model,
        notes=notes,
        checksum=_sha256(file),
        size=file.size,
        uploaded_by=user if user is not None and user.pk else None,
    )
    package.full_clean()
    try:
        with transaction.atomic():
            package.save()
    except IntegrityError as error:
        # The same version was uploaded meanwhile: the file just stored belongs to no row.
        package.file.delete(save=False)
        raise ValidationError({"version": _("This version was uploaded meanwhile.")}) from error
    audit_created(user=user, obj=package)
    return package


@transaction.atomic
def package_delete(*, user: User | None, package: FirmwarePackage) -> None:
    count = package.upgrades.count()
    if count:
        raise ValidationError(
            _("Firmware “%(package)s” cannot be deleted: %(count)d upgrade(s) sent it, and their history refers to it.")
            % {"package": package, "count": count}
        )
    audit_deleted(user=user, obj=package)
    storage, name = package.file.storage, package.file.name
    package.delete()
    transaction.on_commit(lambda: storage.delete(name))


# Upgrades.


def _status_set(target: UpgradeTarget, status: str, *, at: datetime, reason: str = "") -> bool:
    """Move a target to `status` (saving its command and sending time too); False when it is
    there already for the same reason."""
    if (target.status, target.reason) == (status, str(reason)):
        return False
    target.status, target.reason, target.status_changed_at = UpgradeStatus(status), str(reason)[:255], at
    target.save(update_fields=["status", "reason", "status_changed_at", "command", "sent_at"])
    return True


def _update_firmware_payload(upgrade: FirmwareUpgrade, now: datetime) -> dict:
    retrieve = max(now, upgrade.retrieve_at or now)
    until = retrieve + timedelta(seconds=settings.FIRMWARE_DOWNLOAD_LINK_SECONDS)
    payload = {"location": download_url(upgrade.package, until=until), "retrieve_date": retrieve.isoformat()}
    if upgrade.retries is not None:
        payload["retries"] = upgrade.retries
    return payload


def _targets_send(targets: list[UpgradeTarget], *, now: datetime) -> int:
    """Send UpdateFirmware for the targets whose pile is connected and has no car plugged in;
    the others wait, saying for what. Returns how many were sent."""
    pile_ids = [target.pile_id for target in targets]
    connected = set(Pile.objects.filter(pk__any_of=pile_ids, connected=True).values_list("pk", flat=True))
    busy = piles_busy(pile_ids)
    sent = 0
    for target in targets:
        if target.pile_id not in connected:
            reason = _("The pile is offline; the firmware goes out when it connects.")
            _status_set(target, UpgradeStatus.PENDING, at=now, reason=reason)
            continue
        if target.pile_id in busy:
            _status_set(target, UpgradeStatus.WAITING_IDLE, at=now, reason=busy[target.pile_id])
            continue
        command = command_create(
            user=target.upgrade.started_by,
            pile=target.pile,
            action=CommandAction.UPDATE_FIRMWARE,
            payload=_update_firmware_payload(target.upgrade, now),
        )
        if command.status == CommandStatus.FAILED:
            _status_set(target, UpgradeStatus.PENDING, at=now, reason=command.error)
            continue
        target.command, target.sent_at = command, now
        _status_set(target, UpgradeStatus.SENT, at=now)
        sent += 1
    return sent


def _refusal(pile: Pile, package: FirmwarePackage, operator_id: int, upgrading: dict[int, int]) -> str | None:
    """Why `package` cannot go to `pile`, or None."""
    if pile.station.area.operator_id != operator_id:
        return _("Pile “%(pile)s” belongs to another operator.") % {"pile": pile}
    if not package.fits(pile):
        return _("Pile “%(pile)s” is a %(manufacturer)s %(model)s; this firmware is for the %(wanted)s.") % {
            "pile": pile,
            "manufacturer": pile.manufacturer,
            "model": pile.model,
            "wanted": f"{package.manufacturer} {package.model}",
        }
    if pile.firmware_version == package.version:
        return _("Pile “%(pile)s” already runs firmware %(version)s.") % {"pile": pile, "version": package.version}
    if pile.pk in upgrading:
        return _("Pile “%(pile)s” is already being upgraded (upgrade #%(number)s).") % {
            "pile": pile,
            "number": upgrading[pile.pk],
        }
    return None


@transaction.atomic
def upgrade_start(
    *,
    user: User | None,
    package: FirmwarePackage,
    piles=(),
    station: Station | None = None,
    retrieve_at: datetime | None = None,
    retries: int | None = None,
) -> FirmwareUpgrade:
    """Upgrade the chosen piles, and every pile of the package's model at `station` that does
    not run this version or take part in another upgrade. A chosen pile that cannot take the
    package refuses the whole upgrade, with the reason for each such pile.

    Each pile is sent UpdateFirmware at once when it is connected and idle; the others wait (see
    `upgrade_targets_release`)."""
    now = timezone.now()
    operator_id = package.operator_id
    if not piles and station is None:
        raise ValidationError(_("Choose the piles to upgrade, or a station whose piles of this model to upgrade."))
    if station is not None and station.area.operator_id != operator_id:
        raise ValidationError(
            {"station": _("Station “%(station)s” belongs to another operator.") % {"station": station}}
        )
    if retrieve_at is not None and retrieve_at < now - timedelta(minutes=1):
        raise ValidationError({"retrieve_at": _("The download time is in the past.")})
    if not download_base_url():
        raise ValidationError(
            _("Piles cannot be given a download address: FIRMWARE_DOWNLOAD_BASE_URL is not set on the platform.")
        )
    chosen = list(piles)
    at_station = list(Pile.objects.filter(station=station).select_related("station__area")) if station else []
    every = {pile.pk: pile for pile in [*chosen, *at_station]}
    upgrading = dict(
        UpgradeTarget.objects.filter(pile_id__any_of=list(every), status__in=UPGRADE_UNFINISHED).values_list(
            "pile_id", "upgrade_id"
        )
    )
    errors = [reason for pile in chosen if (reason := _refusal(pile, package, operator_id, upgrading))]
    if errors:
        raise ValidationError({"piles": errors})
    # Of a station's piles, those of other models or already done are simply not its to upgrade.
    selected = {pile.pk: pile for pile in chosen}
    for pile in at_station:
        if _refusal(pile, package, operator_id, upgrading) is None:
            selected.setdefault(pile.pk, pile)
    if not selected:
        raise ValidationError(
            {
                "station": _("Station “%(station)s” has no pile of the %(model)s that needs firmware %(version)s.")
                % {"station": station, "model": f"{package.manufacturer} {package.model}", "version": package.version}
            }
        )
    upgrade = FirmwareUpgrade(
        package=package,
        retrieve_at=retrieve_at,
        retries=retries,
        started_by=user if user is not None and user.pk else None,
        created_at=now,
    )
    upgrade.full_clean()
    upgrade.save()
    targets = [
        UpgradeTarget(upgrade=upgrade, pile=pile, previous_version=pile.firmware_version, status_changed_at=now)
        for pile in selected.values()
    ]
    try:
        with transaction.atomic():
            UpgradeTarget.objects.bulk_create(targets)
    except IntegrityError as error:
        raise ValidationError(
            _("One of these piles was put in another upgrade meanwhile; nothing was started.")
        ) from error
    audit_created(user=user, obj=upgrade)
    _targets_send(targets, now=now)
    return upgrade


CANCELLED = gettext_lazy("Cancelled before it was sent.")


@transaction.atomic
def upgrade_cancel(*, user: User | None, upgrade: FirmwareUpgrade) -> int:
    """Stop the piles of an upgrade that have not been sent the firmware yet; those that have
    cannot be called back (OCPP 1.6 has no request for it). Returns how many were stopped."""
    now = timezone.now()
    waiting = list(upgrade.targets.select_for_update().filter(status__in=UPGRADE_WAITING))
    if not waiting:
        raise ValidationError(
            _("Every pile of this upgrade has been sent the firmware already; a pile cannot be called back.")
        )
    with audit_changes(user=user, obj=upgrade):
        upgrade.cancelled_at, upgrade.cancelled_by = now, user if user is not None and user.pk else None
        upgrade.save(update_fields=["cancelled_at", "cancelled_by"])
    for target in waiting:
        _status_set(target, UpgradeStatus.FAILED, at=now, reason=CANCELLED)
    return len(waiting)


def _targets_locked(**conditions) -> list[UpgradeTarget]:
    return list(
        UpgradeTarget.objects.select_for_update(of=("self",))
        .filter(**conditions)
        .select_related("pile", "upgrade__package", "upgrade__started_by", "command")
        .order_by("pk")
    )


# No savepoint: the gateway's status batches call this inside their own transaction, every batch.
@transaction.atomic(savepoint=False)
def upgrade_targets_release(*, pile_ids) -> int:
    """Send the firmware to those of these piles that wait for it and are now connected and
    idle. The piles' status reports call it (a car left, the pile connected), and so does the
    periodic check for reports that went missing. Returns how many were sent."""
    if not pile_ids:
        return 0
    # Nearly every batch finds nothing: a plain lookup costs half of locking and loading.
    waiting = UpgradeTarget.objects.filter(pile_id__any_of=list(pile_ids), status__in=UPGRADE_WAITING)
    pks = list(waiting.values_list("pk", flat=True))
    if not pks:
        return 0
    return _targets_send(_targets_locked(pk__in=pks, status__in=UPGRADE_WAITING), now=timezone.now())


# What piles report about an upgrade: OCPP FirmwareStatusNotification, and the version in the
# BootNotification after the restart.
PILE_REPORTS = {
    FirmwareStatus.downloading: (UpgradeStatus.DOWNLOADING, ""),
    FirmwareStatus.downloaded: (UpgradeStatus.DOWNLOADED, ""),
    FirmwareStatus.installing: (UpgradeStatus.INSTALLING, ""),
    FirmwareStatus.installed: (UpgradeStatus.INSTALLED, ""),
    FirmwareStatus.download_failed: (UpgradeStatus.FAILED, gettext_lazy("The pile could not download the firmware.")),
    FirmwareStatus.installation_failed: (
        UpgradeStatus.FAILED,
        gettext_lazy("The pile could not install the firmware."),
    ),
}


def _target_in_flight(pile: Pile) -> UpgradeTarget | None:
    targets = _targets_locked(pile=pile, status__in=UPGRADE_IN_FLIGHT)
    return targets[0] if targets else None


@transaction.atomic
def upgrade_status_report(*, pile: Pile, status: str, at: datetime) -> None:
    """A FirmwareStatusNotification moves the pile's upgrade under way; Idle (the answer to a
    trigger) and reports with no upgrade under way change nothing."""
    if status not in PILE_REPORTS:
        return
    target = _target_in_flight(pile)
    if target is None:
        return
    new_status, reason = PILE_REPORTS[status]
    _status_set(target, new_status, at=at, reason=reason)


@transaction.atomic
def upgrade_boot_report(*, pile: Pile, firmware_version: str, at: datetime) -> None:
    """A pile restarted: the package's version confirms its upgrade; another version after it
    installed fails it. A restart before installing (a power cut while downloading) leaves the
    upgrade to the pile's next reports or the timeout."""
    target = _target_in_flight(pile)
    if target is None:
        return
    expected = target.upgrade.package.version
    reported = firmware_version.strip()
    if reported == expected:
        _status_set(target, UpgradeStatus.CONFIRMED, at=at)
    elif target.status in (UpgradeStatus.INSTALLING, UpgradeStatus.INSTALLED):
        reason = _("The pile restarted with firmware %(reported)s instead of %(expected)s.") % {
            "reported": reported or _("(no version)"),
            "expected": expected,
        }
        _status_set(target, UpgradeStatus.FAILED, at=at, reason=reason)


def upgrades_check(*, now: datetime | None = None) -> int:
    """The periodic check: a command that never reached its pile waits again; one the pile
    refused fails its upgrade; a pile silent for the report timeout since its last step fails;
    piles that wait and are connected are looked at again, for status reports that went
    missing. Returns how many upgrade targets changed."""
    now = now or timezone.now()
    changed = 0
    with transaction.atomic():
        refused = [CommandStatus.FAILED, CommandStatus.REJECTED]
        for target in _targets_locked(status=UpgradeStatus.SENT, command__status__in=refused):
            # A timed-out request may still have reached the pile: its reports, or the
            # silence below, decide that one.
            if target.command.sent_at is not None:
                reason = _("The pile did not take the request: %(error)s") % {"error": target.command.error}
                changed += _status_set(target, UpgradeStatus.FAILED, at=now, reason=reason)
            elif target.upgrade.cancelled_at is not None:
                changed += _status_set(target, UpgradeStatus.FAILED, at=now, reason=CANCELLED)
            else:
                changed += _status_set(target, UpgradeStatus.PENDING, at=now, reason=target.command.error)
    timeout = settings.FIRMWARE_REPORT_TIMEOUT_SECONDS
    cutoff = now - timedelta(seconds=timeout)
    with transaction.atomic():
        silent = _targets_locked(status__in=UPGRADE_IN_FLIGHT, status_changed_at__lt=cutoff)
        for target in silent:
            if target.upgrade.retrieve_at is not None and target.upgrade.retrieve_at >= cutoff:
                continue  # told to download later: the silence counts from then
            reason = _("The pile reported nothing for %(minutes)d minutes after “%(status)s”.") % {
                "minutes": timeout // 60,
                "status": target.get_status_display(),
            }
            changed += _status_set(target, UpgradeStatus.FAILED, at=now, reason=reason)
    waiting = UpgradeTarget.objects.filter(status__in=UPGRADE_WAITING, pile__connected=True)
    changed += upgrade_targets_release(pile_ids=list(waiting.values_list("pile_id", flat=True)))
    return changed
