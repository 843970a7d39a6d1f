"""The driver's wallet: money moves only through ledger entries, the balance is always their
sum, a stop debits its order once, and refunds stay within what was paid."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payments import PaymentStatus

from drivers.choices import LedgerKind
from drivers.models import Driver, LedgerEntry
from drivers.services import driver_register, top_up_create, top_up_credit, wallet_refund
from orders.choices import OrderStatus, PaymentMethod
from orders.models import ChargingOrder
from orders.services import StartReport, StopReport, order_starts, order_stops, orders_close_abnormal

from .factories import GunFactory, StationFactory, TariffPeriodFactory, UserFactory


def make_driver(operator, balance: Decimal = Decimal("0"), email="driver@example.com") -> Driver:
    driver = driver_register(user=UserFactory(operator=None, username=email, email=email), operator=operator)
    if balance:
        paid = top_up_create(driver=driver, amount=balance)
        paid.change_status(PaymentStatus.CONFIRMED)
        driver.refresh_from_db()
    return driver


def ledger_sum(driver) -> Decimal:
    # SQLite sums decimals as floats (-0.00999999999999979 for -0.01): back to whole cents.
    total = LedgerEntry.objects.filter(driver=driver).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return Decimal(total).quantize(Decimal("0.01"))


@pytest.fixture
def gun(operator):
    station = StationFactory(area__operator=operator, time_zone="UTC")
    station.tariff = TariffPeriodFactory(
        tariff__operator=operator, electricity_price=Decimal("0.30"), service_fee=Decimal("0.10")
    ).tariff
    station.save()
    return GunFactory(pile__station=station, connector_id=1)


def start(gun, driver, meter=1000, at=None):
    at = at or timezone.now() - timedelta(hours=1)
    report = StartReport(pile=gun.pile, connector_id=1, id_tag=driver.id_tag.id_tag, meter_start_wh=meter, at=at)
    transaction_id, _info = order_starts(items=[report])[0]
    return ChargingOrder.objects.get(transaction_id=transaction_id)


def stop(order, meter, at=None):
    report = StopReport(
        pile=order.pile, transaction_id=order.transaction_id, meter_stop_wh=meter, at=at or timezone.now()
    )
    return order_stops(items=[report])[0]


def test_a_confirmed_top_up_is_credited_once(operator):
    driver = make_driver(operator)
    payment = top_up_create(driver=driver, amount=Decimal("50.00"))
    payment.change_status(PaymentStatus.CONFIRMED)
    payment.change_status(PaymentStatus.CONFIRMED)  # the provider reports it again
    assert top_up_credit(top_up=payment) is None
    driver.refresh_from_db()
    assert driver.balance == Decimal("50.00")
    assert LedgerEntry.objects.get(driver=driver).kind == LedgerKind.TOP_UP


@pytest.mark.parametrize("status", [PaymentStatus.REJECTED, PaymentStatus.ERROR, PaymentStatus.INPUT])
def test_a_top_up_not_confirmed_credits_nothing(operator, status):
    driver = make_driver(operator)
    payment = top_up_create(driver=driver, amount=Decimal("50.00"))
    payment.change_status(status)
    driver.refresh_from_db()
    assert driver.balance == 0 and not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "amount", [Decimal("0"), Decimal("-5"), Decimal("4.99"), Decimal("1000.01"), Decimal("10.001")]
)
def test_a_top_up_out_of_bounds_is_refused(operator, amount):
    driver = make_driver(operator)
    with pytest.raises(ValidationError):
        top_up_create(driver=driver, amount=amount)
    assert not driver.top_ups.exists()


def test_a_wallet_order_is_debited_when_it_stops_and_a_resent_stop_debits_once(operator, gun):
    driver = make_driver(operator, Decimal("50.00"))
    order = start(gun, driver)
    assert order.payment_method == PaymentMethod.WALLET
    at = timezone.now()
    assert stop(order, 21000, at) is None  # 20 kWh at 0.40
    assert stop(order, 21000, at) is None  # the same stop again
    driver.refresh_from_db()
    order.refresh_from_db()
    assert order.amount == Decimal("8.00")
    assert driver.balance == Decimal("42.00") == ledger_sum(driver)
    charge = LedgerEntry.objects.get(driver=driver, kind=LedgerKind.CHARGE)
    assert charge.order == order and charge.amount == Decimal("-8.00") and charge.balance_after == Decimal("42.00")


def test_a_card_order_touches_no_wallet(operator, gun):
    from .factories import IdTagFactory

    driver = make_driver(operator, Decimal("50.00"))
    IdTagFactory(operator=operator, id_tag="CARD-1")
    report = StartReport(pile=gun.pile, connector_id=1, id_tag="CARD-1", meter_start_wh=0, at=timezone.now())
    transaction_id, _info = order_starts(items=[report])[0]
    order = ChargingOrder.objects.get(transaction_id=transaction_id)
    assert order.payment_method == PaymentMethod.RFID_CARD
    stop(order, 10000)
    driver.refresh_from_db()
    assert driver.balance == Decimal("50.00") and LedgerEntry.objects.filter(kind=LedgerKind.CHARGE).count() == 0


def test_a_session_dearer_than_the_balance_takes_it_below_zero_with_the_reason(operator, gun):
    driver = make_driver(operator, Decimal("10.00"))
    order = start(gun, driver)
    stop(order, 1000 + 50000)  # 50 kWh: 20.00
    driver.refresh_from_db()
    assert driver.balance == Decimal("-10.00") == ledger_sum(driver)
    assert "20.00" in LedgerEntry.objects.get(kind=LedgerKind.CHARGE).note


def test_an_abnormal_close_debits_the_energy_of_the_last_reading(operator, gun):
    driver = make_driver(operator, Decimal("50.00"))
    order = start(gun, driver, at=timezone.now() - timedelta(hours=30))
    ChargingOrder.objects.filter(pk=order.pk).update(meter_last_wh=11000, meter_last_at=order.started_at)
    assert orders_close_abnormal() == 1
    order.refresh_from_db()
    driver.refresh_from_db()
    assert order.status == OrderStatus.ABNORMAL and order.amount == Decimal("4.00")
    assert driver.balance == Decimal("46.00") == ledger_sum(driver)


def test_a_refund_of_an_order_is_at_most_what_it_was_debited(operator, gun, admin_user):
    driver = make_driver(operator, Decimal("50.00"))
    order = start(gun, driver)
    stop(order, 21000)  # 8.00
    wallet_refund(user=admin_user, driver=driver, amount=Decimal("5.00"), reason="Slow charging", order=order)
    with pytest.raises(ValidationError) as refused:
        wallet_refund(user=admin_user, driver=driver, amount=Decimal("3.01"), reason="Again", order=order)
    assert "3.00" in str(refused.value)
    driver.refresh_from_db()
    assert driver.balance == Decimal("47.00") == ledger_sum(driver)


@pytest.mark.parametrize(
    ("amount", "reason"), [(Decimal("0"), "x"), (Decimal("-1"), "x"), (Decimal("1.005"), "x"), (Decimal("1"), "  ")]
)
def test_a_bad_refund_changes_nothing(operator, admin_user, amount, reason):
    driver = make_driver(operator, Decimal("20.00"))
    with pytest.raises(ValidationError):
        wallet_refund(user=admin_user, driver=driver, amount=amount, reason=reason)
    driver.refresh_from_db()
    assert driver.balance == Decimal("20.00") and LedgerEntry.objects.count() == 1


def test_a_refund_of_an_order_not_paid_from_the_wallet_is_refused(operator, gun, admin_user):
    from .factories import ChargingOrderFactory

    driver = make_driver(operator, Decimal("20.00"))
    card_order = ChargingOrderFactory(gun=gun, amount=Decimal("9.00"))
    with pytest.raises(ValidationError):
        wallet_refund(user=admin_user, driver=driver, amount=Decimal("1.00"), reason="x", order=card_order)
    assert LedgerEntry.objects.count() == 1


moves = st.lists(
    st.tuples(
        st.sampled_from(["top_up", "charge", "refund", "returned"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400"), places=2),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=moves)
def test_any_sequence_of_moves_keeps_the_balance_the_sum_of_the_ledger(operator, gun, admin_user, moves):
    driver = make_driver(operator, email=f"{uuid.uuid4().hex}@example.com")
    meter = 0
    for kind, amount in moves:
        try:
            if kind == "top_up":
                payment = top_up_create(driver=driver, amount=amount)
                payment.change_status(PaymentStatus.CONFIRMED)
            elif kind == "charge":
                # A session whose fee is the amount: energy at 0.40 per kWh, to the Wh.
                order = start(gun, driver, meter=meter)
                meter += int(amount / Decimal("0.40") * 1000)
                stop(order, meter)
            elif kind == "refund":
                wallet_refund(user=admin_user, driver=driver, amount=amount, reason="Goodwill")
            else:
                # The provider gives the latest top-up back (again, if it did already).
                paid = driver.top_ups.order_by("-pk").first()
                if paid is not None:
                    paid.change_status(PaymentStatus.REFUNDED)
        except ValidationError:
            pass  # refused moves change nothing, and the invariant must still hold
        driver.refresh_from_db()
        assert driver.balance == ledger_sum(driver)
        last = LedgerEntry.objects.filter(driver=driver).order_by("-created_at", "-pk").first()
        assert last is None or last.balance_after == driver.balance
    # The balance went below zero only by a charge that says why.
    for entry in LedgerEntry.objects.filter(driver=driver, balance_after__lt=0):
        previous = entry.balance_after - entry.amount
        assert previous < 0 or (entry.kind in (LedgerKind.CHARGE, LedgerKind.TOP_UP_RETURNED) and entry.note)


def test_a_wallet_session_that_reaches_the_balance_is_told_to_stop_once(operator, gun):
    from drivers.services import wallet_sessions_guard
    from gateway.choices import CommandAction
    from gateway.models import Command

    gun.pile.connected = True
    gun.pile.save()
    rich = make_driver(operator, Decimal("100.00"), email="rich@example.com")
    poor = make_driver(operator, Decimal("10.00"), email="poor@example.com")
    start(gun, rich)
    other_gun = GunFactory(pile=gun.pile, connector_id=2)
    report = StartReport(
        pile=gun.pile,
        connector_id=2,
        id_tag=poor.id_tag.id_tag,
        meter_start_wh=0,
        at=timezone.now() - timedelta(hours=1),
    )
    transaction_id, _info = order_starts(items=[report])[0]
    # 25 kWh at 0.40 = 10.00 each: the poor driver's session has reached the balance.
    ChargingOrder.objects.filter(status=OrderStatus.CHARGING).update(energy_kwh=Decimal("25.000"))
    assert wallet_sessions_guard() == 1
    assert wallet_sessions_guard() == 0  # the stop is on its way
    command = Command.objects.get(action=CommandAction.REMOTE_STOP)
    assert command.payload == {"transaction_id": transaction_id} and other_gun.pile == command.pile


def test_two_sessions_of_a_driver_are_stopped_when_together_they_reach_the_balance(operator, gun):
    from drivers.services import wallet_sessions_guard
    from gateway.choices import CommandAction
    from gateway.models import Command

    gun.pile.connected = True
    gun.pile.save()
    driver = make_driver(operator, Decimal("10.00"))
    GunFactory(pile=gun.pile, connector_id=2)
    for connector in (1, 2):
        report = StartReport(
            pile=gun.pile, connector_id=connector, id_tag=driver.id_tag.id_tag, meter_start_wh=0, at=timezone.now()
        )
        order_starts(items=[report])
    # 6.00 each: neither alone reaches the balance of 10.00, both together do.
    ChargingOrder.objects.filter(status=OrderStatus.CHARGING).update(energy_kwh=Decimal("15.000"))
    assert wallet_sessions_guard() == 2
    assert Command.objects.filter(action=CommandAction.REMOTE_STOP).count() == 2


def test_a_confirmed_top_up_whose_credit_failed_is_credited_by_the_check(operator):
    from drivers.models import TopUp
    from drivers.services import top_ups_reconcile

    driver = make_driver(operator)
    payment = top_up_create(driver=driver, amount=Decimal("25.00"))
    TopUp.objects.filter(pk=payment.pk).update(status=PaymentStatus.CONFIRMED)  # no signal: the credit never ran
    assert top_ups_reconcile() == 1
    assert top_ups_reconcile() == 0
    driver.refresh_from_db()
    assert driver.balance == Decimal("25.00") == ledger_sum(driver)


def test_refunds_without_an_order_give_back_at_most_what_charging_took(operator, gun, admin_user):
    driver = make_driver(operator, Decimal("50.00"))
    order = start(gun, driver)
    stop(order, 21000)  # 8.00
    with pytest.raises(ValidationError):
        wallet_refund(user=admin_user, driver=driver, amount=Decimal("99999.00"), reason="Typo")
    wallet_refund(user=admin_user, driver=driver, amount=Decimal("8.00"), reason="Goodwill")
    driver.refresh_from_db()
    assert driver.balance == Decimal("50.00") == ledger_sum(driver)


def test_a_top_up_the_provider_gives_back_is_taken_out_of_the_wallet_once(operator, gun):
    driver = make_driver(operator, Decimal("30.00"))
    order = start(gun, driver)
    stop(order, 26000)  # 10.00
    paid = driver.top_ups.get()
    paid.change_status(PaymentStatus.REFUNDED)
    paid.change_status(PaymentStatus.REFUNDED)  # reported again
    driver.refresh_from_db()
    assert driver.balance == Decimal("-10.00") == ledger_sum(driver)
    returned = LedgerEntry.objects.get(kind=LedgerKind.TOP_UP_RETURNED)
    assert returned.amount == Decimal("-30.00") and returned.note


def test_a_top_up_never_credited_takes_nothing_when_given_back(operator):
    driver = make_driver(operator)
    payment = top_up_create(driver=driver, amount=Decimal("20.00"))
    payment.change_status(PaymentStatus.REFUNDED)
    driver.refresh_from_db()
    assert driver.balance == 0 and not LedgerEntry.objects.exists()
