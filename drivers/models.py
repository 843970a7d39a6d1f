"""The driver portal's records: drivers, their prepaid wallets and the ledger that moves their
money, the payments that top a wallet up, and each start of charging a driver asks for."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from payments.models import BasePayment

from chargeops.models import ScopedModel
from gateway.choices import CommandStatus
from orders.choices import OrderStatus
from orders.models import MONEY

from .choices import LedgerKind, StartState


class Driver(ScopedModel):
    """An EV driver with a portal account in one operator's network. The driver's id tag is
    what the pile is given to start with and what its orders are found by; the balance is the
    running sum of the wallet's ledger, kept beside it so a start can check it at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="driver"
    )
    operator = models.ForeignKey(
        "accounts.Operator", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="drivers"
    )
    id_tag = models.OneToOneField(
        "piles.IdTag", verbose_name=_("id tag"), on_delete=models.PROTECT, related_name="driver"
    )
    balance = models.DecimalField(_("balance"), default=Decimal("0.00"), **MONEY)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")
        permissions = [("refund_driver", _("Can refund drivers' wallets"))]

    def __str__(self):
        return self.user.email

    def get_absolute_url(self):
        return reverse("drivers:driver_detail", args=[self.pk])

    @property
    def email(self) -> str:
        return self.user.email


class LedgerEntry(ScopedModel):
    """One movement of a driver's wallet: a top-up paid (positive), an order's fee debited
    (negative) or an operator's refund (positive). Written only by `drivers.services`, in the
    same transaction as the balance it changes; the balance is always the sum of these."""

    operator_path = "driver__operator"

    driver = models.ForeignKey(Driver, verbose_name=_("driver"), on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(_("kind"), max_length=10, choices=LedgerKind)
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    order = models.ForeignKey(
        "orders.ChargingOrder",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    top_up = models.ForeignKey(
        "drivers.TopUp",
        verbose_name=_("top-up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    # Why: a refund's reason, or why a charge took the balance below zero.
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("wallet entry")
        verbose_name_plural = _("wallet entries")
        indexes = [models.Index(fields=["driver", "created_at"], name="ledger_driver_time_idx")]
        constraints = [
            # An order is debited once, however many times its stop arrives.
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind=LedgerKind.CHARGE), name="ledger_one_charge_per_order"
            ),
            # A top-up is credited once, and given back once.
            models.UniqueConstraint(
                fields=["top_up", "kind"], condition=Q(top_up__isnull=False), name="ledger_top_up_once_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind=LedgerKind.CHARGE, amount__lt=0, order__isnull=False)
                | Q(kind=LedgerKind.TOP_UP, amount__gt=0, top_up__isnull=False)
                | Q(kind=LedgerKind.TOP_UP_RETURNED, amount__lt=0, top_up__isnull=False)
                | Q(kind=LedgerKind.REFUND, amount__gt=0),
                name="ledger_amount_sign_by_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class TopUp(BasePayment):
    """A payment that tops up a driver's wallet (django-payments' payment model). The wallet is
    credited once, when the provider confirms it (`drivers.signals`)."""

    driver = models.ForeignKey(Driver, verbose_name=_("driver"), on_delete=models.PROTECT, related_name="top_ups")

    class Meta:
        ordering = ["-created"]
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")

    def get_success_url(self) -> str:
        return reverse("drivers:top_up_done", args=[self.token])

    def get_failure_url(self) -> str:
        return reverse("drivers:top_up_done", args=[self.token])

    def get_purchased_items(self):
        from payments import PurchasedItem

        yield PurchasedItem(
            name=str(_("Wallet top-up")), sku="wallet", quantity=1, price=self.total, currency=self.currency
        )


class ChargeRequest(ScopedModel):
    """A driver's press of Start on a gun: the RemoteStartTransaction sent for it, and, once
    the pile opens it, the order. Its state says what the driver sees: still waiting, refused,
    no answer, no session, or the session itself."""

    operator_path = "driver__operator"

    driver = models.ForeignKey(
        Driver, verbose_name=_("driver"), on_delete=models.PROTECT, related_name="charge_requests"
    )
    # A start means nothing without its gun and command: removing a pile or gun removes them.
    gun = models.ForeignKey("piles.Gun", verbose_name=_("gun"), on_delete=models.CASCADE, related_name="+")
    command = models.OneToOneField(
        "gateway.Command", verbose_name=_("start command"), on_delete=models.CASCADE, related_name="+"
    )
    stop_command = models.OneToOneField(
        "gateway.Command",
        verbose_name=_("stop command"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    order = models.OneToOneField(
        "orders.ChargingOrder",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charge_request",
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("start of charging")
        verbose_name_plural = _("starts of charging")

    def __str__(self):
        return f"{self.driver} {self.gun}"

    def get_absolute_url(self):
        return reverse("drivers:charge_detail", args=[self.pk])

    @property
    def state(self) -> str:
        """Read with the command and order loaded (`selectors.charge_request_for_driver`)."""
        if self.order_id is not None:
            return StartState.CHARGING if self.order.status == OrderStatus.CHARGING else StartState.FINISHED
        status = self.command.status
        if status in (CommandStatus.PENDING, CommandStatus.SENT):
            return StartState.WAITING
        if status == CommandStatus.REJECTED:
            return StartState.REFUSED
        if status != CommandStatus.ACCEPTED:
            return StartState.NO_ANSWER
        return StartState.NOT_STARTED if timezone.now() > self.deadline else StartState.PLUG_IN

    @property
    def deadline(self):
        """Until when the start waits for its session: a StartTransaction later than this is not
        linked to it (`services.charge_requests_link`), and the driver is told none started."""
        return self.created_at + timedelta(seconds=settings.DRIVER_START_TIMEOUT_SECONDS)

    def get_state_display(self) -> str:
        return StartState(self.state).label
