from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chargeops.models import ScopedModel

from .choices import AlarmStatus, ErrorCode, FaultCause, Severity, WorkOrderStatus


class Alarm(ScopedModel):
    """A fault a pile reported. Repeats of an open alarm raise its count instead of adding rows."""

    operator_path = "pile__station__area__operator"

    pile = models.ForeignKey("piles.Pile", verbose_name=_("pile"), on_delete=models.CASCADE, related_name="alarms")
    gun = models.ForeignKey(
        "piles.Gun", verbose_name=_("gun"), on_delete=models.CASCADE, null=True, blank=True, related_name="alarms"
    )
    error_code = models.CharField(_("error code"), max_length=30, choices=ErrorCode)
    cause = models.CharField(_("cause"), max_length=24, choices=FaultCause)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity)
    vendor_error_code = models.CharField(_("vendor error code"), max_length=50, blank=True)
    info = models.CharField(_("message"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=AlarmStatus, default=AlarmStatus.OPEN)
    occurred_at = models.DateTimeField(_("occurred"))
    last_occurred_at = models.DateTimeField(_("last occurred"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    repeat_count = models.PositiveIntegerField(_("repeats"), default=1)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        indexes = [models.Index(fields=["pile", "occurred_at"], name="alarm_pile_time_idx")]
        constraints = [
            # One open (not cleared) alarm per gun and error code: repeats are counted on it.
            # Pile-level alarms (no gun) are kept single by the service that raises them.
            models.UniqueConstraint(
                fields=["pile", "gun", "error_code"],
                condition=~Q(status=AlarmStatus.CLEARED),
                name="alarm_one_open_per_gun_and_code",
            )
        ]

    def __str__(self):
        return f"{self.pile} {self.error_code}"

    def get_absolute_url(self):
        return reverse("maintenance:alarm_detail", args=[self.pk])

    @property
    def problem_description(self) -> str:
        """The problem of a work order opened for this alarm."""
        return _("%(cause)s: the pile reported %(code)s. %(info)s") % {
            "cause": self.get_cause_display(),
            "code": self.error_code,
            "info": self.info,
        }


class WorkOrder(ScopedModel):
    """A fault repair work order: reported, claimed by a technician, repaired, confirmed."""

    operator_path = "pile__station__area__operator"

    number = models.CharField(_("work order number"), max_length=32, unique=True)
    pile = models.ForeignKey(
        "piles.Pile", verbose_name=_("faulty pile"), on_delete=models.PROTECT, related_name="work_orders"
    )
    problem_description = models.TextField(_("problem description"))
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("repair applicant"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("repair time"))
    status = models.CharField(_("status"), max_length=12, choices=WorkOrderStatus, default=WorkOrderStatus.UNACCEPTED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("maintenance person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_work_orders",
    )
    status_changed_at = models.DateTimeField(_("status change time"), null=True, blank=True)
    source_alarm = models.ForeignKey(
        Alarm,
        verbose_name=_("source alarm"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_orders",
    )
    resolution = models.TextField(_("repair notes"), blank=True)

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [models.Index(fields=["status", "reported_at"], name="workorder_status_time_idx")]
        permissions = [
            ("claim_workorder", _("Can claim and complete work orders")),
            ("confirm_workorder", _("Can assign, confirm and send back work orders")),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("maintenance:workorder_detail", args=[self.pk])


class WorkOrderEvent(ScopedModel):
    """One step of a work order's repair process: who moved it from which status to which."""

    operator_path = "work_order__pile__station__area__operator"

    work_order = models.ForeignKey(
        WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(_("from"), max_length=12, choices=WorkOrderStatus, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=WorkOrderStatus)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["work_order", "at", "pk"]
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")

    def __str__(self):
        return f"{self.work_order}: {self.from_status or '—'} → {self.to_status}"
