from django.db import models
from django.utils.translation import gettext_lazy as _


class UpgradeStatus(models.TextChoices):
    """Where one pile's firmware upgrade stands: waiting on our side, then what the pile reports
    (OCPP FirmwareStatusNotification), then confirmed by the version it boots with."""

    PENDING = "pending", _("Waiting for the pile to connect")
    WAITING_IDLE = "waiting_idle", _("Waiting until the pile is idle")
    SENT = "sent", _("Sent to the pile")
    DOWNLOADING = "downloading", _("Downloading")
    DOWNLOADED = "downloaded", _("Downloaded")
    INSTALLING = "installing", _("Installing")
    INSTALLED = "installed", _("Installed, waiting for the restart")
    CONFIRMED = "confirmed", _("Confirmed")
    FAILED = "failed", _("Failed")


# Not sent yet: the platform holds these until the pile is connected and no car is plugged in.
UPGRADE_WAITING = [UpgradeStatus.PENDING, UpgradeStatus.WAITING_IDLE]
# The pile has the UpdateFirmware request; what happens next is its to report.
UPGRADE_IN_FLIGHT = [
    UpgradeStatus.SENT,
    UpgradeStatus.DOWNLOADING,
    UpgradeStatus.DOWNLOADED,
    UpgradeStatus.INSTALLING,
    UpgradeStatus.INSTALLED,
]
UPGRADE_UNFINISHED = UPGRADE_WAITING + UPGRADE_IN_FLIGHT
UPGRADE_FINISHED = [UpgradeStatus.CONFIRMED, UpgradeStatus.FAILED]
