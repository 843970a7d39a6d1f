from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chargeops.models import ScopedModel

from .choices import AuditAction


class AuditEntry(ScopedModel):
    """One change people made: who (kept by name once the user is gone), when, what was done to
    which object, and the fields it changed as `{label: [old, new]}` texts. An old or new value
    is None where the object did not exist before or after (created, deleted) and for secrets,
    whose value is never written down. Entries are only ever added, by `audit.services`; the
    operator is empty for changes outside any operator (the platform's own)."""

    operator = models.ForeignKey(
        "accounts.Operator",
        verbose_name=_("operator"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Empty for changes made from the command line or by the system.
    username = models.CharField(_("username"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction)
    # PROTECT: clearing out a retired model's content type must not delete its history quietly.
    content_type = models.ForeignKey(ContentType, verbose_name=_("object type"), on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["operator", "-at"], name="audit_entry_time_idx"),
            # One object's history (the History link of a station or pile).
            models.Index(fields=["content_type", "object_id"], name="audit_entry_object_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    @property
    def change_lines(self) -> list[str]:
        """Each change as “Label: old → new” (just the value for a created or deleted object,
        “changed” for a secret), by label: PostgreSQL's JSON keeps no order of its own."""
        lines = []
        for label, (old, new) in sorted(self.changes.items()):
            if old is None or new is None:
                lines.append(f"{label}: {new if old is None else old}")
            else:
                lines.append(f"{label}: {old or '—'} → {new or '—'}")
        return lines
