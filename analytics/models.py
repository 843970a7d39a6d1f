from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from chargeops.models import ScopedModel
from maintenance.choices import FaultCause


class DailyFigures(ScopedModel):
    """The figures rolled up per local day; monthly and yearly figures are sums of these rows."""

    date = models.DateField(_("date"))
    orders = models.PositiveIntegerField(_("orders"), default=0)
    energy_kwh = models.DecimalField(_("energy (kWh)"), max_digits=14, decimal_places=3, default=Decimal("0"))
    electricity_fee = models.DecimalField(_("electricity fee"), max_digits=14, decimal_places=2, default=Decimal("0"))
    service_fee = models.DecimalField(_("service fee"), max_digits=14, decimal_places=2, default=Decimal("0"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"))
    charging_seconds = models.BigIntegerField(_("charging seconds"), default=0)

    class Meta:
        abstract = True


class StationDaily(DailyFigures):
    """One station's figures for one of its local days."""

    operator_path = "station__area__operator"

    station = models.ForeignKey("stations.Station", on_delete=models.CASCADE, related_name="daily")

    class Meta:
        verbose_name = _("station day")
        constraints = [models.UniqueConstraint(fields=["station", "date"], name="station_daily_unique")]


class PileDaily(DailyFigures):
    """One pile's figures for one local day of its station."""

    operator_path = "pile__station__area__operator"

    pile = models.ForeignKey("piles.Pile", on_delete=models.CASCADE, related_name="daily")
    offline_seconds = models.BigIntegerField(_("offline seconds"), default=0)
    faulted_seconds = models.BigIntegerField(_("faulted seconds"), default=0)

    class Meta:
        verbose_name = _("pile day")
        constraints = [models.UniqueConstraint(fields=["pile", "date"], name="pile_daily_unique")]


class StationFaultDaily(ScopedModel):
    """How many faults of one cause a station's piles reported on one local day."""

    operator_path = "station__area__operator"

    station = models.ForeignKey("stations.Station", on_delete=models.CASCADE, related_name="fault_daily")
    date = models.DateField(_("date"))
    cause = models.CharField(_("cause"), max_length=24, choices=FaultCause)
    faults = models.PositiveIntegerField(_("faults"), default=0)

    class Meta:
        verbose_name = _("station fault day")
        constraints = [models.UniqueConstraint(fields=["station", "date", "cause"], name="station_fault_daily_unique")]
