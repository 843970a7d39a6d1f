from django.db import models
from django.utils.translation import gettext_lazy as _


class UsageState(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", _("Disabled")


class OnlineStatus(models.TextChoices):
    """A pile's connection state, derived from its boot, last message and gun statuses."""

    UNREGISTERED = "unregistered", _("Unregistered")
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")
    FAULT = "fault", _("Fault")


class ChargingMethod(models.TextChoices):
    AC = "AC", _("AC")
    DC = "DC", _("DC")


class ConnectorType(models.TextChoices):
    GBT_AC = "gbt_ac", _("GB/T AC")
    GBT_DC = "gbt_dc", _("GB/T DC")
    TYPE1 = "type1", "Type 1 (J1772)"
    TYPE2 = "type2", "Type 2 (Mennekes)"
    CCS1 = "ccs1", "CCS1"
    CCS2 = "ccs2", "CCS2"
    CHADEMO = "chademo", "CHAdeMO"
    NACS = "nacs", "NACS (SAE J3400)"


class GunStatus(models.TextChoices):
    """OCPP 1.6 ChargePointStatus of a connector."""

    AVAILABLE = "Available", _("Available")
    PREPARING = "Preparing", _("Preparing")
    CHARGING = "Charging", _("Charging")
    SUSPENDED_EVSE = "SuspendedEVSE", _("Suspended by station")
    SUSPENDED_EV = "SuspendedEV", _("Suspended by vehicle")
    FINISHING = "Finishing", _("Finishing")
    RESERVED = "Reserved", _("Reserved")
    UNAVAILABLE = "Unavailable", _("Unavailable")
    FAULTED = "Faulted", _("Faulted")


class IdTagStatus(models.TextChoices):
    """OCPP 1.6 AuthorizationStatus of an id tag."""

    ACCEPTED = "Accepted", _("Accepted")
    BLOCKED = "Blocked", _("Blocked")
    EXPIRED = "Expired", _("Expired")
    INVALID = "Invalid", _("Invalid")
