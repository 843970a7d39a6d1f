"""Bad frames and hostile piles: each gets the right CALLERROR or is disconnected, nothing wrong
is stored, and the gateway keeps serving the other piles."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call
from websockets.exceptions import ConnectionClosed

from gateway.choices import SecurityEventKind
from gateway.models import SecurityEvent
from orders.choices import OrderStatus
from orders.models import ChargingOrder, PowerSample
from piles.models import StatusChange

from .ocpp_support import ocpp_pile, raw_call, raw_connection, run_async, simulated, wait_until
from .test_gateway import iso, meter_value

NOW = datetime.now(UTC).replace(microsecond=0)


def call_frame(action, payload, unique_id="m1"):
    return [2, unique_id, action, payload]


def status(timestamp=None, **fields):
    payload = {"connectorId": 1, "errorCode": "NoError", "status": "Available", **fields}
    if timestamp is not None:
        payload["timestamp"] = timestamp
    return call_frame("StatusNotification", payload)


@pytest.mark.parametrize(
    ("frame", "unique_id", "code"),
    [
        ("this is not json", "-1", "FormationViolation"),
        ('{"a": 1}', "-1", "ProtocolError"),
        ("[2]", "-1", "ProtocolError"),
        ('[2, "m1", "Heartbeat"]', "m1", "ProtocolError"),
        ('[7, "m1", "Heartbeat", {}]', "m1", "ProtocolError"),
        ('[2, "m1", "Heartbeat", {}, {}]', "m1", "ProtocolError"),
        (
            '[2, "m1", "StatusNotification", {"connectorId": 1, "connectorId": 2, "errorCode": "NoError", '
            '"status": "Available"}]',
            "-1",
            "FormationViolation",
        ),
        (call_frame("Brew", {"size": "large"}), "m1", "NotImplemented"),
        (call_frame("Reset", {"type": "Hard"}), "m1", "NotSupported"),
        (call_frame("BootNotification", {"chargePointVendor": "X"}), "m1", "ProtocolError"),
        (call_frame("Heartbeat", {"unexpected": True}), "m1", "FormationViolation"),
        (
            call_frame("StatusNotification", {"connectorId": "one", "errorCode": "NoError", "status": "Available"}),
            "m1",
            "TypeConstraintViolation",
        ),
        (status(status="Exploded"), "m1", "FormationViolation"),
        (status(timestamp="yesterday"), "m1", "TypeConstraintViolation"),
        (status(timestamp="1999-12-31T23:59:59Z"), "m1", "PropertyConstraintViolation"),
        (status(timestamp=iso(NOW + timedelta(days=30))), "m1", "PropertyConstraintViolation"),
        (status(connectorId=9), "m1", "PropertyConstraintViolation"),
    ],
    ids=[
        "not-json",
        "not-a-list",
        "no-unique-id",
        "call-without-payload",
        "unknown-message-type",
        "extra-element",
        "duplicate-keys",
        "unknown-action",
        "central-system-action",
        "missing-field",
        "extra-field",
        "wrong-type",
        "bad-enum",
        "timestamp-not-a-date",
        "timestamp-before-2000",
        "timestamp-in-the-future",
        "no-such-gun",
    ],
)
def test_a_bad_frame_gets_its_callerror_and_changes_nothing(ocpp_gateway, frame, unique_id, code):
    pile = ocpp_pile()

    async def scenario():
        connection = await raw_connection(ocpp_gateway.url, pile.charge_point_id)
        answer = await raw_call(connection, frame)
        # The connection still works after the error.
        heartbeat = await raw_call(connection, call_frame("Heartbeat", {}, "m2"))
        await connection.close()
        return answer, heartbeat

    answer, heartbeat = run_async(scenario())
    assert answer[:3] == [4, unique_id, code]
    assert isinstance(answer[3], str) and isinstance(answer[4], dict)
    assert heartbeat[0] == 3 and heartbeat[1] == "m2"
    assert not StatusChange.objects.filter(gun__isnull=False).exists()


def transaction_scenario(url, pile, steps):
    """Start a transaction on gun 1, then send each step's frame with the transaction id filled
    in; returns the answers."""

    async def scenario():
        connection = await raw_connection(url, pile.charge_point_id)
        start = call_frame(
            "StartTransaction",
            {"connectorId": 1, "idTag": "ANY", "meterStart": 5000, "timestamp": iso(NOW - timedelta(hours=1))},
            "start",
        )
        tx = (await raw_call(connection, start))[2]["transactionId"]
        answers = []
        for index, (action, payload) in enumerate(steps(tx)):
            answers.append(await raw_call(connection, call_frame(action, payload, f"s{index}")))
        await connection.close()
        return tx, answers

    return run_async(scenario())


def stop(tx, meter_stop, at=None):
    return ("StopTransaction", {"meterStop": meter_stop, "timestamp": iso(at or NOW), "transactionId": tx})


def test_a_negative_meter_value_is_refused_and_stores_nothing(ocpp_gateway):
    pile = ocpp_pile()
    sampled = meter_value(NOW, -20, -3000)
    tx, answers = transaction_scenario(
        ocpp_gateway.url,
        pile,
        lambda tx: [("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": sampled})],
    )
    assert answers[0][:3] == [4, "s0", "PropertyConstraintViolation"]
    assert not PowerSample.objects.exists()
    assert ChargingOrder.objects.get().meter_last_wh == 5000


def test_a_meter_stop_below_the_meter_start_is_refused(ocpp_gateway):
    pile = ocpp_pile()
    tx, answers = transaction_scenario(ocpp_gateway.url, pile, lambda tx: [stop(tx, 4999)])
    assert answers[0][:3] == [4, "s0", "PropertyConstraintViolation"]
    order = ChargingOrder.objects.get()
    assert order.status == OrderStatus.CHARGING and order.meter_stop_wh is None


def test_stopping_a_stopped_transaction_is_refused_unless_it_is_the_same_stop_resent(ocpp_gateway):
    pile = ocpp_pile()
    tx, answers = transaction_scenario(
        ocpp_gateway.url, pile, lambda tx: [stop(tx, 9000), stop(tx, 9000), stop(tx, 12000)]
    )
    assert answers[0][0] == 3 and answers[1][0] == 3  # the resend gets the same answer
    assert answers[2][:3] == [4, "s2", "PropertyConstraintViolation"]
    order = ChargingOrder.objects.get()
    assert (order.meter_stop_wh, str(order.energy_kwh)) == (9000, "4.000")


def test_a_pile_cannot_stop_or_meter_another_piles_transaction(ocpp_gateway):
    owner = ocpp_pile()
    intruder = ocpp_pile(station=owner.station)
    tx, _answers = transaction_scenario(ocpp_gateway.url, owner, lambda tx: [])

    async def scenario():
        connection = await raw_connection(ocpp_gateway.url, intruder.charge_point_id)
        stopped = await raw_call(connection, call_frame(*stop(tx, 90000)))
        metered = await raw_call(
            connection,
            call_frame(
                "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": meter_value(NOW, 7000, 5000)}
            ),
        )
        await connection.close()
        return stopped, metered

    stopped, metered = run_async(scenario())
    assert stopped[2] == metered[2] == "PropertyConstraintViolation"
    order = ChargingOrder.objects.get()
    assert order.status == OrderStatus.CHARGING and order.meter_last_wh == 5000
    assert not PowerSample.objects.exists()


def test_an_unknown_transaction_is_refused(ocpp_gateway):
    pile = ocpp_pile()

    async def scenario():
        connection = await raw_connection(ocpp_gateway.url, pile.charge_point_id)
        answer = await raw_call(connection, call_frame(*stop(424242, 100)))
        await connection.close()
        return answer

    assert run_async(scenario())[2] == "PropertyConstraintViolation"


def test_an_oversized_frame_closes_the_connection_and_others_keep_being_served(ocpp_gateway):
    pile, bystander = ocpp_pile(), ocpp_pile()

    async def scenario():
        bystander_client, bystander_connection, reader = await simulated(ocpp_gateway.url, bystander)
        connection = await raw_connection(ocpp_gateway.url, pile.charge_point_id, max_size=None)
        huge = json.dumps(call_frame("DataTransfer", {"vendorId": "X", "data": "x" * 70_000}))
        await connection.send(huge)
        with pytest.raises(ConnectionClosed) as closed:
            await connection.recv()
        answer = await bystander_client.call(call.Heartbeat())
        await bystander_connection.close()
        reader.cancel()
        return closed.value.rcvd.code, answer

    close_code, answer = run_async(scenario())
    assert close_code == 1009
    assert answer.current_time
    assert wait_until(
        lambda: SecurityEvent.objects.filter(pile=pile, kind=SecurityEventKind.OVERSIZED_FRAME).count() == 1
    )


def test_a_flooding_pile_is_disconnected_and_others_keep_being_served(ocpp_gateway):
    pile, bystander = ocpp_pile(), ocpp_pile()

    async def scenario():
        bystander_client, bystander_connection, reader = await simulated(ocpp_gateway.url, bystander)
        connection = await raw_connection(ocpp_gateway.url, pile.charge_point_id)
        frame = json.dumps(call_frame("Heartbeat", {}))
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(5000):
                await connection.send(frame)
            while True:
                await connection.recv()
        answer = await bystander_client.call(call.Heartbeat())
        await bystander_connection.close()
        reader.cancel()
        return closed.value.rcvd.code, answer

    close_code, answer = run_async(scenario())
    assert close_code == 1008
    assert answer.current_time
    assert wait_until(lambda: SecurityEvent.objects.filter(pile=pile, kind=SecurityEventKind.FLOOD).count() == 1)
