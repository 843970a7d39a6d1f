"""The work order lifecycle and alarm handling, through the services every page and the gateway
call: who may do what from which status, the events written, refusals that change nothing,
automatic work orders on faults, notifications, and two technicians claiming at once."""

import threading
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from accounts.choices import Role
from maintenance.choices import AlarmStatus, ErrorCode, WorkOrderStatus
from maintenance.models import Alarm, WorkOrder, WorkOrderEvent
from maintenance.services import (
    alarm_acknowledge,
    alarm_raise,
    work_order_actions,
    work_order_assign,
    work_order_claim,
    work_order_complete,
    work_order_confirm,
    work_order_create,
    work_order_send_back,
)
from piles.services import StatusReport, gun_status_reports

from .factories import AlarmFactory, AreaFactory, GunFactory, PileFactory, StationFactory, UserFactory


@pytest.fixture
def pile(operator):
    return PileFactory(station=StationFactory(area=AreaFactory(operator=operator)))


@pytest.fixture
def technician(operator):
    return UserFactory(operator=operator, role=Role.TECHNICIAN, email="tech@example.com", first_name="Tina")


def history(work_order) -> list[tuple]:
    return [
        (event.from_status, event.to_status, event.actor, event.note)
        for event in WorkOrderEvent.objects.filter(work_order=work_order)
    ]


def test_the_whole_repair_process_is_recorded_step_by_step(pile, admin_user, technician):
    work_order = work_order_create(user=admin_user, pile=pile, problem_description="  Gun 2 will not lock ")
    local_day = timezone.localtime(work_order.reported_at, zoneinfo.ZoneInfo(pile.station.time_zone))
    assert work_order.number == f"WO{local_day:%Y%m%d}0001"
    assert (work_order.status, work_order.applicant, work_order.problem_description) == (
        WorkOrderStatus.UNACCEPTED,
        admin_user,
        "Gun 2 will not lock",
    )
    work_order = work_order_claim(user=technician, work_order=work_order)
    assert (work_order.status, work_order.assignee) == (WorkOrderStatus.ACCEPTED, technician)
    work_order = work_order_complete(user=technician, work_order=work_order, resolution="Replaced the lock motor")
    work_order = work_order_send_back(user=admin_user, work_order=work_order, reason="Gun 2 still sticks")
    assert (work_order.status, work_order.assignee) == (WorkOrderStatus.ACCEPTED, technician)
    work_order = work_order_complete(user=technician, work_order=work_order, resolution="Adjusted the latch")
    work_order = work_order_confirm(user=admin_user, work_order=work_order)
    assert work_order.status == WorkOrderStatus.CONFIRMED
    assert work_order.resolution == "Adjusted the latch"
    assert work_order.status_changed_at == WorkOrderEvent.objects.filter(work_order=work_order).last().at
    assert history(work_order) == [
        ("", "unaccepted", admin_user, "Gun 2 will not lock"),
        ("unaccepted", "accepted", technician, ""),
        ("accepted", "completed", technician, "Replaced the lock motor"),
        ("completed", "accepted", admin_user, "Gun 2 still sticks"),
        ("accepted", "completed", technician, "Adjusted the latch"),
        ("completed", "confirmed", admin_user, ""),
    ]


def test_numbers_run_per_local_day_of_the_station(pile, admin_user):
    day = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # already 2 March in Shanghai
    pile.station.time_zone = "Asia/Shanghai"
    pile.station.save()
    numbers = [
        work_order_create(user=admin_user, pile=pile, problem_description="x", at=day + timedelta(minutes=n)).number
        for n in range(3)
    ]
    assert numbers == ["WO202603020001", "WO202603020002", "WO202603020003"]


@pytest.mark.parametrize(
    "role, status, allowed",
    [
        (Role.TECHNICIAN, WorkOrderStatus.UNACCEPTED, ["claim"]),
        (Role.TECHNICIAN, WorkOrderStatus.ACCEPTED, ["complete"]),  # assigned to them
        (Role.TECHNICIAN, WorkOrderStatus.COMPLETED, []),
        (Role.TECHNICIAN, WorkOrderStatus.CONFIRMED, []),
        (Role.OPERATOR_ADMIN, WorkOrderStatus.UNACCEPTED, ["assign"]),
        (Role.OPERATOR_ADMIN, WorkOrderStatus.ACCEPTED, ["assign"]),
        (Role.OPERATOR_ADMIN, WorkOrderStatus.COMPLETED, ["confirm", "send_back"]),
        (Role.OPERATOR_ADMIN, WorkOrderStatus.CONFIRMED, []),
        (Role.ANALYST, WorkOrderStatus.UNACCEPTED, []),
        (Role.ANALYST, WorkOrderStatus.COMPLETED, []),
    ],
)
def test_only_the_transitions_of_the_status_and_role_are_offered(pile, operator, role, status, allowed):
    user = UserFactory(operator=operator, role=role)
    work_order = work_order_create(user=None, pile=pile, problem_description="x")
    WorkOrder.objects.filter(pk=work_order.pk).update(status=status, assignee=user)
    work_order.refresh_from_db()
    assert work_order_actions(user, work_order) == allowed


@pytest.mark.parametrize(
    "action",
    [
        lambda wo, tech, admin, other: work_order_complete(user=tech, work_order=wo, resolution="x"),  # not claimed
        lambda wo, tech, admin, other: work_order_confirm(user=admin, work_order=wo),  # not completed
        lambda wo, tech, admin, other: work_order_send_back(user=admin, work_order=wo, reason="x"),
        lambda wo, tech, admin, other: work_order_claim(user=admin, work_order=wo),  # admins assign, not claim
        lambda wo, tech, admin, other: work_order_assign(user=tech, work_order=wo, assignee=tech),
        lambda wo, tech, admin, other: work_order_assign(user=admin, work_order=wo, assignee=admin),
        lambda wo, tech, admin, other: work_order_assign(user=admin, work_order=wo, assignee=other),
    ],
)
def test_a_refused_transition_says_why_and_changes_nothing(pile, technician, admin_user, other_operator, action):
    work_order = work_order_create(user=admin_user, pile=pile, problem_description="x")
    other = UserFactory(operator=other_operator, role=Role.TECHNICIAN)
    before = (WorkOrder.objects.values().get(pk=work_order.pk), history(work_order))
    with pytest.raises(ValidationError) as refused:
        action(work_order, technician, admin_user, other)
    assert refused.value.messages[0]
    assert (WorkOrder.objects.values().get(pk=work_order.pk), history(work_order)) == before
    assert not mail.outbox


def test_only_the_assignee_completes_and_a_second_claim_is_told_who_has_it(pile, operator, technician):
    work_order = work_order_create(user=None, pile=pile, problem_description="x")
    colleague = UserFactory(operator=operator, role=Role.TECHNICIAN, username="colleague")
    work_order_claim(user=technician, work_order=work_order)
    with pytest.raises(ValidationError, match="already claimed by Tina"):
        work_order_claim(user=colleague, work_order=work_order)
    with pytest.raises(ValidationError, match="assigned to"):
        work_order_complete(user=colleague, work_order=work_order, resolution="x")
    assert WorkOrder.objects.get(pk=work_order.pk).assignee == technician


def test_empty_notes_are_refused_where_a_reason_is_needed(pile, admin_user, technician):
    with pytest.raises(ValidationError):
        work_order_create(user=admin_user, pile=pile, problem_description="   ")
    work_order = work_order_claim(
        user=technician, work_order=work_order_create(user=admin_user, pile=pile, problem_description="x")
    )
    with pytest.raises(ValidationError):
        work_order_complete(user=technician, work_order=work_order, resolution=" ")
    work_order = work_order_complete(user=technician, work_order=work_order, resolution="done")
    with pytest.raises(ValidationError):
        work_order_send_back(user=admin_user, work_order=work_order, reason="")
    assert WorkOrder.objects.get(pk=work_order.pk).status == WorkOrderStatus.COMPLETED


def test_the_assignee_is_mailed_when_assigned_and_when_sent_back(
    pile, admin_user, technician, django_capture_on_commit_callbacks
):
    work_order = work_order_create(user=admin_user, pile=pile, problem_description="Screen is black")
    with django_capture_on_commit_callbacks(execute=True):
        work_order = work_order_assign(user=admin_user, work_order=work_order, assignee=technician)
    assert [message.to for message in mail.outbox] == [["tech@example.com"]]
    assert work_order.number in mail.outbox[0].subject and "Screen is black" in mail.outbox[0].body
    work_order = work_order_complete(user=technician, work_order=work_order, resolution="New display")
    with django_capture_on_commit_callbacks(execute=True):
        work_order_send_back(user=admin_user, work_order=work_order, reason="Still black at night")
    assert len(mail.outbox) == 2 and "Still black at night" in mail.outbox[1].body


def test_an_alarm_is_acknowledged_once(pile, technician):
    alarm = AlarmFactory(pile=pile)
    alarm = alarm_acknowledge(user=technician, alarm=alarm)
    assert (alarm.status, alarm.acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, technician)
    with pytest.raises(ValidationError, match="acknowledged"):
        alarm_acknowledge(user=technician, alarm=alarm)
    cleared = AlarmFactory(pile=pile, gun=GunFactory(pile=pile), status=AlarmStatus.CLEARED)
    with pytest.raises(ValidationError, match="cleared"):
        alarm_acknowledge(user=technician, alarm=cleared)


def test_a_work_order_from_an_alarm_must_be_for_its_pile(pile, operator, admin_user):
    alarm = AlarmFactory(pile=pile)
    other_pile = PileFactory(station=pile.station)
    with pytest.raises(ValidationError):
        work_order_create(user=admin_user, pile=other_pile, problem_description="x", source_alarm=alarm)
    work_order = work_order_create(user=admin_user, pile=pile, problem_description="x", source_alarm=alarm)
    assert alarm.work_orders.get() == work_order


def faulted(pile, at, code=ErrorCode.GROUND_FAILURE, status="Faulted"):
    return StatusReport(pile=pile, connector_id=1, status=status, error_code=code, at=at)


def test_an_alarm_storm_is_one_alarm_and_at_most_one_automatic_work_order(pile, operator):
    """10,000 fault reports from one pile, in the batches the gateway gathers them in."""
    operator.auto_work_orders = True
    operator.save()
    GunFactory(pile=pile, connector_id=1)
    start = timezone.now() - timedelta(hours=3)
    reports = [faulted(pile, start + timedelta(seconds=n)) for n in range(10_000)]
    for batch in range(0, len(reports), 500):
        gun_status_reports(items=reports[batch : batch + 500])
    gun_status_reports(items=[faulted(pile, start + timedelta(hours=2), ErrorCode.HIGH_TEMPERATURE)])
    alarm = Alarm.objects.get(error_code=ErrorCode.GROUND_FAILURE)
    assert (alarm.repeat_count, alarm.occurred_at) == (10_000, start)
    assert alarm.last_occurred_at == start + timedelta(seconds=9_999)
    assert Alarm.objects.count() == 2
    work_order = WorkOrder.objects.get()
    assert (work_order.source_alarm, work_order.applicant, work_order.status) == (
        alarm,
        None,
        WorkOrderStatus.UNACCEPTED,
    )
    assert "GroundFailure" in work_order.problem_description


def test_a_batch_raises_and_clears_alarms_in_the_order_the_gun_reported(pile):
    GunFactory(pile=pile, connector_id=1)
    at = timezone.now() - timedelta(minutes=10)
    gun_status_reports(
        items=[
            faulted(pile, at),
            faulted(pile, at + timedelta(seconds=1)),
            faulted(pile, at + timedelta(seconds=2), status="Available", code=ErrorCode.NO_ERROR),
            faulted(pile, at + timedelta(seconds=3)),
        ]
    )
    first, second = Alarm.objects.order_by("occurred_at")
    assert (first.repeat_count, first.status, first.cleared_at) == (2, AlarmStatus.CLEARED, at + timedelta(seconds=2))
    assert (second.repeat_count, second.status, second.occurred_at) == (1, AlarmStatus.OPEN, at + timedelta(seconds=3))


def test_no_automatic_work_order_unless_the_operator_asks_for_it(pile):
    alarm_raise(pile=pile, gun=GunFactory(pile=pile), error_code=ErrorCode.GROUND_FAILURE, at=timezone.now())
    assert not WorkOrder.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_technicians_claiming_at_once_exactly_one_wins(role_groups, operator):
    pile = PileFactory(station=StationFactory(area=AreaFactory(operator=operator)))
    technicians = [UserFactory(operator=operator, role=Role.TECHNICIAN, username=f"t{n}") for n in range(2)]
    for _round in range(5):
        work_order = work_order_create(user=None, pile=pile, problem_description="x")
        barrier = threading.Barrier(2)
        results: list = []

        def claim(technician, work_order=work_order, barrier=barrier, results=results):
            try:
                barrier.wait()
                work_order_claim(user=technician, work_order=work_order)
                results.append("won")
            except ValidationError as refused:
                results.append(refused.messages[0])
            finally:
                connections.close_all()

        threads = [threading.Thread(target=claim, args=(technician,)) for technician in technicians]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results)[-1] == "won" and results.count("won") == 1, results
        assert "already claimed by" in next(result for result in results if result != "won")
        assert WorkOrderEvent.objects.filter(work_order=work_order, to_status=WorkOrderStatus.ACCEPTED).count() == 1
