"""Writes of alarms and work orders. The OCPP gateway raises and clears alarms through these."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from analytics.services import rollup_mark
from piles.models import Gun, Pile

from .choices import ERROR_CODE_CAUSES, AlarmStatus, ErrorCode, FaultCause, Severity
from .models import Alarm


def _open_alarms(pile: Pile, gun: Gun | None):
    # `gun=None` matches pile-level alarms only: the database constraint cannot keep those single
    # (NULLs are distinct), so the lookup here does, under the pile's row lock.
    return Alarm.objects.filter(pile=pile, gun=gun).exclude(status=AlarmStatus.CLEARED)


@transaction.atomic
def alarm_raise(
    *, pile: Pile, gun: Gun | None, error_code: str, at: datetime, info: str = "", vendor_error_code: str = ""
) -> Alarm:
    """Open an alarm for a reported fault, or count a repeat on the alarm already open for the
    same gun and error code, so that a pile that keeps faulting does not flood the list."""
    code = ErrorCode(error_code)
    cause, severity = ERROR_CODE_CAUSES.get(code, (FaultCause.OTHER, Severity.MAJOR))
    Pile.objects.select_for_update().filter(pk=pile.pk).first()
    repeated = (
        _open_alarms(pile, gun).filter(error_code=code).update(repeat_count=F("repeat_count") + 1, last_occurred_at=at)
    )
    if repeated:
        return _open_alarms(pile, gun).get(error_code=code)
    alarm = Alarm(
        pile=pile,
        gun=gun,
        error_code=code,
        cause=cause,
        severity=severity,
        info=info[:255],
        vendor_error_code=vendor_error_code[:50],
        occurred_at=at,
        last_occurred_at=at,
    )
    try:
        with transaction.atomic():
            alarm.save()
            rollup_mark(moments=[(pile.station, at)])
    except IntegrityError:
        # Raised at the same moment by another process: count it there.
        _open_alarms(pile, gun).filter(error_code=code).update(repeat_count=F("repeat_count") + 1)
        return _open_alarms(pile, gun).get(error_code=code)
    return alarm


def alarms_clear(*, pile: Pile, gun: Gun | None, at: datetime | None = None) -> int:
    """Clear the open alarms of a gun (or the pile-level ones) when it reports that it recovered."""
    return _open_alarms(pile, gun).update(status=AlarmStatus.CLEARED, cleared_at=at or timezone.now())


def alarms_clear_recovered(recovered: list) -> int:
    """Clear the open alarms of many guns at once: `recovered` holds (report, gun) pairs of
    healthy status reports, each clearing at its report's time. It runs for every status
    report, so one query finds the few guns that have open alarms and only those are updated."""
    cleared = 0
    gun_ids = [gun.pk for _report, gun in recovered if gun is not None]
    alarmed = set(
        Alarm.objects.filter(gun_id__in=gun_ids).exclude(status=AlarmStatus.CLEARED).values_list("gun_id", flat=True)
    )
    for report, gun in recovered:
        if gun is None or gun.pk in alarmed:
            cleared += alarms_clear(pile=report.pile, gun=gun, at=report.at)
    return cleared
