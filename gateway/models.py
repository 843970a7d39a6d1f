from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chargeops.models import ScopedModel

from .choices import CommandAction, CommandStatus, SecurityEventKind


class Command(ScopedModel):
    """An OCPP call to a pile waiting in the outbox: the web UI writes it, the gateway holding
    the pile's connection sends it and writes the pile's answer (or the failure) back."""

    operator_path = "pile__station__area__operator"

    pile = models.ForeignKey("piles.Pile", verbose_name=_("pile"), on_delete=models.CASCADE, related_name="commands")
    action = models.CharField(_("command"), max_length=32, choices=CommandAction)
    payload = models.JSONField(_("request"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=CommandStatus, default=CommandStatus.PENDING)
    response = models.JSONField(_("answer"), null=True, blank=True)
    error = models.CharField(_("reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("pile command")
        verbose_name_plural = _("pile commands")
        indexes = [
            models.Index(fields=["pile", "created_at"], name="command_pile_time_idx"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="command_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} → {self.pile}"

    def get_absolute_url(self):
        return reverse("piles:pile_detail", args=[self.pile_id])


class SecurityEvent(ScopedModel):
    """A refused connection, a replaced connection or a key change, for the operator to review.
    Attempts with an unknown charge point id belong to no operator: platform admins see them."""

    operator = models.ForeignKey(
        "accounts.Operator",
        verbose_name=_("operator"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="security_events",
    )
    pile = models.ForeignKey(
        "piles.Pile",
        verbose_name=_("pile"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
    )
    charge_point_id = models.CharField(_("charge point id"), max_length=100)
    kind = models.CharField(_("event"), max_length=24, choices=SecurityEventKind)
    remote_address = models.CharField(_("address"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("pile security event")
        verbose_name_plural = _("pile security events")
        indexes = [models.Index(fields=["operator", "at"], name="security_event_time_idx")]

    def __str__(self):
        return f"{self.charge_point_id} {self.get_kind_display()}"
