from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    """Where an import is: waiting and running phases, then one of the ends."""

    PENDING = "pending", _("Waiting to be checked")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Ready to import")
    PROBLEMS = "problems", _("Has problems")
    REFUSED = "refused", _("File refused")
    QUEUED = "queued", _("Waiting to be imported")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Not imported")
    EXPIRED = "expired", _("Expired")

    @classmethod
    def running(cls) -> list[str]:
        return [cls.PENDING, cls.CHECKING, cls.QUEUED, cls.IMPORTING]


class ExportStatus(models.TextChoices):
    """Where an export written in the background is."""

    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")

    @classmethod
    def running(cls) -> list[str]:
        return [cls.QUEUED, cls.RUNNING]
