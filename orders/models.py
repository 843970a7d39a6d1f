from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chargeops.models import DeepPagesQuerySet, ScopedModel
from stations.models import Station

from .choices import OrderStatus, PaymentMethod, StopReason

MONEY = {"max_digits": 12, "decimal_places": 2}
PRICE = {"max_digits": 8, "decimal_places": 4, "validators": [MinValueValidator(Decimal("0"))]}


class Tariff(ScopedModel):
    """A named time-of-use price list that stations charge by."""

    operator = models.ForeignKey(
        "accounts.Operator", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="tariffs"
    )
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "name"],
                name="tariff_name_unique_per_operator",
                violation_error_message=_("This operator already has a tariff with this name."),
            )
        ]

    def __str__(self):
        return self.name


class TariffPeriod(ScopedModel):
    """One time-of-use period of a tariff: from `starts_at` (station local time) until the next
    period's start, energy costs these prices per kWh. The periods sharing an `effective_from`
    date form one day's schedule, starting at 00:00; a later `effective_from` replaces the whole
    schedule from that local date on, so older orders keep the prices they started under."""

    operator_path = "tariff__operator"

    tariff = models.ForeignKey(Tariff, verbose_name=_("tariff"), on_delete=models.CASCADE, related_name="periods")
    effective_from = models.DateField(_("effective from"))
    starts_at = models.TimeField(_("starts at"))
    electricity_price = models.DecimalField(_("electricity price per kWh"), **PRICE)
    service_fee = models.DecimalField(_("service fee per kWh"), **PRICE)

    class Meta:
        ordering = ["tariff", "effective_from", "starts_at"]
        verbose_name = _("tariff period")
        verbose_name_plural = _("tariff periods")
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "effective_from", "starts_at"],
                name="tariff_period_start_unique",
                violation_error_message=_("Two periods of one schedule cannot start at the same time."),
            )
        ]

    def __str__(self):
        return f"{self.tariff} {self.effective_from} {self.starts_at:%H:%M}"


class OrderQuerySet(DeepPagesQuerySet):
    """Orders, narrowed to a user's by the ids of the user's stations (read first, one small
    query) rather than by a join to stations and areas: a page thousands of orders deep then
    tests each skipped index entry's station against a short list instead of joining it twice
    (at 1M orders, the ids of page 20000 of the whole network are read in a third of the time)."""

    def for_user(self, user):
        if user.operator_id is None:
            return super().for_user(user)
        return self.filter(station__any_of=list(Station.objects.for_user(user).order_by().values_list("pk", flat=True)))


class ChargingOrder(ScopedModel):
    """A charging session on one gun, from start to stop, with its energy and fees."""

    operator_path = "station__area__operator"

    objects = OrderQuerySet.as_manager()

    # Unique by a constraint, not `unique=True`: that adds a pattern index for LIKE on PostgreSQL
    # (39 MB at a million orders, written with every order), and the order search reads its
    # trigram index instead.
    number = models.CharField(_("order number"), max_length=32)
    # The (station, started_at) and (pile, started_at) indexes below serve these keys too.
    station = models.ForeignKey(
        "stations.Station",
        verbose_name=_("station"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    pile = models.ForeignKey(
        "piles.Pile", verbose_name=_("pile"), on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    gun = models.ForeignKey("piles.Gun", verbose_name=_("gun"), on_delete=models.PROTECT, related_name="orders")
    id_tag = models.ForeignKey(
        "piles.IdTag",
        verbose_name=_("id tag"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    # The tag as the pile sent it, also when it is not one of the operator's tags.
    id_tag_text = models.CharField(_("id tag sent"), max_length=20, blank=True)
    transaction_id = models.BigIntegerField(_("OCPP transaction id"), unique=True, null=True, blank=True)
    started_at = models.DateTimeField(_("start"))
    stopped_at = models.DateTimeField(_("end"), null=True, blank=True)
    meter_start_wh = models.BigIntegerField(_("meter start (Wh)"), default=0)
    meter_stop_wh = models.BigIntegerField(_("meter stop (Wh)"), null=True, blank=True)
    # The latest meter reading while charging: an order closed as abnormal keeps this energy.
    meter_last_wh = models.BigIntegerField(_("last meter reading (Wh)"), null=True, blank=True)
    meter_last_at = models.DateTimeField(_("last meter reading"), null=True, blank=True)
    energy_kwh = models.DecimalField(_("energy (kWh)"), max_digits=12, decimal_places=3, default=Decimal("0"))
    electricity_fee = models.DecimalField(_("electricity fee"), default=Decimal("0"), **MONEY)
    service_fee = models.DecimalField(_("service fee"), default=Decimal("0"), **MONEY)
    amount = models.DecimalField(_("amount"), default=Decimal("0"), **MONEY)
    payment_method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod)
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus, default=OrderStatus.CHARGING)
    stop_reason = models.CharField(_("stop reason"), max_length=16, choices=StopReason, blank=True)
    # A default, not auto_now_add: orders a pile buffered offline, imports and demo data set it.
    created_at = models.DateTimeField(_("order created"), default=timezone.now)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("charging order")
        verbose_name_plural = _("charging orders")
        indexes = [
            # Each holds the order's id (and the network-wide one its station) too, so that a
            # page deep into the list finds its orders from the index alone (DeepPagesQuerySet).
            models.Index(fields=["station", "started_at"], include=["id"], name="order_station_start_idx"),
            models.Index(fields=["pile", "started_at"], include=["id"], name="order_pile_start_idx"),
            models.Index(fields=["started_at"], include=["station", "id"], name="order_start_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="order_number_unique"),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True) | Q(stopped_at__gte=models.F("started_at")),
                name="order_stops_after_start",
            ),
            models.CheckConstraint(condition=Q(energy_kwh__gte=0), name="order_energy_not_negative"),
            models.CheckConstraint(
                condition=Q(meter_stop_wh__isnull=True) | Q(meter_stop_wh__gte=models.F("meter_start_wh")),
                name="order_meter_not_backwards",
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:chargingorder_detail", args=[self.pk])

    @property
    def duration(self):
        return self.stopped_at - self.started_at if self.stopped_at else None


class PowerSample(ScopedModel):
    """A gun's measured power at one moment, for live power charts."""

    operator_path = "gun__pile__station__area__operator"

    gun = models.ForeignKey("piles.Gun", verbose_name=_("gun"), on_delete=models.CASCADE, related_name="power_samples")
    order = models.ForeignKey(
        ChargingOrder,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="power_samples",
    )
    sampled_at = models.DateTimeField(_("time"))
    power_kw = models.DecimalField(_("power (kW)"), max_digits=7, decimal_places=2)
    soc_percent = models.PositiveSmallIntegerField(_("state of charge (%)"), null=True, blank=True)

    class Meta:
        ordering = ["gun", "sampled_at"]
        verbose_name = _("power sample")
        verbose_name_plural = _("power samples")
        indexes = [models.Index(fields=["gun", "sampled_at"], name="power_sample_gun_time_idx")]

    def __str__(self):
        return f"{self.gun} {self.sampled_at:%Y-%m-%d %H:%M} {self.power_kw} kW"
