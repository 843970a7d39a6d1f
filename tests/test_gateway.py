"""End-to-end tests of the OCPP gateway: a real gateway on a free port, real WebSocket piles."""

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connections
from ocpp.v16 import call
from websockets.exceptions import InvalidStatus

from gateway.choices import SecurityEventKind
from gateway.models import SecurityEvent
from gateway.simulator import basic_auth
from maintenance.choices import AlarmStatus, FaultCause
from maintenance.models import Alarm
from orders.choices import OrderStatus
from orders.models import ChargingOrder, PowerSample
from piles.choices import GunStatus, IdTagStatus, OnlineStatus
from piles.models import Pile, StatusChange

from .factories import IdTagFactory
from .ocpp_support import KEY, db, ocpp_pile, raw_connection, run_async, simulated, wait_until


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def session(url, pile, scenario, **kwargs):
    """Connect a pile, run `scenario(client)`, and close."""
    client, connection, reader = await simulated(url, pile, **kwargs)
    try:
        return await scenario(client)
    finally:
        await connection.close()
        reader.cancel()


def test_boot_registers_the_pile_and_returns_the_operators_heartbeat_interval(ocpp_gateway):
    pile = ocpp_pile()
    operator = pile.station.area.operator
    operator.heartbeat_interval = 120
    operator.save()

    async def scenario(client):
        response = await client.call(
            call.BootNotification(
                charge_point_vendor="Kempower",
                charge_point_model="S-Series",
                charge_point_serial_number="KP-0042",
                firmware_version="2.4.1",
            )
        )
        online = (await db(lambda: Pile.objects.get(pk=pile.pk))).connected
        return response, online

    response, online_during = run_async(session(ocpp_gateway.url, pile, scenario))

    assert response.status == "Accepted"
    assert response.interval == 120
    assert online_during is True
    assert wait_until(lambda: not Pile.objects.get(pk=pile.pk).connected)
    pile.refresh_from_db()
    assert (pile.reported_vendor, pile.reported_model) == ("Kempower", "S-Series")
    assert (pile.serial_number, pile.firmware_version) == ("KP-0042", "2.4.1")
    assert pile.registered_at is not None
    assert pile.online_status == OnlineStatus.OFFLINE
    history = list(StatusChange.objects.filter(pile=pile, gun=None).values_list("status", flat=True))
    assert history == [OnlineStatus.ONLINE, OnlineStatus.OFFLINE]


@pytest.mark.parametrize(
    ("charge_point_id", "key", "kind"),
    [
        ("NO-SUCH-PILE", KEY, SecurityEventKind.UNKNOWN_PILE),
        (None, "wrong-key-but-long-enough", SecurityEventKind.WRONG_KEY),
    ],
)
def test_an_unknown_pile_or_a_wrong_key_is_refused_with_401_and_recorded(ocpp_gateway, charge_point_id, key, kind):
    pile = ocpp_pile()
    charge_point_id = charge_point_id or pile.charge_point_id

    async def attempt():
        with pytest.raises(InvalidStatus) as refused:
            await raw_connection(ocpp_gateway.url, charge_point_id, key)
        return refused.value.response.status_code

    assert run_async(attempt()) == 401
    event = SecurityEvent.objects.exclude(kind=SecurityEventKind.KEY_CHANGED).get()
    assert event.kind == kind
    assert event.remote_address == "127.0.0.1"
    expected_operator = None if kind == SecurityEventKind.UNKNOWN_PILE else pile.station.area.operator_id
    assert event.operator_id == expected_operator
    assert not Pile.objects.get(pk=pile.pk).connected


def test_a_connection_without_credentials_or_subprotocol_is_refused(ocpp_gateway):
    pile = ocpp_pile()
    from websockets.asyncio.client import connect

    async def attempts():
        statuses = []
        credentials = basic_auth(pile.charge_point_id, KEY)
        for kwargs in ({"subprotocols": ["ocpp1.6"]}, {"additional_headers": credentials}):
            with pytest.raises(InvalidStatus) as refused:
                await connect(f"{ocpp_gateway.url}/{pile.charge_point_id}", **kwargs)
            statuses.append(refused.value.response.status_code)
        return statuses

    assert run_async(attempts()) == [401, 400]
    assert not Pile.objects.get(pk=pile.pk).connected


def test_repeated_failures_from_one_address_are_slowed_down(ocpp_gateway):
    pile = ocpp_pile()

    async def attempts():
        durations = []
        loop = asyncio.get_running_loop()
        for _ in range(4):
            started = loop.time()
            with pytest.raises(InvalidStatus):
                await raw_connection(ocpp_gateway.url, pile.charge_point_id, "wrong-key-but-long-enough")
            durations.append(loop.time() - started)
        return durations

    durations = run_async(attempts())
    # The first refusal is immediate; the fourth waits 0.25 × 2³ = 1 s before the 401.
    assert durations[3] >= 0.95
    assert durations[3] > durations[0] + 0.5
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.WRONG_KEY).count() == 4


def test_a_second_connection_with_the_same_id_replaces_the_first(ocpp_gateway):
    pile = ocpp_pile()

    async def scenario():
        first, first_connection, first_reader = await simulated(ocpp_gateway.url, pile)
        second, second_connection, second_reader = await simulated(ocpp_gateway.url, pile)
        await asyncio.wait_for(first_connection.wait_closed(), 5)
        response = await second.call(call.Heartbeat())
        await second_connection.close()
        for reader in (first_reader, second_reader):
            reader.cancel()
        return first_connection.close_code, response

    close_code, response = run_async(scenario())
    assert close_code == 1000
    assert response.current_time
    assert SecurityEvent.objects.filter(pile=pile, kind=SecurityEventKind.CONNECTION_REPLACED).count() == 1


def test_a_fault_raises_one_alarm_counts_repeats_and_clears_on_recovery(ocpp_gateway):
    pile = ocpp_pile()
    gun = pile.guns.get(connector_id=1)

    async def report(client, status, error_code="NoError"):
        await client.call(call.StatusNotification(connector_id=1, error_code=error_code, status=status))

    async def scenario(client):
        await client.boot()
        await report(client, "Faulted", "GroundFailure")
        await report(client, "Faulted", "GroundFailure")
        faulted = (await db(lambda: Pile.objects.with_online_status().get(pk=pile.pk))).online_status
        alarm = await db(Alarm.objects.get)
        await report(client, "Available")
        return faulted, alarm

    faulted, alarm = run_async(session(ocpp_gateway.url, pile, scenario))

    assert faulted == OnlineStatus.FAULT
    assert (alarm.gun_id, alarm.cause, alarm.repeat_count) == (gun.pk, FaultCause.GROUND_FAULT, 2)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLEARED and alarm.cleared_at is not None
    gun.refresh_from_db()
    assert gun.status == GunStatus.AVAILABLE
    assert list(StatusChange.objects.filter(gun=gun).values_list("status", "error_code")) == [
        (GunStatus.FAULTED, "GroundFailure"),
        (GunStatus.AVAILABLE, ""),
    ]


def test_authorize_accepts_only_the_operators_valid_tags(ocpp_gateway):
    pile = ocpp_pile()
    operator = pile.station.area.operator
    IdTagFactory(operator=operator, id_tag="GOOD")
    IdTagFactory(operator=operator, id_tag="BLOCKED", status=IdTagStatus.BLOCKED)
    IdTagFactory(operator=operator, id_tag="OLD", expires_at=datetime(2024, 1, 1, tzinfo=UTC))
    IdTagFactory(id_tag="FOREIGN")  # another operator's card

    async def scenario(client):
        answers = {}
        for tag in ("GOOD", "BLOCKED", "OLD", "FOREIGN", "NOBODY"):
            answers[tag] = (await client.call(call.Authorize(id_tag=tag))).id_tag_info["status"]
        return answers

    assert run_async(session(ocpp_gateway.url, pile, scenario)) == {
        "GOOD": "Accepted",
        "BLOCKED": "Blocked",
        "OLD": "Expired",
        "FOREIGN": "Invalid",
        "NOBODY": "Invalid",
    }


def meter_value(at, wh, watts=None, soc=None):
    sampled = [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    if watts is not None:
        sampled.append({"value": str(watts), "measurand": "Power.Active.Import", "unit": "W"})
    if soc is not None:
        sampled.append({"value": str(soc), "measurand": "SoC", "unit": "Percent"})
    return [{"timestamp": iso(at), "sampledValue": sampled}]


def test_a_transaction_becomes_a_priced_order_with_power_samples(ocpp_gateway):
    pile = ocpp_pile()
    IdTagFactory(operator=pile.station.area.operator, id_tag="CARD-1")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)

    async def scenario(client):
        started = await client.call(
            call.StartTransaction(connector_id=2, id_tag="CARD-1", meter_start=1_000_000, timestamp=iso(start))
        )
        tx = started.transaction_id
        await client.call(
            call.MeterValues(
                connector_id=2,
                transaction_id=tx,
                meter_value=meter_value(start + timedelta(minutes=10), 1_008_000, 48_500, 42),
            )
        )
        live_power = (await db(lambda: pile.guns.get(connector_id=2))).live_power_kw
        stopped = await client.call(
            call.StopTransaction(
                meter_stop=1_020_500, timestamp=iso(start + timedelta(minutes=25)), transaction_id=tx, reason="Local"
            )
        )
        return started, live_power, stopped

    started, live_power, stopped = run_async(session(ocpp_gateway.url, pile, scenario))

    assert started.id_tag_info["status"] == "Accepted"
    assert live_power == Decimal("48.50")
    order = ChargingOrder.objects.get()
    assert order.transaction_id == started.transaction_id
    assert (order.gun.connector_id, order.id_tag.id_tag, order.started_at) == (2, "CARD-1", start)
    assert order.status == OrderStatus.COMPLETED
    assert order.energy_kwh == Decimal("20.500")
    assert (order.electricity_fee, order.service_fee, order.amount) == (
        Decimal("6.15"),
        Decimal("2.05"),
        Decimal("8.20"),
    )
    sample = PowerSample.objects.get()
    assert (sample.order_id, sample.power_kw, sample.soc_percent) == (order.pk, Decimal("48.50"), 42)
    assert sample.sampled_at == start + timedelta(minutes=10)
    assert PowerSample.objects.filter(sampled_at__gt=start, sampled_at__lt=start + timedelta(minutes=11)).count() == 1
    assert pile.guns.get(connector_id=2).live_power_kw == 0


def test_transaction_ids_come_from_the_database_and_a_resent_start_gets_the_same_one(ocpp_gateway):
    pile = ocpp_pile()
    at = iso(datetime.now(UTC).replace(microsecond=0))

    async def scenario(client):
        start = call.StartTransaction(connector_id=1, id_tag="ANY", meter_start=500, timestamp=at)
        first = await client.call(start)
        again = await client.call(start)
        other = await client.call(call.StartTransaction(connector_id=2, id_tag="ANY", meter_start=700, timestamp=at))
        return first, again, other

    first, again, other = run_async(session(ocpp_gateway.url, pile, scenario))

    assert first.transaction_id == again.transaction_id
    assert other.transaction_id > first.transaction_id
    assert first.id_tag_info["status"] == "Invalid"  # an unknown tag still gets its order
    assert ChargingOrder.objects.count() == 2


def test_a_transaction_buffered_offline_lands_on_the_day_it_happened(ocpp_gateway):
    pile = ocpp_pile()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)

    async def scenario(client):
        started = await client.call(
            call.StartTransaction(connector_id=1, id_tag="ANY", meter_start=0, timestamp=iso(start))
        )
        await client.call(
            call.StopTransaction(
                meter_stop=15_000, timestamp=iso(start + timedelta(hours=1)), transaction_id=started.transaction_id
            )
        )

    run_async(session(ocpp_gateway.url, pile, scenario))

    order = ChargingOrder.objects.get()
    assert order.started_at == start
    assert order.stopped_at == start + timedelta(hours=1)
    assert order.energy_kwh == Decimal("15.000")
    assert order.amount == Decimal("6.00")


def simulate_piles(gateway, *, duration: float):
    """`manage.py simulate_piles` against the test gateway, in a thread of its own."""

    def simulate():
        try:
            call_command("simulate_piles", count=5, url=gateway.url, duration=duration, meter_interval=0.3)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as executor:
        executor.submit(simulate).result(60)


def test_simulated_piles_take_over_online_piles_and_carry_on_their_sessions(ocpp_gateway):
    pile = ocpp_pile()
    now = datetime.now(UTC)
    Pile.objects.filter(pk=pile.pk).update(connected=True, registered_at=now - timedelta(days=30))
    offline = ocpp_pile(station=pile.station)  # not connected: the simulator leaves it alone
    order = ChargingOrder.objects.create(
        number="CO-LIVE-1",
        station=pile.station,
        pile=pile,
        gun=pile.guns.get(connector_id=1),
        transaction_id=777,
        started_at=now - timedelta(minutes=20),
        meter_start_wh=50_000,
        energy_kwh=Decimal("8.000"),
        payment_method="app",
    )

    simulate_piles(ocpp_gateway, duration=4)

    pile.refresh_from_db()
    assert pile.booted_at is not None and pile.reported_model == "Simulator"
    order.refresh_from_db()
    assert order.meter_last_wh > 58_000  # the session went on from its 8 kWh
    assert order.power_samples.exists()
    offline.refresh_from_db()
    assert offline.booted_at is None


def test_the_gateway_sees_peoples_changes_to_a_connected_pile_when_it_reloads(ocpp_gateway):
    pile = ocpp_pile()
    IdTagFactory(operator=pile.station.area.operator, id_tag="GOOD")

    async def scenario(client):
        before = (await client.call(call.Authorize(id_tag="GOOD"))).id_tag_info["status"]
        await db(lambda: Pile.objects.filter(pk=pile.pk).update(usage_state="disabled"))
        await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(ocpp_gateway.gateway.piles_reload(), ocpp_gateway.loop)
        )
        after = (await client.call(call.Authorize(id_tag="GOOD"))).id_tag_info["status"]
        return before, after

    assert run_async(session(ocpp_gateway.url, pile, scenario)) == ("Accepted", "Blocked")


def test_a_pile_that_reconnects_to_another_gateway_process_is_let_go_by_the_first(transactional_db, settings):
    """Gateway processes sharing a port (`ocpp_gateway --workers N`) hand piles over through Redis."""
    import redis

    from .ocpp_support import RunningGateway

    settings.REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(settings.REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip("no Redis server to hand piles over through")
    pile = ocpp_pile()
    first, second = RunningGateway(), RunningGateway()
    try:
        # Both gateways listen to Redis once their listeners subscribed.
        assert wait_until(lambda: first.gateway._redis is not None and second.gateway._redis is not None)
        time.sleep(0.5)

        async def scenario():
            old, old_connection, old_reader = await simulated(first.url, pile)
            await old.call(call.Heartbeat())
            new, new_connection, new_reader = await simulated(second.url, pile)
            await asyncio.wait_for(old_connection.wait_closed(), 10)
            answer = await new.call(call.Heartbeat())
            await new_connection.close()
            for reader in (old_reader, new_reader):
                reader.cancel()
            return old_connection.close_code, answer

        close_code, answer = run_async(scenario())
    finally:
        first.stop()
        second.stop()
    assert close_code == 1000 and answer.current_time
    assert SecurityEvent.objects.filter(pile=pile, kind=SecurityEventKind.CONNECTION_REPLACED).count() == 1


def test_data_transfer_firmware_and_diagnostics_notifications_are_answered_and_recorded(ocpp_gateway):
    pile = ocpp_pile()

    async def scenario(client):
        transfer = await client.call(call.DataTransfer(vendor_id="com.example", message_id="Ping", data="{}"))
        await client.call(call.FirmwareStatusNotification(status="Installing"))
        await client.call(call.DiagnosticsStatusNotification(status="Uploaded"))
        return transfer

    transfer = run_async(session(ocpp_gateway.url, pile, scenario))
    assert transfer.status == "UnknownVendorId"
    pile.refresh_from_db()
    assert (pile.firmware_status, pile.diagnostics_status) == ("Installing", "Uploaded")


def test_a_second_demo_run_simulates_the_piles_the_last_run_left_disconnected(ocpp_gateway):
    """Stopping the gateway marks every pile disconnected; the next `simulate_piles` takes the
    piles last seen with the latest, not those that went silent hours before."""
    now = datetime.now(UTC)
    pile = ocpp_pile()
    silent = ocpp_pile(station=pile.station)
    Pile.objects.filter(pk=pile.pk).update(connected=False, registered_at=now - timedelta(days=30), last_seen_at=now)
    Pile.objects.filter(pk=silent.pk).update(
        connected=False, registered_at=now - timedelta(days=30), last_seen_at=now - timedelta(hours=5)
    )

    simulate_piles(ocpp_gateway, duration=2)
    pile.refresh_from_db()
    silent.refresh_from_db()
    assert pile.booted_at is not None and silent.booted_at is None
