"""Alarms over the year and work orders in every status with their history."""

import random
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise

from maintenance.choices import ERROR_CODE_CAUSES, AlarmStatus, ErrorCode, Severity, WorkOrderStatus
from maintenance.models import Alarm, WorkOrder, WorkOrderEvent
from piles.choices import GunStatus, OnlineStatus
from piles.models import StatusChange

from .catalogue import (
    ALARM_TEXTS,
    CLAIM_NOTES,
    CONFIRM_NOTES,
    FAULT_CODES,
    GUN_ERROR_CODES,
    MANUAL_PROBLEMS,
    VENDOR_CODE_FORMATS,
)
from .common import (
    ALARM_CODE_CHOICE,
    ALARM_DURATION_MINUTES,
    BATCH,
    DAY,
    FAULTY,
    NEW,
    NORMAL,
    OFFLINE,
    UNREGISTERED,
    WORK_ORDER_STEPS,
    OperatorState,
    PileState,
    StationState,
    _poisson,
)


class MaintenanceMixin:
    """Alarms over the year and work orders in every status with their history."""

    def _maintenance_create(self, rng: random.Random) -> None:
        alarms: list[Alarm] = []
        work_orders: list[tuple[WorkOrder, list[WorkOrderEvent], StationState]] = []
        for op in self.ops:
            registered = [state for state in op.piles if state.kind != UNREGISTERED]
            for state in registered:
                for alarm in self._history_alarms(rng, state):
                    alarms.append(alarm)
                    severe = alarm.severity in (Severity.CRITICAL, Severity.MAJOR)
                    if severe and alarm.occurred_at <= self.anchor - 5 * DAY and rng.random() < 0.35:
                        work_orders.append(self._alarm_work_order(rng, op, state, alarm, WorkOrderStatus.CONFIRMED))
            alarms.extend(self._current_alarms(rng, op, work_orders))

            # Repaired in the last days, waiting for the admin to confirm.
            healthy = [state for state in registered if state.kind in (NORMAL, NEW)]
            for state in rng.sample(healthy, min(len(healthy), 1 + len(op.piles) // 25)):
                occurred = self.anchor - rng.uniform(2, 4) * DAY
                alarm = self._alarm(rng, state, rng.choice(FAULT_CODES), occurred, repeats=rng.randint(1, 3))
                alarms.append(alarm)
                work_orders.append(self._alarm_work_order(rng, op, state, alarm, WorkOrderStatus.COMPLETED))

            # Raised by people on site rather than by an alarm, repaired long ago.
            spans = []
            for state in registered:
                start = max(self.window_start, state.pile.registered_at)
                end = min(self.anchor - 5 * DAY, state.since or self.anchor)
                if end > start:
                    spans.append((state, start, end))
            for _ in range(max(1, len(op.piles) // 10) if spans else 0):
                state, start, end = rng.choice(spans)
                problem, resolution = rng.choice(MANUAL_PROBLEMS)
                gun = rng.choice(state.plans).gun.connector_id
                work_orders.append(
                    self._work_order(
                        rng,
                        op,
                        state,
                        reported=start + (end - start) * rng.random(),
                        status=WorkOrderStatus.CONFIRMED,
                        problem=problem.format(gun=gun),
                        resolution=resolution.format(gun=gun),
                    )
                )

        for alarm in alarms:
            alarm.full_clean(
                exclude=["pile", "gun", "acknowledged_by"], validate_unique=False, validate_constraints=False
            )
        Alarm.objects.bulk_create(alarms, batch_size=BATCH)
        self.counts["alarms"] += len(alarms)
        self._work_orders_number(work_orders)
        WorkOrder.objects.bulk_create([work_order for work_order, _, _ in work_orders], batch_size=BATCH)
        events = []
        for work_order, history, _ in work_orders:
            for event in history:
                event.work_order = work_order
                events.append(event)
        WorkOrderEvent.objects.bulk_create(events, batch_size=BATCH)
        self.counts["work orders"] += len(work_orders)
        self.counts["work order events"] += len(events)
        self._status_history_create(self.rng("status-history"), alarms)

    def _status_history_create(self, rng: random.Random, alarms: list[Alarm]) -> None:
        """The status history downtime is computed from: each pile online from its registration
        with a few short outages a year, offline piles offline since they dropped off, and each
        gun Faulted from a serious alarm until it cleared."""
        changes = []
        for op in self.ops:
            for state in op.piles:
                if state.kind == UNREGISTERED:
                    continue
                pile = state.pile
                start = max(self.window_start, pile.registered_at)
                end = min(self.anchor - DAY, state.since or self.anchor)
                changes.append(StatusChange(pile=pile, status=OnlineStatus.ONLINE, at=start))
                outages = sorted(start + (end - start) * rng.random() for _ in range(_poisson(rng, 5)))
                for at in outages if end > start else []:
                    changes.append(StatusChange(pile=pile, status=OnlineStatus.OFFLINE, at=at))
                    back = at + timedelta(minutes=rng.uniform(5, 240))
                    changes.append(StatusChange(pile=pile, status=OnlineStatus.ONLINE, at=back))
                if state.kind == OFFLINE:
                    changes.append(StatusChange(pile=pile, status=OnlineStatus.OFFLINE, at=state.since))
        for alarm in alarms:
            if alarm.gun is None or alarm.severity not in (Severity.CRITICAL, Severity.MAJOR):
                continue
            changes.append(
                StatusChange(
                    pile=alarm.pile,
                    gun=alarm.gun,
                    status=GunStatus.FAULTED,
                    error_code=alarm.error_code,
                    at=alarm.occurred_at,
                )
            )
            if alarm.cleared_at:
                changes.append(
                    StatusChange(pile=alarm.pile, gun=alarm.gun, status=GunStatus.AVAILABLE, at=alarm.cleared_at)
                )
        StatusChange.objects.bulk_create(changes, batch_size=BATCH)
        self.counts["status changes"] += len(changes)

    def _alarm(
        self, rng: random.Random, state: PileState, code: str, occurred: datetime, *, repeats: int, gun=None
    ) -> Alarm:
        cause, severity = ERROR_CODE_CAUSES[ErrorCode(code)]
        if gun is None and code in GUN_ERROR_CODES:
            gun = rng.choice(state.plans).gun
        return Alarm(
            pile=state.pile,
            gun=gun,
            error_code=code,
            cause=cause,
            severity=severity,
            vendor_error_code=VENDOR_CODE_FORMATS[state.model.manufacturer].format(n=rng.randint(1, 250)),
            info=ALARM_TEXTS[code][0],
            status=AlarmStatus.OPEN,
            occurred_at=occurred,
            last_occurred_at=occurred + timedelta(minutes=(repeats - 1) * rng.uniform(2, 40)),
            repeat_count=repeats,
        )

    def _history_alarms(self, rng: random.Random, state: PileState) -> list[Alarm]:
        """Alarms over the pile's year, all cleared: a few a year, more on DC piles, and many on
        the odd unreliable pile."""
        start = max(self.window_start, state.pile.registered_at)
        end = min(self.anchor - 3 * DAY, state.since or self.anchor)
        if end <= start:
            return []
        rate = (7 if state.dc else 4) * (4 if state.lemon else 1)
        alarms = []
        for _ in range(_poisson(rng, rate * (end - start).days / 365)):
            code = ALARM_CODE_CHOICE[state.model.method].draw(rng)
            repeats = 1 if rng.random() < 0.7 else rng.randint(2, 9)
            alarm = self._alarm(rng, state, code, start + (end - start) * rng.random(), repeats=repeats)
            alarm.status = AlarmStatus.CLEARED
            lasted = rng.uniform(*ALARM_DURATION_MINUTES[alarm.severity])
            alarm.cleared_at = alarm.last_occurred_at + timedelta(minutes=lasted)
            if alarm.severity in (Severity.CRITICAL, Severity.MAJOR) and rng.random() < 0.7:
                alarm.acknowledged_by = rng.choice(state.station.op.techs)
                acknowledged = alarm.occurred_at + timedelta(minutes=rng.uniform(5, 60))
                alarm.acknowledged_at = min(acknowledged, alarm.cleared_at)
            alarms.append(alarm)
        return alarms

    def _current_alarms(self, rng: random.Random, op: OperatorState, work_orders: list) -> list[Alarm]:
        """Alarms not cleared yet: the fault of each faulty pile (acknowledged once a technician
        has claimed its work order), the weak signal before each offline pile dropped off, and a
        few warnings nobody has looked at. At most one per pile, gun and error code."""
        alarms = []
        faulty = [state for state in op.piles if state.kind == FAULTY]
        for index, state in enumerate(faulty):
            gun = next(plan.gun for plan in state.plans if plan.gun.status == GunStatus.FAULTED)
            alarm = self._alarm(rng, state, state.fault_code, state.since, repeats=rng.randint(1, 6), gun=gun)
            status = WorkOrderStatus.ACCEPTED if index % 2 == 0 else WorkOrderStatus.UNACCEPTED
            work_orders.append(self._alarm_work_order(rng, op, state, alarm, status))
            alarms.append(alarm)
        for state in op.piles:
            if state.kind != OFFLINE:
                continue
            occurred = state.since - timedelta(minutes=rng.uniform(30, 180))
            alarm = self._alarm(rng, state, ErrorCode.WEAK_SIGNAL, occurred, repeats=rng.randint(2, 12))
            alarm.last_occurred_at = state.since - timedelta(minutes=1)
            alarms.append(alarm)
            local = state.since.astimezone(state.station.zone)
            problem = (
                f"Pile offline since {local:%Y-%m-%d %H:%M} local time, after repeated weak-signal alarms. "
                "Check the 4G modem, SIM and antenna."
            )
            reported = state.since + timedelta(minutes=rng.uniform(20, 90))
            work_orders.append(
                self._work_order(
                    rng, op, state, reported=reported, status=WorkOrderStatus.UNACCEPTED, problem=problem, alarm=alarm
                )
            )
        warnings = (ErrorCode.WEAK_SIGNAL, ErrorCode.EV_COMMUNICATION_ERROR, ErrorCode.READER_FAILURE)
        for state in op.piles:
            if state.kind in (NORMAL, NEW) and rng.random() < 0.06:
                occurred = self.anchor - rng.uniform(0.2, 10) * DAY
                alarms.append(self._alarm(rng, state, rng.choice(warnings), occurred, repeats=rng.randint(1, 4)))
        return alarms

    def _alarm_work_order(self, rng: random.Random, op: OperatorState, state: PileState, alarm: Alarm, status: str):
        """A work order raised from an alarm; the alarm is acknowledged when the work order is
        claimed and cleared when it is repaired."""
        gun = alarm.gun.connector_id if alarm.gun else 1
        _info, problem, resolution = ALARM_TEXTS[alarm.error_code]
        work_order = self._work_order(
            rng,
            op,
            state,
            reported=alarm.occurred_at + timedelta(minutes=rng.uniform(5, 30)),
            status=status,
            problem=problem.format(gun=gun),
            resolution=resolution.format(gun=gun),
            alarm=alarm,
        )
        wo, history, _ = work_order
        reached = {event.to_status: event.at for event in history}
        if WorkOrderStatus.ACCEPTED in reached:
            alarm.status = AlarmStatus.ACKNOWLEDGED
            alarm.acknowledged_by = wo.assignee
            alarm.acknowledged_at = reached[WorkOrderStatus.ACCEPTED]
        if WorkOrderStatus.COMPLETED in reached:
            alarm.status = AlarmStatus.CLEARED
            alarm.cleared_at = reached[WorkOrderStatus.COMPLETED]
        return work_order

    def _work_order(
        self,
        rng: random.Random,
        op: OperatorState,
        state: PileState,
        *,
        reported: datetime,
        status: str,
        problem: str,
        resolution: str = "",
        alarm: Alarm | None = None,
    ) -> tuple[WorkOrder, list[WorkOrderEvent], StationState]:
        """A work order and its history as far as `status`: reported by the operator admin,
        claimed and repaired by a technician, confirmed by the admin."""
        tech = rng.choice(op.techs)
        opened = f"Raised from alarm {alarm.error_code}. " if alarm else ""
        history = [
            WorkOrderEvent(
                actor=op.admin, at=reported, from_status="", to_status=WorkOrderStatus.UNACCEPTED, note=opened + problem
            )
        ]
        at = reported
        for previous, step in pairwise(WORK_ORDER_STEPS[: WORK_ORDER_STEPS.index(status) + 1]):
            actor = tech
            if step == WorkOrderStatus.ACCEPTED:
                at += timedelta(minutes=rng.uniform(10, 180))
                note = rng.choice(CLAIM_NOTES)
            elif step == WorkOrderStatus.COMPLETED:
                at += timedelta(hours=rng.uniform(1, 20))
                if alarm is not None:
                    at = max(at, alarm.last_occurred_at + timedelta(minutes=10))
                note = resolution
            else:
                at += timedelta(hours=rng.uniform(1, 30))
                actor, note = op.admin, rng.choice(CONFIRM_NOTES)
            history.append(WorkOrderEvent(actor=actor, at=at, from_status=previous, to_status=step, note=note))
        work_order = WorkOrder(
            pile=state.pile,
            problem_description=problem,
            applicant=op.admin,
            reported_at=reported,
            status=status,
            assignee=tech if status != WorkOrderStatus.UNACCEPTED else None,
            status_changed_at=at,
            source_alarm=alarm,
            resolution=resolution if status in (WorkOrderStatus.COMPLETED, WorkOrderStatus.CONFIRMED) else "",
        )
        return work_order, history, state.station

    def _work_orders_number(self, work_orders) -> None:
        """WO + the station's local date of the report + a running number within that date."""
        per_day: Counter = Counter()
        for work_order, _, station in sorted(work_orders, key=lambda item: item[0].reported_at):
            local = work_order.reported_at.astimezone(station.zone)
            key = f"{local.year:04d}{local.month:02d}{local.day:02d}"
            per_day[key] += 1
            work_order.number = f"WO{key}{per_day[key]:04d}"
            work_order.full_clean(
                exclude=["pile", "applicant", "assignee", "source_alarm"],
                validate_unique=False,
                validate_constraints=False,
            )
