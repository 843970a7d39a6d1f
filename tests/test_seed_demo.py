"""`manage.py seed_demo`: the demo data set is complete, consistent, loads once and is the same
for the same seed."""

import io
import time
import zoneinfo
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Operator, User
from maintenance.choices import ERROR_CODE_CAUSES, AlarmStatus, WorkOrderStatus
from maintenance.models import Alarm, WorkOrder
from orders.choices import OrderStatus, PaymentMethod
from orders.models import ChargingOrder, PowerSample, TariffPeriod
from orders.services import order_fee_compute
from piles.choices import ChargingMethod, ConnectorType, GunStatus, OnlineStatus, UsageState
from piles.models import Gun, IdTag, Pile
from stations.models import Station

PASSWORD = "chargeops-demo"
US_CONNECTORS = {ConnectorType.TYPE1, ConnectorType.CCS1, ConnectorType.NACS, ConnectorType.CHADEMO}
CN_CONNECTORS = {ConnectorType.GBT_AC, ConnectorType.GBT_DC}


def seed_demo(seed: int = 7) -> str:
    out = io.StringIO()
    call_command("seed_demo", scale="tiny", seed=seed, verbosity=0, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def demo(db) -> str:
    return seed_demo()


@pytest.mark.django_db
def test_tiny_scale_loads_quickly():
    started = time.monotonic()
    seed_demo()
    assert time.monotonic() - started < 3


@pytest.mark.django_db
def test_two_operators_with_stations_at_real_places_in_their_time_zones(demo):
    sunrise = Operator.objects.get(name="Sunrise Charging")
    jiangnan = Operator.objects.get(name="Jiangnan E-Power")
    assert (sunrise.currency, sunrise.time_zone) == ("USD", "America/Los_Angeles")
    assert (jiangnan.currency, jiangnan.time_zone) == ("CNY", "Asia/Shanghai")
    for operator, lat_range, lon_range, zone_prefix in (
        (sunrise, (24, 50), (-125, -66), "America/"),
        (jiangnan, (18, 42), (100, 124), "Asia/Shanghai"),
    ):
        stations = list(Station.objects.for_operator(operator))
        assert len(stations) >= 2
        for station in stations:
            station.full_clean()
            assert lat_range[0] < station.latitude < lat_range[1]
            assert lon_range[0] < station.longitude < lon_range[1]
            assert station.latitude.as_tuple().exponent == -6
            assert station.time_zone.startswith(zone_prefix)
            zoneinfo.ZoneInfo(station.time_zone)
            assert station.tariff.operator == operator
            assert station.address
    us_zones = set(Station.objects.for_operator(sunrise).values_list("time_zone", flat=True))
    assert len(us_zones) >= 2, "the US stations span several time zones"


@pytest.mark.django_db
def test_every_role_has_a_login_with_the_demo_password(demo):
    expected = {
        "admin": None,
        "sunrise-admin": Role.OPERATOR_ADMIN,
        "sunrise-analyst": Role.ANALYST,
        "sunrise-tech1": Role.TECHNICIAN,
        "sunrise-tech2": Role.TECHNICIAN,
        "jiangnan-admin": Role.OPERATOR_ADMIN,
        "jiangnan-analyst": Role.ANALYST,
        "jiangnan-tech1": Role.TECHNICIAN,
        "jiangnan-tech2": Role.TECHNICIAN,
    }
    for username, role in expected.items():
        user = authenticate(username=username, password=PASSWORD)
        assert user is not None, username
        assert user.first_name and user.last_name
        assert user.is_staff == (role is None)
        if role is None:
            assert user.is_superuser and user.operator is None
        else:
            assert not user.is_superuser
            assert [group.name for group in user.groups.all()] == [role.value]
            prefix = username.split("-")[0]
            assert user.operator.name == {"sunrise": "Sunrise Charging", "jiangnan": "Jiangnan E-Power"}[prefix]
        assert username in demo
    assert PASSWORD in demo


@pytest.mark.django_db
def test_piles_show_every_online_status_with_guns_that_fit_the_country(demo):
    piles = list(Pile.objects.with_online_status().select_related("station__area__operator"))
    assert {pile.online_status for pile in piles} == set(OnlineStatus.values)
    assert any(pile.usage_state == UsageState.DISABLED for pile in piles)
    assert len({pile.charge_point_id for pile in piles}) == len(piles)
    assert len({pile.manufacturer for pile in piles}) >= 4
    for pile in piles:
        pile.full_clean()
        guns = list(pile.guns.all())
        assert [gun.connector_id for gun in guns] == list(range(1, len(guns) + 1))
        assert 1 <= len(guns) <= 2
        allowed = US_CONNECTORS if pile.station.area.operator.currency == "USD" else CN_CONNECTORS
        assert {gun.connector_type for gun in guns} <= allowed
        if pile.online_status == OnlineStatus.UNREGISTERED:
            assert pile.last_seen_at is None and not pile.connected
        else:
            assert pile.firmware_version
    faulted = Gun.objects.filter(status=GunStatus.FAULTED)
    assert faulted.exists()
    assert all(gun.error_code for gun in faulted)
    for gun in Gun.objects.filter(status=GunStatus.CHARGING):
        assert gun.live_power_kw > 0
        assert gun.orders.filter(status=OrderStatus.CHARGING, stopped_at__isnull=True).count() == 1
    assert set(IdTag.objects.values_list("status", flat=True)) >= {"Accepted", "Blocked", "Expired"}


@pytest.mark.django_db
def test_orders_are_priced_by_the_tariff_and_never_overlap_on_a_gun(demo):
    orders = list(ChargingOrder.objects.select_related("station", "pile", "station__tariff").order_by("started_at"))
    assert len(orders) > 500
    assert len({order.number for order in orders}) == len(orders)
    assert len({order.transaction_id for order in orders}) == len(orders)
    assert {order.status for order in orders} == set(OrderStatus.values)
    by_gun = defaultdict(list)
    for order in orders:
        assert order.amount == order.electricity_fee + order.service_fee
        assert order.created_at == order.started_at
        assert order.energy_kwh.as_tuple().exponent == -3
        by_gun[order.gun_id].append(order)
        us = order.station.time_zone.startswith("America/")
        # The demo drivers' sessions are paid from their wallets.
        assert order.payment_method in (
            {PaymentMethod.CREDIT_CARD, PaymentMethod.APP, PaymentMethod.RFID_CARD, PaymentMethod.WALLET}
            if us
            else {
                PaymentMethod.WECHAT_PAY,
                PaymentMethod.ALIPAY,
                PaymentMethod.APP,
                PaymentMethod.RFID_CARD,
                PaymentMethod.WALLET,
            }
        )
        if order.status == OrderStatus.CHARGING:
            assert order.stopped_at is None and order.meter_stop_wh is None
            continue
        assert order.stop_reason
        assert order.energy_kwh * 1000 == order.meter_stop_wh - order.meter_start_wh
        minutes = order.duration.total_seconds() / 60
        if order.pile.charging_method == ChargingMethod.DC:
            assert 15 <= minutes <= 60
        else:
            assert 20 <= minutes <= 180
        assert 0 < float(order.energy_kwh) / (minutes / 60) <= float(order.pile.rated_power_kw)
    for gun_orders in by_gun.values():
        for before, after in zip(gun_orders, gun_orders[1:], strict=False):
            assert before.stopped_at is not None and before.stopped_at <= after.started_at
            assert before.meter_stop_wh <= after.meter_start_wh
    for order in orders[::50]:
        if order.stopped_at:
            fee = order_fee_compute(
                tariff=order.station.tariff,
                started_at=order.started_at,
                stopped_at=order.stopped_at,
                energy_kwh=order.energy_kwh,
                time_zone=order.station.time_zone,
            )
            assert (fee.electricity_fee, fee.service_fee) == (order.electricity_fee, order.service_fee)


@pytest.mark.django_db
def test_history_spans_both_tariff_schedules_and_grows(demo):
    for operator in Operator.objects.all():
        schedules = sorted(set(TariffPeriod.objects.for_operator(operator).values_list("effective_from", flat=True)))
        assert len(schedules) == 2
        orders = ChargingOrder.objects.for_operator(operator)
        renewed = datetime.combine(schedules[1], clock(0), tzinfo=UTC)
        assert orders.filter(started_at__lt=renewed - timedelta(days=1)).exists()
        assert orders.filter(started_at__gt=renewed + timedelta(days=1)).exists()
    now = timezone.now()
    first_weeks = ChargingOrder.objects.filter(started_at__lt=now - timedelta(days=46)).count()
    last_weeks = ChargingOrder.objects.filter(started_at__gte=now - timedelta(days=15)).count()
    assert last_weeks > first_weeks


@pytest.mark.django_db
def test_live_sessions_have_a_power_curve(demo):
    live = ChargingOrder.objects.filter(status=OrderStatus.CHARGING)
    assert live.exists()
    for order in live:
        samples = list(order.power_samples.order_by("sampled_at"))
        assert samples, order.number
        assert samples[0].sampled_at == order.started_at
        assert all(sample.power_kw > 0 and sample.gun_id == order.gun_id for sample in samples)
        assert order.gun.live_power_kw == samples[-1].power_kw
        assert order.energy_kwh > 0 and order.amount > 0
    assert PowerSample.objects.filter(order__status=OrderStatus.COMPLETED).exists()


@pytest.mark.django_db
def test_alarms_and_work_orders_tell_a_consistent_repair_story(demo):
    open_keys = list(Alarm.objects.exclude(status=AlarmStatus.CLEARED).values_list("pile_id", "gun_id", "error_code"))
    assert len(open_keys) == len(set(open_keys))
    for alarm in Alarm.objects.all():
        assert (alarm.cause, alarm.severity) == ERROR_CODE_CAUSES[alarm.error_code]
        assert alarm.occurred_at <= alarm.last_occurred_at
        assert (alarm.cleared_at is not None) == (alarm.status == AlarmStatus.CLEARED)
        if alarm.cleared_at:
            assert alarm.last_occurred_at <= alarm.cleared_at
    assert Alarm.objects.filter(repeat_count__gt=1).exists()
    assert Alarm.objects.filter(status=AlarmStatus.OPEN).exists()
    assert Alarm.objects.filter(status=AlarmStatus.ACKNOWLEDGED, acknowledged_by__isnull=False).exists()

    steps = list(WorkOrderStatus.values)
    for operator in Operator.objects.all():
        work_orders = WorkOrder.objects.for_operator(operator).select_related("applicant", "assignee")
        assert {work_order.status for work_order in work_orders} == set(steps)
        assert work_orders.filter(source_alarm__isnull=False).exists()
        for work_order in work_orders:
            assert work_order.number.startswith("WO") and len(work_order.number) == 14
            assert work_order.applicant.username.endswith("-admin")
            assert work_order.applicant.operator == operator
            events = list(work_order.events.all())
            path = [event.to_status for event in events]
            assert path == steps[: steps.index(work_order.status) + 1]
            assert [event.from_status for event in events] == ["", *path[:-1]]
            assert all(a.at <= b.at for a, b in zip(events, events[1:], strict=False))
            assert events[0].at == work_order.reported_at
            assert events[-1].at == work_order.status_changed_at <= timezone.now()
            if work_order.status == WorkOrderStatus.UNACCEPTED:
                assert work_order.assignee is None
            else:
                assert work_order.assignee.groups.filter(name=Role.TECHNICIAN.value).exists()
                assert work_order.assignee.operator == operator
    assert len(set(WorkOrder.objects.values_list("number", flat=True))) == WorkOrder.objects.count()


@pytest.mark.django_db
def test_a_second_run_creates_nothing(demo):
    counts = (User.objects.count(), Station.objects.count(), ChargingOrder.objects.count(), Alarm.objects.count())
    output = seed_demo(seed=8)
    assert "already loaded" in output
    assert counts == (
        User.objects.count(),
        Station.objects.count(),
        ChargingOrder.objects.count(),
        Alarm.objects.count(),
    )


@pytest.mark.django_db
def test_an_existing_platform_admin_is_kept():
    admin = User.objects.create_superuser("admin", "root@example.com", "own-password")
    output = seed_demo()
    admin.refresh_from_db()
    assert admin.check_password("own-password")
    assert "(unchanged)" in output
    assert Operator.objects.count() == 2


@pytest.mark.django_db
def test_a_demo_login_taken_by_another_operator_stops_the_load():
    other = Operator.objects.create(name="Other Charging")
    User.objects.create_user("sunrise-admin", operator=other, password="x")
    with pytest.raises(CommandError, match="sunrise-admin"):
        seed_demo()
    assert not Operator.objects.filter(name="Sunrise Charging").exists()
    assert not ChargingOrder.objects.exists()


def snapshot_of(seed: int) -> dict:
    """Load the demo data, read back what should depend on the seed alone, and roll it back."""
    with transaction.atomic():
        seed_demo(seed)
        snapshot = {
            "piles": list(
                Pile.objects.order_by("charge_point_id").values_list(
                    "charge_point_id", "model", "serial_number", "registered_at", "usage_state"
                )
            ),
            "orders": list(
                ChargingOrder.objects.order_by("number").values_list(
                    "number", "gun__pile__charge_point_id", "started_at", "stopped_at", "energy_kwh", "amount"
                )
            ),
            "samples": list(PowerSample.objects.order_by("order__number", "sampled_at").values_list("power_kw")),
            "alarms": list(
                Alarm.objects.order_by("occurred_at", "pile__charge_point_id").values_list(
                    "pile__charge_point_id", "error_code", "occurred_at", "status", "repeat_count"
                )
            ),
            "work_orders": list(WorkOrder.objects.order_by("number").values_list("number", "status", "reported_at")),
            "id_tags": list(IdTag.objects.order_by("id_tag").values_list("id_tag", "status")),
        }
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data(monkeypatch):
    # Pin the clock: the history is laid out relative to today, live sessions relative to now.
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    first = snapshot_of(11)
    assert first["orders"] and first["alarms"] and first["work_orders"]
    assert snapshot_of(11) == first
    assert snapshot_of(12)["orders"] != first["orders"]


def test_the_demo_drivers_wallets_are_the_sum_of_their_ledgers(demo):
    from django.db.models import Sum

    from drivers.models import Driver

    drivers = list(Driver.objects.all())
    assert len(drivers) == 4
    for driver in drivers:
        assert driver.balance == driver.ledger.aggregate(s=Sum("amount"))["s"] > 0
        assert driver.user.emailaddress_set.get().verified
        wallet_orders = ChargingOrder.objects.filter(id_tag=driver.id_tag, payment_method=PaymentMethod.WALLET)
        assert driver.ledger.filter(kind="charge").count() == wallet_orders.count() > 0
