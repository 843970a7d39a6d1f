import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chargeops.models import ScopedModel

from .choices import Currency


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class Operator(ScopedModel):
    """A company that runs charging stations: the tenant every other row belongs to."""

    operator_path = "pk"

    name = models.CharField(_("name"), max_length=100, unique=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency, default=Currency.USD)
    time_zone = models.CharField(_("default time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    # Operational parameters the OCPP gateway and the periodic tasks read on every use, so a
    # change takes effect without a restart.
    heartbeat_interval = models.PositiveIntegerField(
        _("heartbeat interval (s)"),
        default=300,
        validators=[MinValueValidator(10), MaxValueValidator(86400)],
        help_text=_("Piles send a heartbeat this often; two intervals of silence mark a pile offline."),
    )
    abnormal_order_hours = models.PositiveIntegerField(
        _("abnormal order timeout (h)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_("A charging order with no message from its pile for this long is closed as abnormal."),
    )
    auto_work_orders = models.BooleanField(
        _("open work orders on faults"),
        default=False,
        help_text=_("A new fault alarm opens a repair work order for its pile, unless one is already open."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("operator")

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who signs in. Platform admins are superusers with no operator."""

    operator = models.ForeignKey(
        Operator,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # A technician's operations areas: the unclaimed work orders "near" them.
    areas = models.ManyToManyField(
        "stations.Area", verbose_name=_("operations areas"), blank=True, related_name="technicians"
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def role_names(self) -> list[str]:
        if self.is_superuser and self.operator_id is None:
            return [str(_("Platform admin"))]
        return [group.name for group in self.groups.all()]
