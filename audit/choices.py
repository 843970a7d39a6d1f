from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """What a person did to an object. A pile's key has its own action: it is a secret, so the
    entry says only that it was set."""

    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    KEY = "key", _("Key set")
