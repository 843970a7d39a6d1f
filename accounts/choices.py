from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The built-in roles; each is a Django group of the same name."""

    OPERATOR_ADMIN = "Operator admin", _("Operator admin")
    ANALYST = "Operations analyst", _("Operations analyst")
    TECHNICIAN = "Maintenance technician", _("Maintenance technician")


class Currency(models.TextChoices):
    USD = "USD", "USD ($)"
    CNY = "CNY", "CNY (¥)"
    EUR = "EUR", "EUR (€)"


class UserStatus(models.TextChoices):
    """Whether a person may sign in; people are deactivated, never deleted, so that their work
    orders and the audit log keep their names."""

    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Deactivated")
