"""Remote operations from the pile's page: the form becomes an outbox command, the gateway sends
it to the connected pile and writes the pile's answer back; an offline pile fails at once."""

import asyncio

import pytest
from django.urls import reverse

from accounts.choices import Role
from gateway.choices import CommandAction, CommandStatus
from gateway.models import Command
from gateway.services import command_create
from orders.services import StartReport, order_starts
from piles.models import Pile

from .factories import UserFactory
from .ocpp_support import db, ocpp_pile, raw_connection, run_async, simulated, wait_until


def post_command(client, pile, action, **fields):
    data = {"action": action, **fields}
    return client.post(reverse("piles:pile_command", args=[pile.pk]), data, follow=True)


@pytest.mark.django_db
def test_a_command_to_an_offline_pile_fails_at_once_with_that_reason(operator_client, operator):
    pile = ocpp_pile(operator=operator)

    response = post_command(operator_client, pile, CommandAction.RESET, reset_type="Soft")

    command = Command.objects.get()
    assert command.status == CommandStatus.FAILED
    assert command.error == "The pile is offline."
    assert "Reset was not sent: The pile is offline." in response.content.decode()


@pytest.mark.django_db
def test_bad_command_input_is_refused_and_queues_nothing(operator_client, operator):
    pile = ocpp_pile(operator=operator)
    Pile.objects.filter(pk=pile.pk).update(connected=True)

    cases = [
        (CommandAction.REMOTE_START, {"connector_id": "9", "id_tag": "CARD"}, "Select a valid choice"),  # no gun 9
        (CommandAction.REMOTE_START, {"connector_id": "1", "id_tag": ""}, "This field is required"),
        (CommandAction.REMOTE_STOP, {"connector_id": "1"}, "Gun 1 is not charging."),
        (CommandAction.RESET, {"reset_type": "Explode"}, "Select a valid choice"),
        (CommandAction.CHANGE_CONFIGURATION, {"key": "", "value": "1"}, "This field is required"),
        ("SelfDestruct", {}, "SelfDestruct is not one of the available choices"),
    ]
    for action, fields, message in cases:
        response = post_command(operator_client, pile, action, **fields)
        errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
        assert len(errors) == 1 and message in errors[0], (action, errors)
    assert not Command.objects.exists()


@pytest.mark.django_db
def test_a_technician_may_send_commands_an_analyst_may_not(client, operator):
    pile = ocpp_pile(operator=operator)
    technician = UserFactory(operator=operator, role=Role.TECHNICIAN)
    analyst = UserFactory(operator=operator, role=Role.ANALYST)

    client.force_login(analyst)
    assert post_command(client, pile, CommandAction.RESET, reset_type="Soft").status_code == 403
    page = client.get(pile.get_absolute_url()).content.decode()
    assert "Recent commands" in page and 'name="reset_type"' not in page

    client.force_login(technician)
    assert post_command(client, pile, CommandAction.RESET, reset_type="Hard").status_code == 200
    assert Command.objects.get().payload == {"type": "Hard"}


@pytest.mark.django_db
def test_another_operators_pile_cannot_be_commanded(operator_client):
    pile = ocpp_pile()  # belongs to a different operator
    assert post_command(operator_client, pile, CommandAction.RESET, reset_type="Soft").status_code == 404
    assert not Command.objects.exists()


def test_the_gateway_sends_commands_and_records_the_piles_answers(ocpp_gateway):
    pile = ocpp_pile()

    async def scenario():
        client, connection, reader = await simulated(ocpp_gateway.url, pile)
        await client.boot()
        queued = []
        for action, payload in [
            (CommandAction.RESET, {"type": "Soft"}),
            (CommandAction.GET_CONFIGURATION, {"key": ["HeartbeatInterval", "NoSuchKey"]}),
            (CommandAction.CHANGE_CONFIGURATION, {"key": "NoSuchKey", "value": "1"}),
            (CommandAction.UNLOCK_CONNECTOR, {"connector_id": 2}),
            (CommandAction.TRIGGER_MESSAGE, {"requested_message": "Heartbeat"}),
        ]:
            queued.append(await db(command_create, user=None, pile=pile, action=action, payload=payload))
        finished = await db(
            wait_until,
            lambda: not Command.objects.exclude(status__in=["accepted", "rejected", "failed", "timed_out"]).exists(),
        )
        resets = list(client.resets)
        await connection.close()
        reader.cancel()
        return finished, resets

    finished, resets = run_async(scenario())
    assert finished
    assert resets == ["Soft"]
    commands = {c.action: c for c in Command.objects.all()}
    assert commands[CommandAction.RESET].status == CommandStatus.ACCEPTED
    configuration = commands[CommandAction.GET_CONFIGURATION].response
    assert configuration["configuration_key"] == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    assert configuration["unknown_key"] == ["NoSuchKey"]
    assert commands[CommandAction.CHANGE_CONFIGURATION].status == CommandStatus.REJECTED
    assert commands[CommandAction.UNLOCK_CONNECTOR].response == {"status": "Unlocked"}
    assert commands[CommandAction.TRIGGER_MESSAGE].status == CommandStatus.ACCEPTED
    assert all(c.sent_at and c.answered_at for c in commands.values())


def test_remote_start_and_stop_run_a_session_through_the_gateway(ocpp_gateway):
    pile = ocpp_pile()
    from .factories import IdTagFactory

    IdTagFactory(operator=pile.station.area.operator, id_tag="APP-7")

    async def scenario():
        client, connection, reader = await simulated(ocpp_gateway.url, pile)
        await client.boot()
        await db(
            command_create,
            user=None,
            pile=pile,
            action=CommandAction.REMOTE_START,
            payload={"id_tag": "APP-7", "connector_id": 1},
        )
        from orders.models import ChargingOrder

        started = await db(wait_until, lambda: ChargingOrder.objects.filter(status="charging").exists())
        order = await db(ChargingOrder.objects.get)
        await db(
            command_create,
            user=None,
            pile=pile,
            action=CommandAction.REMOTE_STOP,
            payload={"transaction_id": order.transaction_id},
        )
        stopped = await db(wait_until, lambda: ChargingOrder.objects.filter(status="completed").exists())
        await connection.close()
        reader.cancel()
        return started, stopped

    started, stopped = run_async(scenario())
    assert started and stopped
    from orders.models import ChargingOrder

    order = ChargingOrder.objects.get()
    assert order.stop_reason == "Remote"
    assert order.id_tag.id_tag == "APP-7"


def test_a_pile_that_does_not_answer_times_out(ocpp_gateway):
    pile = ocpp_pile()

    async def scenario():
        connection = await raw_connection(ocpp_gateway.url, pile.charge_point_id)  # never answers
        await db(wait_until, lambda: Pile.objects.get(pk=pile.pk).connected)
        await db(command_create, user=None, pile=pile, action=CommandAction.RESET, payload={"type": "Hard"})
        received = await asyncio.wait_for(connection.recv(), 10)
        done = await db(wait_until, lambda: Command.objects.filter(status=CommandStatus.TIMED_OUT).exists(), 10)
        await connection.close()
        return received, done

    received, done = run_async(scenario())
    assert '"Reset"' in received
    assert done
    assert "did not answer" in Command.objects.get().error


def test_a_start_is_refused_for_a_gun_the_pile_does_not_have(db):
    pile = ocpp_pile()
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    [refusal] = order_starts(items=[StartReport(pile, 7, "X", 0, timezone.now())])
    assert isinstance(refusal, ValidationError)
    assert not pile.orders.exists()


@pytest.mark.django_db
def test_commands_that_can_no_longer_be_answered_are_ended_with_the_reason():
    from datetime import timedelta

    from django.utils import timezone

    from gateway.services import commands_expire

    pile = ocpp_pile()
    long_ago = timezone.now() - timedelta(minutes=10)
    lost = Command.objects.create(pile=pile, action=CommandAction.RESET, status=CommandStatus.SENT, sent_at=long_ago)
    stranded = Command.objects.create(pile=pile, action=CommandAction.RESET, created_at=long_ago)
    fresh = Command.objects.create(
        pile=pile, action=CommandAction.RESET, status=CommandStatus.SENT, sent_at=timezone.now()
    )

    assert commands_expire(response_timeout=30) == 2

    for command, reason in [(lost, "the gateway stopped"), (stranded, "went offline")]:
        command.refresh_from_db()
        assert command.status == CommandStatus.FAILED and reason in command.error
    fresh.refresh_from_db()
    assert fresh.status == CommandStatus.SENT


def test_a_new_heartbeat_interval_reaches_a_connected_pile_through_the_gateway(ocpp_gateway):
    from accounts.services import operator_update

    pile = ocpp_pile()
    operator = pile.station.area.operator

    async def scenario():
        client, connection, reader = await simulated(ocpp_gateway.url, pile)
        await client.boot()
        assert client.heartbeat_interval == operator.heartbeat_interval
        await db(wait_until, lambda: Pile.objects.get(pk=pile.pk).connected)
        await db(operator_update, user=None, operator=operator, heartbeat_interval=45, offline_timeout=120)
        answered = await db(
            wait_until, lambda: Command.objects.filter(pile=pile, status=CommandStatus.ACCEPTED).exists()
        )
        interval = client.heartbeat_interval
        await connection.close()
        reader.cancel()
        return answered, interval

    answered, interval = run_async(scenario())
    assert answered and interval == 45
    command = Command.objects.get(pile=pile)
    assert command.payload == {"key": "HeartbeatInterval", "value": "45"}
