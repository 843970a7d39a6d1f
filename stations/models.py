from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone
from chargeops.models import ScopedModel


class Area(ScopedModel):
    """An operations area: the operator's grouping of stations (a city, a region, a team)."""

    operator = models.ForeignKey(
        "accounts.Operator", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="areas"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("operations area")
        verbose_name_plural = _("operations areas")
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "name"],
                name="area_name_unique_per_operator",
                violation_error_message=_("This operator already has an area with this name."),
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("stations:area_detail", args=[self.pk])


class Station(ScopedModel):
    """A charging station: a site with an address and map coordinates that holds piles."""

    operator_path = "area__operator"

    area = models.ForeignKey(Area, verbose_name=_("operations area"), on_delete=models.PROTECT, related_name="stations")
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=255)
    # As drivers read it ("Mon–Fri 07:00–22:00"); empty means the station never closes.
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=100,
        blank=True,
        help_text=_("As drivers should read them, e.g. “Mon–Fri 07:00–22:00”. Leave empty when open 24 hours."),
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    tariff = models.ForeignKey(
        "orders.Tariff",
        verbose_name=_("tariff"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stations",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("creator"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("charging station")
        verbose_name_plural = _("charging stations")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "name"],
                name="station_name_unique_per_area",
                violation_error_message=_("This area already has a station with this name."),
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="station_coordinates_in_range",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("stations:station_detail", args=[self.pk])
