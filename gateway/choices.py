from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CommandAction(models.TextChoices):
    """The OCPP 1.6 messages the platform sends to piles: remote operations from a pile's page,
    and UpdateFirmware from firmware upgrades."""

    REMOTE_START = "RemoteStartTransaction", _("Start charging")
    REMOTE_STOP = "RemoteStopTransaction", _("Stop charging")
    # A pile's reset is a restart, not the filter bar's “Reset” (Chinese has two words for them).
    RESET = "Reset", pgettext_lazy("pile command", "Reset")
    UNLOCK_CONNECTOR = "UnlockConnector", _("Unlock gun")
    CHANGE_AVAILABILITY = "ChangeAvailability", _("Change availability")
    GET_CONFIGURATION = "GetConfiguration", _("Read configuration")
    CHANGE_CONFIGURATION = "ChangeConfiguration", _("Change configuration")
    TRIGGER_MESSAGE = "TriggerMessage", _("Trigger message")
    UPDATE_FIRMWARE = "UpdateFirmware", _("Update firmware")


class CommandStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent, waiting for the pile")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected by the pile")
    FAILED = "failed", _("Failed")
    TIMED_OUT = "timed_out", _("No answer")


# A command in one of these states is finished and is not sent again.
COMMAND_FINISHED = [CommandStatus.ACCEPTED, CommandStatus.REJECTED, CommandStatus.FAILED, CommandStatus.TIMED_OUT]


class SecurityEventKind(models.TextChoices):
    UNKNOWN_PILE = "unknown_pile", _("Unknown charge point id")
    WRONG_KEY = "wrong_key", _("Wrong authorization key")
    NO_CREDENTIALS = "no_credentials", _("No credentials")
    CONNECTION_REPLACED = "connection_replaced", _("Connection replaced by a new one")
    KEY_CHANGED = "key_changed", _("Authorization key set")
    FLOOD = "flood", _("Disconnected for flooding")
    OVERSIZED_FRAME = "oversized_frame", _("Disconnected for an oversized frame")
