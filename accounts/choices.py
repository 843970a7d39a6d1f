from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    """The built-in roles; each is a Django group of the same name."""

    OPERATOR_ADMIN = "Operator admin", _("Operator admin")
    ANALYST = "Operations analyst", _("Operations analyst")
    TECHNICIAN = "Maintenance technician", _("Maintenance technician")


class Currency(models.TextChoices):
    USD = "USD", _("USD ($)")
    CNY = "CNY", _("CNY (¥)")
    EUR = "EUR", _("EUR (€)")


# The word written after an amount: the code in English, the currency's own word in Chinese
# (“1,234.50 元”), as operators there write it.
CURRENCY_UNITS = {
    Currency.USD: pgettext_lazy("written after an amount", "USD"),
    Currency.CNY: pgettext_lazy("written after an amount", "CNY"),
    Currency.EUR: pgettext_lazy("written after an amount", "EUR"),
}


class UserStatus(models.TextChoices):
    """Whether a person may sign in; people are deactivated, never deleted, so that their work
    orders and the audit log keep their names."""

    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Deactivated")
