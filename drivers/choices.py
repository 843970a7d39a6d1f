from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LedgerKind(models.TextChoices):
    """Why a driver's wallet balance changed: money in from a payment, money out for a
    charging order, money back from the operator."""

    TOP_UP = "top_up", _("Top-up")
    CHARGE = "charge", pgettext_lazy("wallet entry", "Charging")
    REFUND = "refund", _("Refund")
    # The payment provider gave a top-up's money back to the driver (a refund or a chargeback).
    TOP_UP_RETURNED = "returned", _("Top-up returned")


class StartState(models.TextChoices):
    """Where a driver's start of charging stands, derived from the pile's answer to the
    RemoteStartTransaction and the order it opened (`ChargeRequest.state`)."""

    WAITING = "waiting", _("Waiting for the pile")
    PLUG_IN = "plug_in", _("Plug in the cable")
    CHARGING = "charging", _("Charging")
    FINISHED = "finished", _("Finished")
    REFUSED = "refused", _("The pile refused to start")
    NO_ANSWER = "no_answer", _("The pile did not answer")
    NOT_STARTED = "not_started", _("No session started")


class GunAvailability(models.TextChoices):
    """What a driver looking for a gun needs to know of it: free, taken, or not usable."""

    AVAILABLE = "available", _("Available")
    IN_USE = "in_use", _("In use")
    OFFLINE = "offline", _("Offline")
    FAULTED = "faulted", _("Faulted")
