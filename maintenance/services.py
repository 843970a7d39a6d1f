"""Writes of alarms and work orders. The OCPP gateway raises and clears alarms through these;
the pages acknowledge alarms and move work orders through their lifecycle:

    unaccepted --claim / assign--> accepted --complete--> completed --confirm--> confirmed
                                       ^                      |
                                       +------ send back -----+

Each transition is allowed only from its status and to the users who hold its permission
(`TRANSITIONS`), writes a WorkOrderEvent and the status change time, and is a conditional
UPDATE on the row it read under a lock: of two technicians claiming at once, exactly one wins.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.services import rollup_mark
from piles.models import Gun, Pile

from .choices import ERROR_CODE_CAUSES, AlarmStatus, ErrorCode, FaultCause, Severity, WorkOrderStatus
from .models import Alarm, WorkOrder, WorkOrderEvent


def _open_alarms(pile: Pile, gun: Gun | None):
    # `gun=None` matches pile-level alarms only: the database constraint cannot keep those single
    # (NULLs are distinct), so the lookup here does, under the pile's row lock.
    return Alarm.objects.filter(pile=pile, gun=gun).exclude(status=AlarmStatus.CLEARED)


@transaction.atomic
def alarm_raise(
    *,
    pile: Pile,
    gun: Gun | None,
    error_code: str,
    at: datetime,
    info: str = "",
    vendor_error_code: str = "",
    repeats: int = 1,
    last_at: datetime | None = None,
) -> Alarm:
    """Open an alarm for a reported fault, or count a repeat on the alarm already open for the
    same gun and error code, so that a pile that keeps faulting does not flood the list.
    `repeats` reports of it, the first at `at` and the last at `last_at`, count at once."""
    code = ErrorCode(error_code)
    cause, severity = ERROR_CODE_CAUSES.get(code, (FaultCause.OTHER, Severity.MAJOR))
    Pile.objects.select_for_update().filter(pk=pile.pk).first()
    last_at = last_at or at
    repeated = (
        _open_alarms(pile, gun)
        .filter(error_code=code)
        .update(repeat_count=F("repeat_count") + repeats, last_occurred_at=last_at)
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
        last_occurred_at=last_at,
        repeat_count=repeats,
    )
    try:
        with transaction.atomic():
            alarm.save()
            rollup_mark(moments=[(pile.station, at)])
    except IntegrityError:
        # Raised at the same moment by another process: count it there.
        _open_alarms(pile, gun).filter(error_code=code).update(repeat_count=F("repeat_count") + repeats)
        return _open_alarms(pile, gun).get(error_code=code)
    if pile.station.area.operator.auto_work_orders and not _open_work_orders(pile).exists():
        work_order_create(
            user=None,
            pile=pile,
            problem_description=alarm.problem_description,
            source_alarm=alarm,
            at=at,
        )
    return alarm


def alarms_clear(*, pile: Pile, gun: Gun | None, at: datetime | None = None) -> int:
    """Clear the open alarms of a gun (or the pile-level ones) when it reports that it recovered."""
    return _open_alarms(pile, gun).update(status=AlarmStatus.CLEARED, cleared_at=at or timezone.now())


@dataclass(frozen=True)
class FaultReport:
    """A gun's (or with no gun, the pile's) reported status as alarms see it: a fault with its
    error code, or healthy (`error_code` None)."""

    pile: Pile
    gun: Gun | None
    error_code: str | None
    at: datetime
    info: str = ""
    vendor_error_code: str = ""


def alarms_report(*, reports: list[FaultReport]) -> None:
    """Raise and clear alarms for a batch of status reports, in the order each gun made them.
    A run of the same fault between two healthy reports is raised once with its count (a pile
    in an alarm storm costs a statement or two per batch, not several per report), and a
    healthy report clears the gun's open alarms."""
    per_gun: dict[tuple, list[FaultReport]] = {}
    for report in reports:
        per_gun.setdefault((report.pile.pk, report.gun.pk if report.gun else None), []).append(report)
    recovered = []
    for gun_reports in per_gun.values():
        if all(report.error_code is None for report in gun_reports):
            recovered += [(report, report.gun) for report in gun_reports]
            continue
        runs: dict[str, list] = {}  # error code -> [first report, count, last time]
        for report in [*gun_reports, None]:
            if report is None or report.error_code is None:
                for first, count, last_at in runs.values():
                    alarm_raise(
                        pile=first.pile,
                        gun=first.gun,
                        error_code=first.error_code,
                        at=first.at,
                        info=first.info,
                        vendor_error_code=first.vendor_error_code,
                        repeats=count,
                        last_at=last_at,
                    )
                runs = {}
                if report is not None:
                    alarms_clear(pile=report.pile, gun=report.gun, at=report.at)
            elif report.error_code in runs:
                runs[report.error_code][1:] = [runs[report.error_code][1] + 1, report.at]
            else:
                runs[report.error_code] = [report, 1, report.at]
    alarms_clear_recovered(recovered)


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


@transaction.atomic
def alarm_acknowledge(*, user, alarm: Alarm) -> Alarm:
    """Mark an open alarm as seen by someone who will deal with it."""
    acknowledged = Alarm.objects.filter(pk=alarm.pk, status=AlarmStatus.OPEN).update(
        status=AlarmStatus.ACKNOWLEDGED, acknowledged_by=user, acknowledged_at=timezone.now()
    )
    alarm.refresh_from_db()
    if not acknowledged:
        raise ValidationError(
            _("This alarm is %(status)s and cannot be acknowledged.") % {"status": alarm.get_status_display().lower()}
        )
    return alarm


# --- work orders ------------------------------------------------------------------------------


def _open_work_orders(pile: Pile):
    return WorkOrder.objects.filter(pile=pile).exclude(status=WorkOrderStatus.CONFIRMED)


@transaction.atomic
def work_order_create(
    *, user, pile: Pile, problem_description: str, source_alarm: Alarm | None = None, at: datetime | None = None
) -> WorkOrder:
    """Report a fault of a pile for repair (by hand, from an alarm, or automatically when
    `user` is None). Its number is WO, the station's local date and the running number of
    the day (WO202611240007)."""
    description = problem_description.strip()
    if not description:
        raise ValidationError({"problem_description": _("Describe the problem.")})
    if source_alarm is not None and source_alarm.pile_id != pile.pk:
        raise ValidationError({"pile": _("The alarm was reported by another pile.")})
    at = at or timezone.now()
    prefix = f"WO{timezone.localtime(at, zoneinfo.ZoneInfo(pile.station.time_zone)):%Y%m%d}"
    for _attempt in range(10):
        # The next running number of the day; another work order taking it first makes the
        # insert fail on the unique number, and the next one is tried.
        number = f"{prefix}{WorkOrder.objects.filter(number__startswith=prefix).count() + 1:04d}"
        try:
            with transaction.atomic():
                work_order = WorkOrder.objects.create(
                    number=number,
                    pile=pile,
                    problem_description=description,
                    applicant=user,
                    reported_at=at,
                    status=WorkOrderStatus.UNACCEPTED,
                    status_changed_at=at,
                    source_alarm=source_alarm,
                )
            break
        except IntegrityError:
            continue
    else:
        raise ValidationError(_("Too many work orders at once; try again."))
    WorkOrderEvent.objects.create(
        work_order=work_order, actor=user, at=at, to_status=WorkOrderStatus.UNACCEPTED, note=description
    )
    return work_order


@dataclass(frozen=True)
class Transition:
    label: str
    sources: tuple[WorkOrderStatus, ...]
    target: WorkOrderStatus
    permission: str
    # Whether only the technician the work order is assigned to may take it.
    assignee_only: bool = False


TRANSITIONS = {
    "claim": Transition(
        gettext_lazy("Claim"), (WorkOrderStatus.UNACCEPTED,), WorkOrderStatus.ACCEPTED, "maintenance.claim_workorder"
    ),
    "assign": Transition(
        gettext_lazy("Assign"),
        (WorkOrderStatus.UNACCEPTED, WorkOrderStatus.ACCEPTED),
        WorkOrderStatus.ACCEPTED,
        "maintenance.confirm_workorder",
    ),
    "complete": Transition(
        gettext_lazy("Complete"),
        (WorkOrderStatus.ACCEPTED,),
        WorkOrderStatus.COMPLETED,
        "maintenance.claim_workorder",
        assignee_only=True,
    ),
    "confirm": Transition(
        gettext_lazy("Confirm"),
        (WorkOrderStatus.COMPLETED,),
        WorkOrderStatus.CONFIRMED,
        "maintenance.confirm_workorder",
    ),
    "send_back": Transition(
        gettext_lazy("Send back"),
        (WorkOrderStatus.COMPLETED,),
        WorkOrderStatus.ACCEPTED,
        "maintenance.confirm_workorder",
    ),
}


def work_order_actions(user, work_order: WorkOrder) -> list[str]:
    """The transitions `user` may take on the work order now."""
    return [
        action
        for action, transition in TRANSITIONS.items()
        if work_order.status in transition.sources
        and user.has_perm(transition.permission)
        and (not transition.assignee_only or work_order.assignee_id == user.pk)
    ]


def _transition(user, work_order: WorkOrder, action: str, *, note: str = "", **changes) -> WorkOrder:
    """Take `action` on the work order as `user`, or refuse with the reason and change nothing."""
    transition = TRANSITIONS[action]
    # The assignee is read after the lock (not joined): a claim that waited for another one must
    # see who won.
    current = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if action not in work_order_actions(user, current):
        if current.status not in transition.sources:
            if action == "claim" and current.assignee is not None:
                message = _("This work order was already claimed by %(person)s.") % {"person": current.assignee}
            else:
                message = _("This work order is %(status)s now, so “%(action)s” is not possible.") % {
                    "status": current.get_status_display().lower(),
                    "action": transition.label,
                }
        elif transition.assignee_only:
            message = _("Only the maintenance person it is assigned to can do this.")
        else:
            message = _("You may not do this with work orders.")
        raise ValidationError(message)
    now = timezone.now()
    updated = WorkOrder.objects.filter(pk=current.pk, status=current.status).update(
        status=transition.target, status_changed_at=now, **changes
    )
    if not updated:  # changed by someone else since it was read (SQLite takes no row locks)
        raise ValidationError(_("This work order was changed by someone else just now. Look again."))
    WorkOrderEvent.objects.create(
        work_order=current, actor=user, at=now, from_status=current.status, to_status=transition.target, note=note
    )
    current.refresh_from_db()
    return current


@transaction.atomic
def work_order_claim(*, user, work_order: WorkOrder) -> WorkOrder:
    """A technician takes an unclaimed work order."""
    return _transition(user, work_order, "claim", assignee=user)


@transaction.atomic
def work_order_assign(*, user, work_order: WorkOrder, assignee, note: str = "") -> WorkOrder:
    """An operator admin gives the work order to a technician of the operator; they are told."""
    pile_operator = work_order.pile.station.area.operator_id
    if (
        assignee.operator_id != pile_operator
        or not assignee.is_active
        or not assignee.has_perm("maintenance.claim_workorder")
    ):
        raise ValidationError({"assignee": _("Choose an active maintenance person of this operator.")})
    text = note.strip() or _("Assigned to %(person)s.") % {"person": assignee}
    result = _transition(user, work_order, "assign", note=text, assignee=assignee)
    _notify(result, assignee, _("Work order %(number)s is assigned to you") % {"number": result.number}, text)
    return result


@transaction.atomic
def work_order_complete(*, user, work_order: WorkOrder, resolution: str) -> WorkOrder:
    """The technician records what was repaired."""
    resolution = resolution.strip()
    if not resolution:
        raise ValidationError({"resolution": _("Say what was done to repair the pile.")})
    return _transition(user, work_order, "complete", note=resolution, resolution=resolution)


@transaction.atomic
def work_order_confirm(*, user, work_order: WorkOrder, note: str = "") -> WorkOrder:
    """The operator accepts the repair."""
    return _transition(user, work_order, "confirm", note=note.strip())


@transaction.atomic
def work_order_send_back(*, user, work_order: WorkOrder, reason: str) -> WorkOrder:
    """The operator does not accept the repair: back to the technician, with the reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the repair is sent back.")})
    result = _transition(user, work_order, "send_back", note=reason)
    if result.assignee is not None:
        subject = _("Work order %(number)s was sent back") % {"number": result.number}
        _notify(result, result.assignee, subject, reason)
    return result


def _notify(work_order: WorkOrder, person, subject: str, text: str) -> None:
    """E-mail `person` about the work order once the change is committed."""
    if not person.email:
        return
    body = _("%(text)s\n\nPile: %(pile)s at %(station)s\nProblem: %(problem)s") % {
        "text": text,
        "pile": work_order.pile,
        "station": work_order.pile.station,
        "problem": work_order.problem_description,
    }
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email], fail_silently=True)
    )
