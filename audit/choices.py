from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditAction(models.TextChoices):
    """What a person did to an object. A pile's key has its own action: it is a secret, so the
    entry says only that it was set."""

    # The action, not the “Created” time column (Chinese words them apart).
    CREATE = "create", pgettext_lazy("audit action", "Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    KEY = "key", _("Key set")
