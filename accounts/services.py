"""Writes of people, roles and operators, and sign-in throttling.

Sign-in throttling: failed sign-ins are counted per account and per address in the cache
(Redis when configured, so that every web worker shares the counts); past the limit, further
attempts are refused without checking the password until the window has passed."""

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_changes, audit_created, audit_deleted
from chargeops.models import fields_set

from .choices import Role as BuiltinRole
from .models import Operator, Role, User
from .roles import GRANTABLE, ROLE_PERMISSIONS

USER_FIELDS = ["username", "first_name", "last_name", "email"]

# Failed sign-ins allowed in the window, per account and per address (an office behind one
# address has many people).
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 30


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    return [
        (f"login-failures:account:{username.lower()}", ACCOUNT_FAILURES),
        (f"login-failures:address:{address}", ADDRESS_FAILURES),
    ]


def login_throttled(*, username: str, address: str) -> bool:
    """Whether sign-ins for this account, or from this address, are paused."""
    return any(cache.get(key, 0) >= limit for key, limit in _keys(username, address))


def login_failure_record(*, username: str, address: str) -> None:
    for key, _limit in _keys(username, address):
        if not cache.add(key, 1, settings.LOGIN_THROTTLE_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, settings.LOGIN_THROTTLE_SECONDS)


def login_failures_clear(*, username: str) -> None:
    """A successful sign-in forgives the account's failures (not the address's)."""
    cache.delete(_keys(username, "")[0][0])


# People, roles and operators. Who may call these is checked by the views' permissions; what
# follows is what no one may do, whatever their role: give more than they hold, reach into
# another operator, or leave an operator without an admin.


def _permission_names(permissions) -> set[str]:
    return {f"{permission.content_type.app_label}.{permission.codename}" for permission in permissions}


def grantable_by(user: User | None) -> set[str]:
    """The permissions `user` may give: an operator admin (or whoever holds all they hold) any
    that operators may hold, anyone else only those they hold themselves."""
    grantable = set(GRANTABLE)
    if user is None or user.is_platform_admin:
        return grantable
    held = user.get_all_permissions()
    if set(ROLE_PERMISSIONS[BuiltinRole.OPERATOR_ADMIN]) <= held:
        return grantable
    return grantable & held


def _grant_check(*, user: User | None, names: set[str], field: str, what: str) -> None:
    if names - grantable_by(user):
        raise ValidationError(
            {field: _("You cannot give %(what)s: it holds permissions you do not have.") % {"what": what}}
        )


def _role_permission_names(role: Role) -> set[str]:
    return _permission_names(role.group.permissions.select_related("content_type"))


def _roles_check(*, user: User | None, roles, operator_id: int) -> None:
    for role in roles:
        if role.operator_id not in (None, operator_id):
            raise ValidationError({"roles": _("Role “%(role)s” belongs to another operator.") % {"role": role}})
        _grant_check(
            user=user,
            names=_role_permission_names(role),
            field="roles",
            what=_("the role “%(role)s”") % {"role": role},
        )


def _areas_check(areas, operator_id: int) -> None:
    for area in areas:
        if area.operator_id != operator_id:
            raise ValidationError({"areas": _("Area “%(area)s” belongs to another operator.") % {"area": area}})


def _username_check(account: User) -> None:
    taken = User.objects.filter(username__iexact=account.username).exclude(pk=account.pk)
    if taken.exists():
        raise ValidationError({"username": _("The username “%(name)s” is taken.") % {"name": account.username}})


def _admin_kept(operator_id: int | None) -> None:
    """An operator keeps at least one active operator admin: without one, no one could manage
    its people any more."""
    if operator_id is None:
        return
    admins = User.objects.filter(
        operator=operator_id,
        is_active=True,
        groups__role__operator__isnull=True,
        groups__role__name=BuiltinRole.OPERATOR_ADMIN.value,
    )
    if not admins.exists():
        raise ValidationError(_("The operator would have no active operator admin left. Make someone else one first."))


def _password_check(password: str, account: User) -> None:
    try:
        password_validation.validate_password(password, account)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from None


@transaction.atomic
def user_create(
    *, user: User | None, operator: Operator | None = None, password: str, roles=(), areas=(), **data
) -> User:
    operator = operator or getattr(user, "operator", None)
    if operator is None:
        raise ValidationError({"operator": _("Choose the operator the user belongs to.")})
    account = User(operator=operator)
    fields_set(account, USER_FIELDS, data)
    _username_check(account)
    _password_check(password, account)
    account.set_password(password)
    _roles_check(user=user, roles=roles, operator_id=operator.pk)
    _areas_check(areas, operator.pk)
    account.full_clean()
    account.save()
    account.groups.set([role.group for role in roles])
    account.areas.set(areas)
    audit_created(user=user, obj=account)
    return account


@transaction.atomic
def user_update(*, user: User | None, account: User, roles=None, areas=None, **data) -> User:
    with audit_changes(user=user, obj=account):
        fields_set(account, USER_FIELDS, data)
        _username_check(account)
        account.full_clean(exclude=["password"])
        account.save(update_fields=USER_FIELDS)
        if roles is not None:
            before = {group.pk for group in account.groups.all()}
            after = {role.group_id for role in roles}
            if after != before:
                if account == user:
                    raise ValidationError({"roles": _("You cannot change your own roles.")})
                _roles_check(user=user, roles=roles, operator_id=account.operator_id)
                account.groups.set([role.group for role in roles])
        if areas is not None:
            _areas_check(areas, account.operator_id)
            account.areas.set(areas)
        _admin_kept(account.operator_id)
    return account


@transaction.atomic
def user_set_active(*, user: User | None, account: User, active: bool) -> User:
    if account == user and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    with audit_changes(user=user, obj=account):
        account.is_active = active
        account.save(update_fields=["is_active"])
        _admin_kept(account.operator_id)
    return account


@transaction.atomic
def user_password_set(*, user: User | None, account: User, password: str) -> User:
    """Set another person's password (they forgot theirs). Their open sessions end."""
    _password_check(password, account)
    with audit_changes(user=user, obj=account):
        account.set_password(password)
        account.save(update_fields=["password"])
    return account


ROLE_FIELDS = ("name", "description")


def _role_group_name(role: Role) -> str:
    # Group names are unique across operators; two operators may both have a "Shift lead".
    return f"{role.operator_id}:{role.name}"


def _role_permissions_set(*, user: User | None, role: Role, permissions) -> None:
    permissions = list(permissions)
    _grant_check(user=user, names=_permission_names(permissions), field="permissions", what=_("these permissions"))
    if not permissions:
        raise ValidationError({"permissions": _("A role needs at least one permission.")})
    role.group.permissions.set(permissions)


def _role_name_check(role: Role) -> None:
    taken = Role.objects.filter(operator=role.operator_id, name__iexact=role.name).exclude(pk=role.pk)
    if taken.exists():
        raise ValidationError({"name": _("There is already a role named “%(name)s”.") % {"name": role.name}})


def _custom_role(role: Role) -> None:
    if role.is_builtin:
        raise ValidationError(_("Built-in roles cannot be changed; make a role of your own instead."))


@transaction.atomic
def role_create(
    *, user: User | None, operator: Operator | None = None, name: str, description: str = "", permissions
) -> Role:
    operator = operator or getattr(user, "operator", None)
    if operator is None:
        raise ValidationError({"operator": _("Choose the operator the role belongs to.")})
    role = Role(operator=operator, name=name, description=description)
    _role_name_check(role)
    role.full_clean(exclude=["group"])
    role.group = Group.objects.create(name=_role_group_name(role))
    role.save()
    _role_permissions_set(user=user, role=role, permissions=permissions)
    audit_created(user=user, obj=role)
    return role


@transaction.atomic
def role_update(*, user: User | None, role: Role, permissions=None, **data) -> Role:
    _custom_role(role)
    with audit_changes(user=user, obj=role):
        fields_set(role, ROLE_FIELDS, data)
        _role_name_check(role)
        role.full_clean()
        role.save()
        Group.objects.filter(pk=role.group_id).update(name=_role_group_name(role))
        if permissions is not None:
            _role_permissions_set(user=user, role=role, permissions=permissions)
        _admin_kept(role.operator_id)
    return role


@transaction.atomic
def role_delete(*, user: User | None, role: Role) -> None:
    _custom_role(role)
    holders = role.group.user_set.count()
    if holders:
        raise ValidationError(
            _("Role “%(role)s” is held by %(count)d user(s); give them another role first.")
            % {"role": role, "count": holders}
        )
    audit_deleted(user=user, obj=role)
    group = role.group
    role.delete()
    group.delete()


OPERATOR_FIELDS = (
    "name",
    "currency",
    "time_zone",
    "heartbeat_interval",
    "offline_timeout",
    "abnormal_order_hours",
    "auto_work_orders",
    "min_start_balance",
)


@transaction.atomic
def operator_create(*, user: User | None, **data) -> Operator:
    operator = Operator()
    fields_set(operator, OPERATOR_FIELDS, data)
    operator.full_clean()
    operator.save()
    audit_created(user=user, obj=operator)
    return operator


@transaction.atomic
def operator_update(*, user: User | None, operator: Operator, **data) -> Operator:
    """Change an operator's settings. They take effect without a restart: the gateway and the
    periodic tasks read them on every use, and a new heartbeat interval is sent to the
    operator's connected piles (the others are told when they next boot)."""
    from gateway.services import heartbeat_interval_send

    interval = Operator.objects.values_list("heartbeat_interval", flat=True).get(pk=operator.pk)
    with audit_changes(user=user, obj=operator):
        fields_set(operator, OPERATOR_FIELDS, data)
        operator.full_clean()
        operator.save()
    if operator.heartbeat_interval != interval:
        heartbeat_interval_send(user=user, operator=operator)
    return operator
