from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ErrorCode(models.TextChoices):
    """OCPP 1.6 ChargePointErrorCode."""

    CONNECTOR_LOCK_FAILURE = "ConnectorLockFailure", "ConnectorLockFailure"
    EV_COMMUNICATION_ERROR = "EVCommunicationError", "EVCommunicationError"
    GROUND_FAILURE = "GroundFailure", "GroundFailure"
    HIGH_TEMPERATURE = "HighTemperature", "HighTemperature"
    INTERNAL_ERROR = "InternalError", "InternalError"
    LOCAL_LIST_CONFLICT = "LocalListConflict", "LocalListConflict"
    NO_ERROR = "NoError", "NoError"
    OTHER_ERROR = "OtherError", "OtherError"
    OVER_CURRENT_FAILURE = "OverCurrentFailure", "OverCurrentFailure"
    OVER_VOLTAGE = "OverVoltage", "OverVoltage"
    POWER_METER_FAILURE = "PowerMeterFailure", "PowerMeterFailure"
    POWER_SWITCH_FAILURE = "PowerSwitchFailure", "PowerSwitchFailure"
    READER_FAILURE = "ReaderFailure", "ReaderFailure"
    RESET_FAILURE = "ResetFailure", "ResetFailure"
    UNDER_VOLTAGE = "UnderVoltage", "UnderVoltage"
    WEAK_SIGNAL = "WeakSignal", "WeakSignal"


class FaultCause(models.TextChoices):
    """The cause categories operators analyse faults by."""

    CONNECTOR = "connector", _("Connector or lock")
    VEHICLE_COMMUNICATION = "vehicle_communication", _("Vehicle communication")
    GROUND_FAULT = "ground_fault", _("Ground fault / leakage")
    OVER_TEMPERATURE = "over_temperature", _("Over temperature")
    POWER_MODULE = "power_module", _("Power module / internal")
    GRID_VOLTAGE = "grid_voltage", _("Grid voltage")
    OVER_CURRENT = "over_current", _("Over current")
    METER = "meter", _("Power meter")
    CARD_READER = "card_reader", _("Card reader")
    NETWORK = "network", _("Network / signal")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    WARNING = "warning", _("Warning")


class AlarmStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")


class WorkOrderStatus(models.TextChoices):
    UNACCEPTED = "unaccepted", _("Not accepted")
    # A claimed work order, not an accepted command or id tag (Chinese words them apart).
    ACCEPTED = "accepted", pgettext_lazy("work order status", "Accepted")
    COMPLETED = "completed", _("Completed")
    CONFIRMED = "confirmed", _("Confirmed")


# The cause and severity an OCPP error code is filed under.
ERROR_CODE_CAUSES = {
    ErrorCode.CONNECTOR_LOCK_FAILURE: (FaultCause.CONNECTOR, Severity.MAJOR),
    ErrorCode.EV_COMMUNICATION_ERROR: (FaultCause.VEHICLE_COMMUNICATION, Severity.MINOR),
    ErrorCode.GROUND_FAILURE: (FaultCause.GROUND_FAULT, Severity.CRITICAL),
    ErrorCode.HIGH_TEMPERATURE: (FaultCause.OVER_TEMPERATURE, Severity.MAJOR),
    ErrorCode.INTERNAL_ERROR: (FaultCause.POWER_MODULE, Severity.CRITICAL),
    ErrorCode.LOCAL_LIST_CONFLICT: (FaultCause.OTHER, Severity.WARNING),
    ErrorCode.OTHER_ERROR: (FaultCause.OTHER, Severity.MINOR),
    ErrorCode.OVER_CURRENT_FAILURE: (FaultCause.OVER_CURRENT, Severity.CRITICAL),
    ErrorCode.OVER_VOLTAGE: (FaultCause.GRID_VOLTAGE, Severity.MAJOR),
    ErrorCode.POWER_METER_FAILURE: (FaultCause.METER, Severity.MAJOR),
    ErrorCode.POWER_SWITCH_FAILURE: (FaultCause.POWER_MODULE, Severity.CRITICAL),
    ErrorCode.READER_FAILURE: (FaultCause.CARD_READER, Severity.MINOR),
    ErrorCode.RESET_FAILURE: (FaultCause.OTHER, Severity.MINOR),
    ErrorCode.UNDER_VOLTAGE: (FaultCause.GRID_VOLTAGE, Severity.MAJOR),
    ErrorCode.WEAK_SIGNAL: (FaultCause.NETWORK, Severity.WARNING),
}
