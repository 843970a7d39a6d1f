from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from chargeops.models import CoveringUniqueConstraint, ScopedModel
from maintenance.choices import FaultCause

FIGURE_FIELDS = ["orders", "energy_kwh", "electricity_fee", "service_fee", "amount", "charging_seconds"]

# The roll-ups are figures derived from the orders, alarms and status history, rebuilt from them
# at will, and deleted with their station or pile by Django's cascade. Their references have no
# foreign key constraint in the database (checking one costs a full rebuild of a million orders
# about two seconds, a trigger call per row) and no index of their own: the unique constraint,
# which leads with the station or pile, serves lookups by it.
ROLLUP_REFERENCE = {"on_delete": models.CASCADE, "db_index": False, "db_constraint": False}


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

    station = models.ForeignKey("stations.Station", related_name="daily", **ROLLUP_REFERENCE)

    class Meta:
        verbose_name = _("station day")
        verbose_name_plural = _("station days")
        constraints = [models.UniqueConstraint(fields=["station", "date"], name="station_daily_unique")]
        # Covering, and led by the date: the figures of a range of days of a network's stations
        # are read from one stretch of the index alone (PostgreSQL).
        indexes = [models.Index(fields=["date", "station"], include=FIGURE_FIELDS, name="station_daily_date_idx")]


class StationMonthly(DailyFigures):
    """One station's figures for one calendar month of its local days: the sum of its daily
    rows, kept with them, so that a year or more of figures reads a row a month instead of a
    row a day. `date` is the month's first day."""

    operator_path = "station__area__operator"

    station = models.ForeignKey("stations.Station", related_name="monthly", **ROLLUP_REFERENCE)

    class Meta:
        verbose_name = _("station month")
        verbose_name_plural = _("station months")
        constraints = [models.UniqueConstraint(fields=["station", "date"], name="station_monthly_unique")]


class PileFigures(DailyFigures):
    """The figures of a pile's days, with its downtime from the status history:
    `offline_seconds` while the pile was offline (all its guns out of use) and `faulted_seconds`
    summed over its guns while they reported Faulted and the pile was online, so that the share
    of gun-time in use is 1 - (offline x guns + faulted) / (guns x time)."""

    operator_path = "pile__station__area__operator"

    offline_seconds = models.BigIntegerField(_("offline seconds"), default=0)
    faulted_seconds = models.BigIntegerField(_("faulted seconds"), default=0)

    # Covered by each (pile, date) unique index: each pile's range of days (or months) is read
    # from the index alone (PostgreSQL). The usage statistics read the range of every pile of the
    # scope; one index (not a second one led by the date, as the station days have) keeps a
    # rebuild of half a million pile-days short.
    COVERED = ["orders", "charging_seconds", "offline_seconds", "faulted_seconds"]

    class Meta:
        abstract = True


def downtime_index(name: str) -> models.Index:
    """The days (or months) a pile was down at all, led by the date: the downtime of each day
    or month of a network's year is read from these few rows, not from a row per pile and day
    (or month) of every pile."""
    return models.Index(
        fields=["date"],
        include=["pile", "offline_seconds", "faulted_seconds"],
        condition=models.Q(offline_seconds__gt=0) | models.Q(faulted_seconds__gt=0),
        name=name,
    )


class PileDaily(PileFigures):
    """One pile's figures and downtime for one local day of its station."""

    pile = models.ForeignKey("piles.Pile", related_name="daily", **ROLLUP_REFERENCE)

    class Meta:
        verbose_name = _("pile day")
        verbose_name_plural = _("pile days")
        constraints = [
            CoveringUniqueConstraint(fields=["pile", "date"], include=PileFigures.COVERED, name="pile_daily_unique")
        ]
        indexes = [downtime_index("pile_daily_down_idx")]


class PileMonthly(PileFigures):
    """One pile's figures for one calendar month of its station's local days: the sum of its
    daily rows, kept with them, so that the usage of a year reads a row a month per pile
    instead of a row a day. `date` is the month's first day."""

    pile = models.ForeignKey("piles.Pile", related_name="monthly", **ROLLUP_REFERENCE)

    class Meta:
        verbose_name = _("pile month")
        verbose_name_plural = _("pile months")
        constraints = [
            CoveringUniqueConstraint(fields=["pile", "date"], include=PileFigures.COVERED, name="pile_monthly_unique")
        ]
        indexes = [downtime_index("pile_monthly_down_idx")]


class StationFaultDaily(ScopedModel):
    """How many faults of one cause a station's piles reported on one local day."""

    operator_path = "station__area__operator"

    station = models.ForeignKey("stations.Station", related_name="fault_daily", **ROLLUP_REFERENCE)
    date = models.DateField(_("date"))
    cause = models.CharField(_("cause"), max_length=24, choices=FaultCause)
    faults = models.PositiveIntegerField(_("faults"), default=0)

    class Meta:
        verbose_name = _("station fault day")
        verbose_name_plural = _("station fault days")
        constraints = [models.UniqueConstraint(fields=["station", "date", "cause"], name="station_fault_daily_unique")]


class RollupMark(models.Model):
    """A station's local day whose roll-ups are out of date: written in the same transaction as
    the change to an order, an alarm or a status that caused it, and deleted by the roll-up run
    that recomputed the day. Marks are only ever inserted (no unique key), so writers never wait
    for a roll-up in progress."""

    station = models.ForeignKey("stations.Station", on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("roll-up mark")
        verbose_name_plural = _("roll-up marks")

    def __str__(self):
        return f"{self.station_id} {self.date}"


class StationRollup(models.Model):
    """The last local day of a station that the roll-ups closed: once a day has ended it is
    recomputed once more, so that an outage or a fault that lasted through it without any new
    status report still counts."""

    station = models.OneToOneField("stations.Station", on_delete=models.CASCADE, primary_key=True, related_name="+")
    closed_through = models.DateField(_("closed through"))

    class Meta:
        verbose_name = _("station roll-up state")
        verbose_name_plural = _("station roll-up states")

    def __str__(self):
        return f"{self.station_id} closed through {self.closed_through}"
