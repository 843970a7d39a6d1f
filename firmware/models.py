import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chargeops.models import ScopedModel

from .choices import UPGRADE_UNFINISHED, UpgradeStatus


def package_file_path(package: "FirmwarePackage", filename: str) -> str:
    # A random folder per upload: two packages with the same file name never overwrite each other.
    return f"firmware/{package.operator_id}/{secrets.token_hex(8)}/{filename}"


class FirmwarePackage(ScopedModel):
    """A firmware image for one pile model (manufacturer and model, as on the piles' pages),
    uploaded by an operator admin; its SHA-256 and size are computed from the file on upload."""

    operator = models.ForeignKey(
        "accounts.Operator", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="firmware_packages"
    )
    file = models.FileField(_("file"), upload_to=package_file_path, max_length=255)
    file_name = models.CharField(_("file name"), max_length=200, editable=False)
    # OCPP's BootNotification.firmwareVersion is a CiString50: the version is compared with it.
    version = models.CharField(_("version"), max_length=50)
    manufacturer = models.CharField(_("manufacturer"), max_length=100)
    model = models.CharField(_("model"), max_length=100)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    checksum = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["manufacturer", "model", "-created_at"]
        verbose_name = _("firmware package")
        verbose_name_plural = _("firmware packages")
        constraints = [
            # Piles' models are matched regardless of case, so their versions are kept apart the same way.
            models.UniqueConstraint(
                "operator",
                Lower("manufacturer"),
                Lower("model"),
                "version",
                name="firmware_package_version_unique",
                violation_error_message=_("This version of this model's firmware is already uploaded."),
            ),
        ]

    def __str__(self):
        return f"{self.manufacturer} {self.model} {self.version}"

    def get_absolute_url(self):
        return reverse("firmware:firmwarepackage_detail", args=[self.pk])

    def fits(self, pile) -> bool:
        """Whether this firmware is for the pile's model."""
        return (pile.manufacturer.casefold(), pile.model.casefold()) == (
            self.manufacturer.casefold(),
            self.model.casefold(),
        )


class FirmwareUpgrade(ScopedModel):
    """Sending a firmware package to chosen piles, each followed by an `UpgradeTarget`."""

    operator_path = "package__operator"

    package = models.ForeignKey(
        FirmwarePackage, verbose_name=_("firmware package"), on_delete=models.PROTECT, related_name="upgrades"
    )
    # OCPP UpdateFirmware's options: when to download, and how often to retry a failed download.
    retrieve_at = models.DateTimeField(_("download from"), null=True, blank=True)
    retries = models.PositiveSmallIntegerField(
        _("download retries"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("firmware upgrade")
        verbose_name_plural = _("firmware upgrades")

    def __str__(self):
        return f"{self.package} (#{self.pk})"

    def get_absolute_url(self):
        return reverse("firmware:firmwareupgrade_detail", args=[self.pk])

    def audit_values(self) -> dict[str, str]:
        targets = self.targets.select_related("pile").order_by("pile__name")
        return {str(_("Piles")): ", ".join(target.pile.name for target in targets)}


class UpgradeTarget(ScopedModel):
    """One pile of an upgrade and where its upgrade stands, with why (a refusal, a failure or
    what it waits for)."""

    operator_path = "upgrade__package__operator"

    upgrade = models.ForeignKey(
        FirmwareUpgrade, verbose_name=_("firmware upgrade"), on_delete=models.CASCADE, related_name="targets"
    )
    pile = models.ForeignKey(
        "piles.Pile", verbose_name=_("pile"), on_delete=models.CASCADE, related_name="firmware_targets"
    )
    status = models.CharField(_("status"), max_length=16, choices=UpgradeStatus, default=UpgradeStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    previous_version = models.CharField(_("previous firmware"), max_length=50, blank=True)
    command = models.ForeignKey(
        "gateway.Command", verbose_name=_("command"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        ordering = ["upgrade", "pile__name"]
        verbose_name = _("upgrade target")
        verbose_name_plural = _("upgrade targets")
        constraints = [
            models.UniqueConstraint(fields=["upgrade", "pile"], name="upgrade_target_pile_once"),
            # A pile takes one firmware at a time: two UpdateFirmware requests would race.
            models.UniqueConstraint(
                fields=["pile"],
                condition=Q(status__in=UPGRADE_UNFINISHED),
                name="upgrade_target_one_unfinished_per_pile",
                violation_error_message=_("This pile is already being upgraded."),
            ),
        ]
        indexes = [models.Index(fields=["status", "status_changed_at"], name="upgrade_target_status_idx")]

    def __str__(self):
        return f"{self.pile} → {self.upgrade.package}"

    def get_absolute_url(self):
        return self.upgrade.get_absolute_url()
