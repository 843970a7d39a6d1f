import zoneinfo
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chargeops.models import ScopedModel, ScopedQuerySet

from .choices import Currency, UserStatus
from .choices import Role as BuiltinRole


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class Operator(ScopedModel):
    """A company that runs charging stations: the tenant every other row belongs to."""

    operator_path = "pk"

    name = models.CharField(_("name"), max_length=100, unique=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency, default=Currency.USD)
    time_zone = models.CharField(_("default time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    # Operational parameters the OCPP gateway and the periodic tasks read on every use, so a
    # change takes effect without a restart.
    heartbeat_interval = models.PositiveIntegerField(
        _("heartbeat interval (s)"),
        default=300,
        validators=[MinValueValidator(10), MaxValueValidator(86400)],
        help_text=_("Piles send a heartbeat this often. A change is sent to the connected piles at once."),
    )
    offline_timeout = models.PositiveIntegerField(
        _("offline timeout (s)"),
        default=600,
        validators=[MinValueValidator(20), MaxValueValidator(7 * 86400)],
        help_text=_("A pile silent for this long is marked offline. Longer than the heartbeat interval."),
    )
    abnormal_order_hours = models.PositiveIntegerField(
        _("abnormal order timeout (h)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_("A charging order with no message from its pile for this long is closed as abnormal."),
    )
    auto_work_orders = models.BooleanField(
        _("open work orders on faults"),
        default=False,
        help_text=_("A new fault alarm opens a repair work order for its pile, unless one is already open."),
    )
    min_start_balance = models.DecimalField(
        _("minimum balance to start (driver wallet)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("A driver needs at least this much in the wallet to start charging from the driver portal."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("operator")
        verbose_name_plural = _("operators")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:operator_detail", args=[self.pk])

    def clean(self):
        # A timeout within one heartbeat interval would mark healthy piles offline between beats.
        if self.heartbeat_interval and self.offline_timeout and self.offline_timeout <= self.heartbeat_interval:
            raise ValidationError(
                {
                    "offline_timeout": _(
                        "Make the offline timeout longer than the heartbeat interval (%(interval)s s)."
                    )
                    % {"interval": self.heartbeat_interval}
                }
            )


class UserQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # Drivers (the portal's accounts) have no operator: only a platform admin's scope would
        # hold them, and they are not back-office people. Operators see them as drivers.
        people = super().for_user(user)
        return people.filter(driver__isnull=True) if user.is_platform_admin else people


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """Django's user manager, with `for_user()`: an operator's people are theirs alone."""


class User(AbstractUser):
    """A person who signs in. Platform admins are superusers with no operator."""

    operator = models.ForeignKey(
        Operator,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # A technician's operations areas: the unclaimed work orders "near" them.
    areas = models.ManyToManyField(
        "stations.Area", verbose_name=_("operations areas"), blank=True, related_name="technicians"
    )

    operator_path = "operator"
    # What the audit log leaves out: sign-in times change by themselves, and roles are shown by
    # their names instead of their groups.
    audit_exclude = {"last_login", "date_joined", "groups", "user_permissions"}

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.get_full_name() or self.username

    def get_absolute_url(self):
        return reverse("accounts:user_detail", args=[self.pk])

    @property
    def status(self) -> str:
        return UserStatus.ACTIVE if self.is_active else UserStatus.INACTIVE

    def get_status_display(self) -> str:
        return UserStatus(self.status).label

    @property
    def is_platform_admin(self) -> bool:
        return self.is_superuser and self.operator_id is None

    @property
    def is_driver(self) -> bool:
        """A driver portal account (`drivers.Driver`): no operator of its own, not an admin.
        Back-office people always have one or the other, so they cost no query here."""
        if self.is_superuser or self.operator_id is not None:
            return False
        return hasattr(self, "driver")

    @property
    def roles(self) -> list["Role"]:
        """The user's roles (the groups that are roles), read from prefetched groups."""
        return [group.role for group in self.groups.all() if hasattr(group, "role")]

    @property
    def role_names(self) -> list[str]:
        if self.is_platform_admin:
            return [str(_("Platform admin"))]
        return [str(role) for role in self.roles]

    def audit_values(self) -> dict[str, str]:
        return {str(_("Roles")): ", ".join(sorted(str(role) for role in self.roles))}


class RoleQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """The built-in roles, which every operator has, and the user's operator's own roles."""
        if user.is_platform_admin:
            return self.all()
        if user.operator_id is None:
            return self.none()
        return self.filter(Q(operator__isnull=True) | Q(operator=user.operator_id))

    def custom(self):
        return self.filter(operator__isnull=False)


class Role(ScopedModel):
    """A set of permissions given to users: one of the built-in roles (no operator, kept by
    `roles.role_groups_sync`) or one an operator made. Its permissions are those of its Django
    group, so Django's permission checks see them with no code of ours."""

    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="role", editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    audit_exclude = {"group"}

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["operator__name", "name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["operator", "name"], name="role_name_unique_per_operator"),
        ]

    def __str__(self):
        # Built-in role names are translated; an operator's own are shown as they typed them.
        return gettext(self.name) if self.is_builtin else self.name

    def get_absolute_url(self):
        return reverse("accounts:role_detail", args=[self.pk])

    @property
    def is_builtin(self) -> bool:
        return self.operator_id is None

    @property
    def description_shown(self) -> str:
        return gettext(self.description) if self.is_builtin and self.description else self.description

    def clean(self):
        if not self.is_builtin and self.name.strip().casefold() in {role.value.casefold() for role in BuiltinRole}:
            raise ValidationError({"name": _("“%(name)s” is a built-in role.") % {"name": self.name}})

    def audit_values(self) -> dict[str, str]:
        names = self.group.permissions.values_list("name", flat=True) if self.group_id else []
        return {str(_("Permissions")): ", ".join(sorted(names))}
