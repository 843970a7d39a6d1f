from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chargeops.models import ScopedModel, ScopedQuerySet

from .choices import ChargingMethod, ConnectorType, GunStatus, IdTagStatus, OnlineStatus, UsageState

# OCPP 1.6 identifies a charge point by a CiString of at most 48 characters that also forms the
# last segment of its WebSocket URL, so only URL-safe characters are allowed.
validate_charge_point_id = RegexValidator(
    r"^[A-Za-z0-9._:\-]{1,48}\Z",
    _("Use 1–48 letters, digits, dots, colons, underscores or hyphens."),
)


def offline_cutoff():
    return timezone.now() - timedelta(seconds=settings.PILE_OFFLINE_AFTER_SECONDS)


class PileQuerySet(ScopedQuerySet):
    def with_online_status(self):
        """Annotate `online_status` with the same rule as `Pile.online_status`, so lists can
        filter and count by it in the database."""
        faulted = Gun.objects.filter(pile=OuterRef("pk"), status=GunStatus.FAULTED)
        return self.annotate(
            online_status=Case(
                When(registered_at__isnull=True, then=Value(OnlineStatus.UNREGISTERED)),
                When(
                    Q(connected=False) | Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=offline_cutoff()),
                    then=Value(OnlineStatus.OFFLINE),
                ),
                When(Exists(faulted), then=Value(OnlineStatus.FAULT)),
                default=Value(OnlineStatus.ONLINE),
                output_field=models.CharField(),
            )
        )


class Pile(ScopedModel):
    """A charging pile (OCPP charge point) at a station, with one or more guns."""

    operator_path = "station__area__operator"

    station = models.ForeignKey(
        "stations.Station", verbose_name=_("station"), on_delete=models.PROTECT, related_name="piles"
    )
    name = models.CharField(_("pile name"), max_length=100)
    # Unique regardless of case (a constraint below): OCPP identities are case-insensitive.
    charge_point_id = models.CharField(
        _("charge point id"), max_length=48, db_index=True, validators=[validate_charge_point_id]
    )
    manufacturer = models.CharField(_("manufacturer"), max_length=100)
    model = models.CharField(_("model"), max_length=100)
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    rated_power_kw = models.DecimalField(
        _("rated power (kW)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.1"), _("Rated power must be greater than zero."))],
    )
    voltage_min = models.PositiveIntegerField(_("minimum voltage (V)"))
    voltage_max = models.PositiveIntegerField(_("maximum voltage (V)"))
    charging_method = models.CharField(_("charging method"), max_length=2, choices=ChargingMethod)
    usage_state = models.CharField(_("usage state"), max_length=10, choices=UsageState, default=UsageState.ENABLED)
    firmware_version = models.CharField(_("firmware version"), max_length=50, blank=True)
    # What the pile says of itself in BootNotification, beside what people entered.
    reported_vendor = models.CharField(_("reported vendor"), max_length=50, blank=True, editable=False)
    reported_model = models.CharField(_("reported model"), max_length=50, blank=True, editable=False)
    booted_at = models.DateTimeField(_("last boot"), null=True, blank=True, editable=False)
    firmware_status = models.CharField(_("firmware update status"), max_length=20, blank=True, editable=False)
    diagnostics_status = models.CharField(_("diagnostics upload status"), max_length=20, blank=True, editable=False)
    ocpp_key_hash = models.CharField(_("OCPP key hash"), max_length=128, blank=True, editable=False)
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    connected = models.BooleanField(_("connected"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PileQuerySet.as_manager()

    # What the audit log leaves out: what the pile reports about itself over OCPP, and its key,
    # whose setting has an entry of its own (with no value).
    audit_exclude = {
        "firmware_version",
        "reported_vendor",
        "reported_model",
        "booted_at",
        "firmware_status",
        "diagnostics_status",
        "ocpp_key_hash",
        "registered_at",
        "last_seen_at",
        "connected",
    }

    class Meta:
        ordering = ["station__name", "name"]
        verbose_name = _("charging pile")
        verbose_name_plural = _("charging piles")
        constraints = [
            models.UniqueConstraint(
                Lower("charge_point_id"),
                name="pile_charge_point_id_unique",
                violation_error_message=_("A pile with this charge point id already exists."),
            ),
            models.UniqueConstraint(
                fields=["station", "name"],
                name="pile_name_unique_per_station",
                violation_error_message=_("This station already has a pile with this name."),
            ),
            models.CheckConstraint(condition=Q(rated_power_kw__gt=0), name="pile_rated_power_positive"),
            models.CheckConstraint(
                condition=Q(voltage_min__lte=models.F("voltage_max")),
                name="pile_voltage_range_ordered",
                violation_error_message=_("The minimum voltage must not exceed the maximum voltage."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("piles:pile_detail", args=[self.pk])

    @property
    def online_status(self) -> str:
        """Unregistered until the first boot; offline when disconnected or silent for longer
        than the offline timeout; fault when a gun reports Faulted; online otherwise."""
        annotated = self.__dict__.get("online_status")
        if annotated is not None:
            return annotated
        if self.registered_at is None:
            return OnlineStatus.UNREGISTERED
        if not self.connected or self.last_seen_at is None or self.last_seen_at < offline_cutoff():
            return OnlineStatus.OFFLINE
        if any(gun.status == GunStatus.FAULTED for gun in self.guns.all()):
            return OnlineStatus.FAULT
        return OnlineStatus.ONLINE

    @online_status.setter
    def online_status(self, value):
        # Set by the `with_online_status()` annotation.
        self.__dict__["online_status"] = value

    @property
    def is_enabled(self) -> bool:
        return self.usage_state == UsageState.ENABLED

    def get_online_status_display(self) -> str:
        return OnlineStatus(self.online_status).label

    def gun_numbered(self, connector_id: int) -> "Gun | None":
        """The gun with this OCPP connector id, from the prefetched guns when the caller loaded
        them (the gateway keeps each connected pile's guns in memory)."""
        if "guns" in getattr(self, "_prefetched_objects_cache", {}):
            return next((gun for gun in self.guns.all() if gun.connector_id == connector_id), None)
        return self.guns.filter(connector_id=connector_id).first()

    @property
    def voltage_range(self) -> str:
        return f"{self.voltage_min}–{self.voltage_max} V"

    def audit_values(self) -> dict[str, str]:
        """The guns, which people set on the pile's form, as one value of the pile's audit log
        entries. The audit log calls it on a copy it has just read (prefetching the guns when it
        reads many piles at once), never on the instance a change is made to."""
        guns = sorted(self.guns.all(), key=lambda gun: gun.connector_id)
        return {str(_("Guns")): ", ".join(f"{gun.connector_id}: {gun.get_connector_type_display()}" for gun in guns)}


class Gun(ScopedModel):
    """A gun (OCPP connector) of a pile, numbered from 1 as the pile numbers its connectors."""

    operator_path = "pile__station__area__operator"

    pile = models.ForeignKey(Pile, verbose_name=_("pile"), on_delete=models.CASCADE, related_name="guns")
    connector_id = models.PositiveSmallIntegerField(
        _("gun number"), validators=[MinValueValidator(1, _("Gun numbers start at 1."))]
    )
    connector_type = models.CharField(_("connector type"), max_length=10, choices=ConnectorType)
    status = models.CharField(_("status"), max_length=16, choices=GunStatus, default=GunStatus.UNAVAILABLE)
    error_code = models.CharField(_("error code"), max_length=50, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    live_power_kw = models.DecimalField(_("live power (kW)"), max_digits=7, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["pile", "connector_id"]
        verbose_name = _("gun")
        verbose_name_plural = _("guns")
        constraints = [
            models.UniqueConstraint(
                fields=["pile", "connector_id"],
                name="gun_number_unique_per_pile",
                violation_error_message=_("This pile already has a gun with this number."),
            ),
            models.CheckConstraint(condition=Q(connector_id__gte=1), name="gun_number_positive"),
        ]

    def __str__(self):
        return _("%(pile)s gun %(number)s") % {"pile": self.pile.name, "number": self.connector_id}

    def get_absolute_url(self):
        return reverse("piles:gun_detail", args=[self.pk])


class StatusChange(ScopedModel):
    """One change of a pile's connection (gun empty: online/offline) or of a gun's OCPP status,
    kept with its time so that downtime per pile and gun per day can be computed."""

    operator_path = "pile__station__area__operator"

    # Both indexed with the time below, which serves the foreign keys too (an index of the pile
    # alone was never read, and every status report of a network wrote to it).
    pile = models.ForeignKey(
        Pile, verbose_name=_("pile"), on_delete=models.CASCADE, related_name="status_changes", db_index=False
    )
    gun = models.ForeignKey(
        Gun,
        verbose_name=_("gun"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_changes",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=16)
    error_code = models.CharField(_("error code"), max_length=50, blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["pile", "at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        # A spell of downtime lasts until the next change of the pile's connection or of the
        # gun: the last two indexes find it in one step.
        indexes = [
            models.Index(fields=["pile", "at"], name="status_change_pile_time_idx"),
            models.Index(fields=["gun", "at"], name="status_change_gun_time_idx"),
            models.Index(
                fields=["pile", "at"], name="status_change_connection_idx", condition=models.Q(gun__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.gun or self.pile} {self.status} {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def status_label(self) -> str:
        """The status in words: a gun's OCPP status, or the pile's connection (online, offline)."""
        try:
            return (GunStatus if self.gun_id else OnlineStatus)(self.status).label
        except ValueError:
            return self.status


class IdTag(ScopedModel):
    """An RFID card or app token that a pile checks with OCPP Authorize."""

    operator = models.ForeignKey(
        "accounts.Operator", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="id_tags"
    )
    id_tag = models.CharField(_("id tag"), max_length=20)
    holder = models.CharField(_("holder"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=IdTagStatus, default=IdTagStatus.ACCEPTED)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id_tag"]
        verbose_name = _("id tag")
        verbose_name_plural = _("id tags")
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "id_tag"],
                name="id_tag_unique_per_operator",
                violation_error_message=_("This operator already has this id tag."),
            )
        ]

    def __str__(self):
        return self.id_tag
