"""Offline detection, abnormal orders, pile keys and the simulator command."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gateway.choices import SecurityEventKind
from gateway.models import SecurityEvent
from gateway.services import key_matches, pile_authenticate
from orders.choices import OrderStatus
from orders.models import ChargingOrder
from orders.tasks import orders_close_abnormal_task
from piles.choices import OnlineStatus
from piles.models import Pile, StatusChange
from piles.tasks import piles_mark_silent_offline_task

from .factories import ChargingOrderFactory
from .ocpp_support import ocpp_pile

pytestmark = pytest.mark.django_db


def test_a_pile_silent_for_its_operators_offline_timeout_goes_offline_with_its_time():
    pile = ocpp_pile()
    operator = pile.station.area.operator
    operator.heartbeat_interval, operator.offline_timeout = 60, 120
    operator.save()
    now = timezone.now()
    Pile.objects.filter(pk=pile.pk).update(connected=True, registered_at=now, last_seen_at=now - timedelta(seconds=121))
    fresh = ocpp_pile(station=pile.station)
    Pile.objects.filter(pk=fresh.pk).update(
        connected=True, registered_at=now, last_seen_at=now - timedelta(seconds=100)
    )

    assert piles_mark_silent_offline_task.delay().get() == 1

    pile.refresh_from_db()
    assert not pile.connected and pile.online_status == OnlineStatus.OFFLINE
    change = StatusChange.objects.get(pile=pile)
    assert change.status == OnlineStatus.OFFLINE
    assert change.at == pile.last_seen_at + timedelta(seconds=120)
    assert Pile.objects.get(pk=fresh.pk).connected


def test_an_order_with_no_news_for_the_timeout_is_closed_as_abnormal_with_the_known_energy():
    pile = ocpp_pile()
    operator = pile.station.area.operator
    operator.abnormal_order_hours = 6
    operator.save()
    now = timezone.now()
    gun = pile.guns.first()
    stale = ChargingOrderFactory(
        gun=gun,
        status=OrderStatus.CHARGING,
        stopped_at=None,
        started_at=now - timedelta(hours=8),
        meter_start_wh=10_000,
        meter_last_wh=22_500,
        meter_last_at=now - timedelta(hours=7),
        energy_kwh=Decimal("12.5"),
    )
    recent = ChargingOrderFactory(
        gun=pile.guns.last(), status=OrderStatus.CHARGING, stopped_at=None, started_at=now - timedelta(hours=8),
        meter_last_at=now - timedelta(hours=1),
    )  # fmt: skip

    assert orders_close_abnormal_task.delay().get() == 1
    assert orders_close_abnormal_task.delay().get() == 0  # a second run changes nothing

    stale.refresh_from_db()
    assert stale.status == OrderStatus.ABNORMAL
    assert stale.stopped_at == stale.meter_last_at
    assert (stale.meter_stop_wh, stale.energy_kwh, stale.amount) == (22_500, Decimal("12.500"), Decimal("5.00"))
    assert ChargingOrder.objects.get(pk=recent.pk).status == OrderStatus.CHARGING


def test_pile_key_sets_or_rotates_a_key_and_only_its_hash_is_stored():
    pile = ocpp_pile()
    out = StringIO()
    call_command("pile_key", pile.charge_point_id.lower(), "--set", "a-key-of-twenty-chars", stdout=out)
    assert out.getvalue().strip() == "a-key-of-twenty-chars"
    pile.refresh_from_db()
    assert "a-key-of-twenty-chars" not in pile.ocpp_key_hash
    assert key_matches("a-key-of-twenty-chars", pile.ocpp_key_hash)

    out = StringIO()
    call_command("pile_key", pile.charge_point_id, "--rotate", stdout=out)
    rotated = out.getvalue().strip()
    assert len(rotated) == 40 and pile_authenticate(pile.charge_point_id, rotated)[0] == pile
    assert pile_authenticate(pile.charge_point_id, "a-key-of-twenty-chars") == (None, SecurityEventKind.WRONG_KEY)
    assert SecurityEvent.objects.filter(pile=pile, kind=SecurityEventKind.KEY_CHANGED).count() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE", "--rotate"], "No pile has the charge point id"),
        ([None, "--set", "short"], "16 to 64 printable ASCII characters"),
        ([None, "--set", "ключ-не-ascii-но-длинный"], "16 to 64 printable ASCII characters"),
    ],
)
def test_pile_key_refuses_bad_input_and_changes_nothing(args, message):
    pile = ocpp_pile()
    before = pile.ocpp_key_hash
    args = [pile.charge_point_id if arg is None else arg for arg in args]
    with pytest.raises(CommandError, match=message):
        call_command("pile_key", *args)
    pile.refresh_from_db()
    assert pile.ocpp_key_hash == before


def test_a_batch_of_reports_stores_the_good_ones_and_refuses_each_bad_one_alone():
    from orders.services import MeterReport, MeterSample, meter_reports_record
    from piles.services import StatusReport, gun_status_reports

    first, second = ocpp_pile(), ocpp_pile()
    now = timezone.now()
    errors = gun_status_reports(
        items=[
            StatusReport(first, 1, "Charging", "NoError", now),
            StatusReport(second, 7, "Charging", "NoError", now),  # no gun 7
            StatusReport(second, 2, "Faulted", "HighTemperature", now),
        ]
    )
    assert [error is None for error in errors] == [True, False, True]
    assert "has no gun 7" in errors[1].messages[0]
    assert first.guns.get(connector_id=1).status == "Charging"
    assert second.guns.get(connector_id=2).status == "Faulted"
    assert StatusChange.objects.filter(gun__isnull=False).count() == 2

    errors = meter_reports_record(
        items=[
            MeterReport(first, 1, [MeterSample(at=now, power_kw=Decimal("11.00"))]),
            MeterReport(second, 1, [MeterSample(at=now, power_kw=Decimal("-1"))]),
            MeterReport(second, 1, [MeterSample(at=now, energy_wh=5)], transaction_id=99999),
        ]
    )
    assert [error is None for error in errors] == [True, False, False]
    assert first.guns.get(connector_id=1).live_power_kw == Decimal("11.00")
    assert second.guns.get(connector_id=1).live_power_kw == 0


def test_several_gateway_workers_are_refused_without_postgresql_and_redis(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="Several workers need PostgreSQL and REDIS_URL"):
        call_command("ocpp_gateway", workers=2)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("ocpp_gateway", workers=0)


def test_a_new_heartbeat_interval_is_sent_to_the_operators_connected_piles_at_once(admin_user):
    from accounts.services import operator_update
    from audit.models import AuditEntry
    from gateway.choices import CommandAction, CommandStatus
    from gateway.models import Command

    connected = ocpp_pile()
    operator = connected.station.area.operator
    offline = ocpp_pile(station=connected.station)
    elsewhere = ocpp_pile()
    Pile.objects.filter(pk__in=[connected.pk, elsewhere.pk]).update(connected=True)
    admin_user.operator = operator
    admin_user.save()

    operator_update(user=admin_user, operator=operator, heartbeat_interval=120, offline_timeout=300)
    [command] = Command.objects.all()
    assert (command.pile, command.action) == (connected, CommandAction.CHANGE_CONFIGURATION)
    assert command.status == CommandStatus.PENDING
    assert command.payload == {"key": "HeartbeatInterval", "value": "120"} and command.created_by == admin_user
    assert not Command.objects.filter(pile__in=[offline, elsewhere]).exists()
    entry = AuditEntry.objects.get(action="update")
    assert entry.changes["Heartbeat interval (s)"] == ["300", "120"]
    assert entry.changes["Offline timeout (s)"] == ["600", "300"]

    operator_update(user=admin_user, operator=operator, abnormal_order_hours=12)
    assert Command.objects.count() == 1, "other settings send nothing"


def test_the_migration_keeps_two_heartbeat_intervals_as_the_offline_timeout():
    from importlib import import_module

    from django.apps import apps

    from accounts.models import Operator

    migration = import_module("accounts.migrations.0009_operator_offline_timeout")
    operator = ocpp_pile().station.area.operator
    Operator.objects.filter(pk=operator.pk).update(heartbeat_interval=90, offline_timeout=600)
    migration.keep_two_intervals(apps, None)
    operator.refresh_from_db()
    assert operator.offline_timeout == 180
