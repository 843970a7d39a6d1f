from django.db import models
from django.utils.translation import gettext_lazy as _


class Granularity(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class Figure(models.TextChoices):
    """The order figures a statistic can show."""

    ORDERS = "orders", _("Charging orders")
    ENERGY = "energy_kwh", _("Charging energy (kWh)")
    AMOUNT = "amount", _("Charging amount")
