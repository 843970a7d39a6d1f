"""Writes of the driver portal: registration, the wallet's ledger, and starting and stopping
charging. Money moves only here, each movement a ledger entry written in one transaction with
the balance it changes, under a lock on the driver's row."""

import secrets
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from payments import PaymentStatus

from accounts.models import Operator, User
from gateway.choices import CommandAction, CommandStatus
from gateway.services import command_create
from orders.choices import OrderStatus, PaymentMethod
from orders.models import ChargingOrder
from piles.choices import GunStatus, IdTagStatus, OnlineStatus
from piles.models import Gun, IdTag

from .choices import LedgerKind
from .models import ChargeRequest, Driver, LedgerEntry, TopUp

# What a gun shows while it can take a new session: free, or a cable already plugged in.
STARTABLE = {GunStatus.AVAILABLE, GunStatus.PREPARING}
CENT = Decimal("0.01")
TOP_UP_MIN = Decimal("5.00")
TOP_UP_MAX = Decimal("1000.00")


def _id_tag_new() -> str:
    # 20 characters is OCPP 1.6's IdToken; "D" marks a portal token apart from RFID card numbers.
    return "D" + secrets.token_hex(8).upper()


@transaction.atomic
def driver_register(*, user: User, operator: Operator) -> Driver:
    """Give a new portal account its driver record in the operator's network, with an id tag
    of its own that piles are sent when the driver starts charging."""
    tag = IdTag(
        operator=operator, id_tag=_id_tag_new(), holder=user.email[: IdTag._meta.get_field("holder").max_length]
    )
    tag.full_clean()
    tag.save()
    driver = Driver(user=user, operator=operator, id_tag=tag)
    driver.full_clean()
    driver.save()
    return driver


def _whole_cents(amount: Decimal) -> None:
    if amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Use at most two decimal places.")})


def top_ups_open() -> bool:
    """Whether drivers can top up: a payment provider is set (PAYMENT_PROVIDER)."""
    return "default" in settings.PAYMENT_VARIANTS


def _driver_locked(driver: Driver) -> Driver:
    return Driver.objects.select_for_update().get(pk=driver.pk)


def _ledger_write(driver: Driver, *, kind: str, amount: Decimal, **fields) -> LedgerEntry:
    """Move `amount` in or out of a wallet whose row the caller holds locked."""
    driver.balance += amount
    entry = LedgerEntry(driver=driver, kind=kind, amount=amount, balance_after=driver.balance, **fields)
    entry.save()
    Driver.objects.filter(pk=driver.pk).update(balance=driver.balance)
    return entry


def top_up_create(*, driver: Driver, amount: Decimal, ip_address: str | None = None) -> TopUp:
    """A payment of `amount` into the driver's wallet, waiting for the provider."""
    if not top_ups_open():
        raise ValidationError(_("Top-ups are not open yet: the operator has no payment provider."))
    if amount is None or amount < TOP_UP_MIN or amount > TOP_UP_MAX:
        raise ValidationError(
            {"amount": _("Top up between %(low)s and %(high)s.") % {"low": TOP_UP_MIN, "high": TOP_UP_MAX}}
        )
    _whole_cents(amount)
    return TopUp.objects.create(
        driver=driver,
        variant="default",
        description=_("Wallet top-up"),
        total=amount,
        currency=driver.operator.currency,
        billing_email=driver.email,
        customer_ip_address=ip_address,
    )


@transaction.atomic
def top_up_credit(*, top_up: TopUp) -> LedgerEntry | None:
    """Credit a confirmed payment to its wallet, once: the provider may report it again."""
    driver = _driver_locked(top_up.driver)
    top_up = TopUp.objects.get(pk=top_up.pk)
    if top_up.status != PaymentStatus.CONFIRMED or top_up.ledger_entries.filter(kind=LedgerKind.TOP_UP).exists():
        return None
    return _ledger_write(driver, kind=LedgerKind.TOP_UP, amount=top_up.total, top_up=top_up)


@transaction.atomic
def top_up_return(*, top_up: TopUp) -> LedgerEntry | None:
    """Take back out of the wallet a credited top-up the payment provider has given back to the
    driver (refunded or charged back), once. The balance may go below zero: the entry says why."""
    driver = _driver_locked(top_up.driver)
    top_up = TopUp.objects.get(pk=top_up.pk)
    entries = set(top_up.ledger_entries.values_list("kind", flat=True))
    if top_up.status != PaymentStatus.REFUNDED or LedgerKind.TOP_UP not in entries:
        return None
    if LedgerKind.TOP_UP_RETURNED in entries:
        return None
    note = _("The payment provider gave this top-up back to the driver.")
    return _ledger_write(driver, kind=LedgerKind.TOP_UP_RETURNED, amount=-top_up.total, top_up=top_up, note=note)


def wallet_orders_charge(*, orders: list[ChargingOrder]) -> list[LedgerEntry]:
    """Debit the fee of each wallet order just closed, in the caller's transaction (the stop's).
    An order already debited is skipped, so a stop that arrives twice debits once. A fee above
    the balance is debited in full and the entry says why the balance went below zero."""
    wallet_orders = [order for order in orders if order.payment_method == PaymentMethod.WALLET and order.amount > 0]
    if not wallet_orders:
        return []
    charged = set(
        LedgerEntry.objects.filter(order__in=wallet_orders, kind=LedgerKind.CHARGE).values_list("order_id", flat=True)
    )
    drivers = {
        driver.id_tag_id: driver
        for driver in Driver.objects.select_for_update().filter(id_tag__in={o.id_tag_id for o in wallet_orders})
    }
    entries = []
    for order in wallet_orders:
        driver = drivers.get(order.id_tag_id)
        if driver is None or order.pk in charged:
            continue
        note = ""
        if driver.balance < order.amount:
            note = _(
                "The session cost %(amount)s with only %(balance)s in the wallet: the balance went below zero."
            ) % {
                "amount": order.amount,
                "balance": driver.balance,
            }
        entries.append(_ledger_write(driver, kind=LedgerKind.CHARGE, amount=-order.amount, order=order, note=note))
    return entries


@transaction.atomic
def wallet_refund(
    *, user: User, driver: Driver, amount: Decimal, reason: str, order: ChargingOrder | None = None
) -> LedgerEntry:
    """Give money back into a driver's wallet, with the operator's reason. Refunds give back what
    was paid for charging: in all at most what the wallet paid, and for one order at most what
    that order was debited, less what was refunded already."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the money is refunded.")})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Refund an amount above zero.")})
    _whole_cents(amount)
    driver = _driver_locked(driver)
    if order is not None:
        moved = _ledger_sums(driver.ledger.filter(order=order))
        debited = -moved.get(LedgerKind.CHARGE, Decimal("0"))
        if not debited:
            raise ValidationError({"order": _("Order %(number)s was not paid from this wallet.") % {"number": order}})
        left = debited - moved.get(LedgerKind.REFUND, Decimal("0"))
        if amount > left:
            raise ValidationError(
                {
                    "amount": _("At most %(left)s of order %(number)s is left to refund.")
                    % {"left": left.quantize(CENT), "number": order}
                }
            )
    moved = _ledger_sums(driver.ledger.all())
    left = -moved.get(LedgerKind.CHARGE, Decimal("0")) - moved.get(LedgerKind.REFUND, Decimal("0"))
    if amount > left:
        raise ValidationError(
            {
                "amount": _(
                    "At most %(left)s can be refunded: what the wallet paid for charging, less earlier refunds."
                )
                % {"left": max(left, Decimal("0")).quantize(CENT)}
            }
        )
    return _ledger_write(driver, kind=LedgerKind.REFUND, amount=amount, order=order, note=reason[:300], created_by=user)


def _ledger_sums(entries) -> dict[str, Decimal]:
    """Kind -> the sum of the entries' amounts."""
    return dict(entries.values_list("kind").annotate(total=Sum("amount")).order_by())


def gun_start_refusal(driver: Driver, gun: Gun) -> str | None:
    """Why the driver cannot start on this gun now, or None when they can. The gun's pile is
    read with its online status (`selectors.gun_for_portal`)."""
    pile = gun.pile
    if pile.station.area.operator_id != driver.operator_id:
        return _("This gun belongs to another network: it cannot be started from your account.")
    if not pile.is_enabled:
        return _("This pile is out of service.")
    if pile.online_status in (OnlineStatus.OFFLINE, OnlineStatus.UNREGISTERED):
        return _("This pile is offline.")
    if gun.status == GunStatus.FAULTED:
        return _("This gun is faulted.")
    if gun.status == GunStatus.UNAVAILABLE:
        return _("This gun is out of service.")
    if gun.status not in STARTABLE:
        return _("This gun is busy (%(status)s).") % {"status": gun.get_status_display()}
    tag = driver.id_tag
    if tag.status != IdTagStatus.ACCEPTED or (tag.expires_at is not None and tag.expires_at <= timezone.now()):
        return _("Your account is blocked from charging. Contact the operator.")
    minimum = driver.operator.min_start_balance
    if driver.balance < minimum:
        return _("Starting needs at least %(minimum)s in your wallet. Top up first.") % {"minimum": minimum}
    return None


@transaction.atomic
def charge_start(*, driver: Driver, gun: Gun) -> ChargeRequest:
    """Ask the gun's pile to start charging for the driver (RemoteStartTransaction with the
    driver's id tag). Refused, with the reason, when the gun cannot start, when the driver is
    charging already or has a start still waiting."""
    from .selectors import driver_session

    driver = _driver_locked(driver)
    refusal = gun_start_refusal(driver, gun)
    if refusal:
        raise ValidationError(refusal)
    if driver_session(driver) is not None:
        raise ValidationError(_("You are charging already. Stop that session first."))
    recent = timezone.now() - timedelta(seconds=settings.DRIVER_START_TIMEOUT_SECONDS)
    waiting = ChargeRequest.objects.filter(driver=driver, order__isnull=True, created_at__gte=recent).filter(
        command__status__in=[CommandStatus.PENDING, CommandStatus.SENT, CommandStatus.ACCEPTED]
    )
    if waiting.exists():
        raise ValidationError(_("Your last start is still waiting for the pile."))
    command = command_create(
        user=driver.user,
        pile=gun.pile,
        action=CommandAction.REMOTE_START,
        payload={"connector_id": gun.connector_id, "id_tag": driver.id_tag.id_tag},
    )
    return ChargeRequest.objects.create(driver=driver, gun=gun, command=command)


@transaction.atomic
def charge_stop(*, driver: Driver, order: ChargingOrder) -> None:
    """Ask the pile to stop the driver's session (RemoteStopTransaction). The order closes, and
    the wallet is debited, when the pile's StopTransaction arrives."""
    if order.id_tag_id != driver.id_tag_id:
        raise ValidationError(_("This is not your session."))
    if order.status != OrderStatus.CHARGING:
        raise ValidationError(_("This session has ended."))
    command = _stop_send(order, user=driver.user)
    ChargeRequest.objects.filter(order=order).update(stop_command=command)
    if command.status == CommandStatus.FAILED:
        raise ValidationError(command.error)


def _stop_send(order: ChargingOrder, *, user: User | None):
    """RemoteStopTransaction of the order's session, through the command outbox."""
    return command_create(
        user=user, pile=order.pile, action=CommandAction.REMOTE_STOP, payload={"transaction_id": order.transaction_id}
    )


def charge_requests_link(*, orders: list[ChargingOrder]) -> None:
    """Give each driver's start that is waiting for its session the order the pile just opened
    on that gun with the driver's id tag (called in the StartTransaction's transaction; the
    orders are found by their transaction ids, as the gateway inserts them without keys)."""
    wallet_orders = [o for o in orders if o.payment_method == PaymentMethod.WALLET]
    if not wallet_orders:
        return
    # The window of `ChargeRequest.deadline`: what the driver was told did not start stays so.
    recent = timezone.now() - timedelta(seconds=settings.DRIVER_START_TIMEOUT_SECONDS)
    waiting = ChargeRequest.objects.filter(
        order__isnull=True,
        gun__in={o.gun_id for o in wallet_orders},
        driver__id_tag__in={o.id_tag_id for o in wallet_orders},
        created_at__gte=recent,
    ).select_related("driver")
    requests = {(r.gun_id, r.driver.id_tag_id): r for r in waiting.order_by("created_at")}
    if not requests:
        return
    keys = dict(
        ChargingOrder.objects.filter(transaction_id__in=[o.transaction_id for o in wallet_orders]).values_list(
            "transaction_id", "pk"
        )
    )
    for order in wallet_orders:
        request = requests.pop((order.gun_id, order.id_tag_id), None)
        if request is not None:
            ChargeRequest.objects.filter(pk=request.pk, order__isnull=True).update(order_id=keys[order.transaction_id])


def wallet_sessions_guard() -> int:
    """Stop a driver's wallet sessions when what they cost so far together has reached the
    driver's balance, so that a wallet does not run far below zero: a RemoteStopTransaction,
    sent once per session. Returns how many were told to stop. (The final fee is still debited
    in full when the stop arrives.)"""
    # Not at the top: the selectors read orders.services, which imports this module.
    from .selectors import session_figures, stop_pending

    charging = ChargingOrder.objects.filter(status=OrderStatus.CHARGING, payment_method=PaymentMethod.WALLET)
    charging = charging.select_related("station__tariff", "pile", "id_tag__driver").prefetch_related(
        "station__tariff__periods"
    )
    by_driver = defaultdict(list)
    for order in charging:
        driver = getattr(order.id_tag, "driver", None)
        if driver is not None:
            by_driver[driver.pk].append((driver, order))
    stopped = 0
    for sessions in by_driver.values():
        balance = sessions[0][0].balance
        if sum(session_figures(order, with_power=False)["cost"] for _driver, order in sessions) < balance:
            continue
        for _driver, order in sessions:
            if not stop_pending(order):
                _stop_send(order, user=None)
                stopped += 1
    return stopped


def top_ups_reconcile() -> int:
    """Credit the confirmed top-ups that have no wallet entry (the credit after the provider's
    confirmation failed): the payment was taken, so the money goes in. Returns how many."""
    credited = LedgerEntry.objects.filter(top_up=OuterRef("pk"), kind=LedgerKind.TOP_UP)
    missing = TopUp.objects.filter(status=PaymentStatus.CONFIRMED).exclude(Exists(credited))
    return sum(top_up_credit(top_up=top_up) is not None for top_up in missing)
