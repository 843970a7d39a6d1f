"""What each built-in role may do, as Django model permissions.

The roles are Django groups, each with its `accounts.Role` row; `role_groups_sync()` creates or
updates them and is called from a migration, so every database has them. Platform admins are
superusers and need no group. An operator's own roles are made from the operator admin's
permissions (`GRANTABLE`), never more.
"""

from django.utils.translation import gettext_noop

from .choices import Role

# The network and its orders, then its upkeep; drivers (below) come between them, as in the
# menu: the permission grid of custom roles lists models in this file's order.
NETWORK_MODELS = [
    "stations.area",
    "stations.station",
    "piles.pile",
    "piles.gun",
    "piles.idtag",
    "piles.statuschange",
    "orders.tariff",
    "orders.tariffperiod",
    "orders.chargingorder",
    "orders.powersample",
]
UPKEEP_MODELS = [
    "maintenance.alarm",
    "maintenance.workorder",
    "maintenance.workorderevent",
    "analytics.stationdaily",
    "analytics.piledaily",
    "analytics.stationfaultdaily",
]
# Drivers sign themselves up in the portal and their wallets move only through the services, so
# the back office reads them; a refund is money out, for operator admins only.
DRIVERS = ["drivers.driver", "drivers.ledgerentry"]
# Remote operations on piles: sent by admins and technicians, read by everyone who sees piles.
COMMANDS = ["gateway.command"]
SECURITY_EVENTS = ["gateway.securityevent"]
# Firmware is uploaded and rolled out by operator admins only: a bad image can take piles out of
# service. Analysts and technicians read packages and follow upgrades (a technician at a pile
# needs to know what it is being sent); cancelling an upgrade is changing it.
FIRMWARE = ["firmware.firmwarepackage", "firmware.firmwareupgrade"]


def _perms(models, actions):
    return [f"{model.split('.')[0]}.{action}_{model.split('.')[1]}" for model in models for action in actions]


ROLE_PERMISSIONS = {
    Role.OPERATOR_ADMIN: _perms(NETWORK_MODELS, ["view", "add", "change", "delete"])
    + _perms(DRIVERS, ["view"])
    + _perms(["drivers.driver"], ["refund"])
    + _perms(UPKEEP_MODELS, ["view", "add", "change", "delete"])
    + _perms(["accounts.user", "accounts.role"], ["view", "add", "change"])
    + _perms(["accounts.role"], ["delete"])
    + _perms(["accounts.operator"], ["view", "change"])
    + _perms(COMMANDS, ["view", "add"])
    + _perms(SECURITY_EVENTS, ["view"])
    + _perms(["maintenance.workorder"], ["confirm"])
    + _perms(["audit.auditentry"], ["view"])
    + _perms(["firmware.firmwarepackage"], ["view", "add", "delete"])
    + _perms(["firmware.firmwareupgrade"], ["view", "add", "change"]),
    Role.ANALYST: _perms(
        NETWORK_MODELS + DRIVERS + UPKEEP_MODELS + COMMANDS + FIRMWARE + ["accounts.user", "accounts.role"], ["view"]
    ),
    Role.TECHNICIAN: _perms(
        [
            "stations.area",
            "stations.station",
            "piles.pile",
            "piles.gun",
            "piles.statuschange",
            "orders.chargingorder",
            "maintenance.alarm",
            "maintenance.workorder",
            "maintenance.workorderevent",
        ],
        ["view"],
    )
    + _perms(["maintenance.alarm", "maintenance.workorder"], ["change"])
    + _perms(["maintenance.workorder"], ["add", "claim"])
    + _perms(COMMANDS, ["view", "add"])
    + _perms(FIRMWARE, ["view"]),
}


# Stored in English with the role (migrations write them); shown translated (Role.description_shown).
ROLE_DESCRIPTIONS = {
    Role.OPERATOR_ADMIN: gettext_noop("Everything within the operator: the network, people, roles and settings."),
    Role.ANALYST: gettext_noop("Reads everything within the operator and changes nothing."),
    Role.TECHNICIAN: gettext_noop(
        "Handles alarms and claims, repairs and completes work orders; reads stations and piles."
    ),
}

# What a role of an operator's own may hold: what the built-in roles hold, nothing of the
# platform; in the order above, which the permission grid follows.
GRANTABLE = list(dict.fromkeys(name for names in ROLE_PERMISSIONS.values() for name in names))


def permissions_named(names):
    """The Permission rows of `app_label.codename` names."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition).select_related("content_type")


def role_groups_sync(apps) -> None:
    """Create the role groups and give each exactly its permissions."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrating; a migration needs them now. Migration
    # states have no models module, which create_permissions requires, so lend one briefly.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    roles_exist = _model_exists(apps, "accounts", "role")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        if roles_exist:
            apps.get_model("accounts", "Role").objects.update_or_create(
                group=group,
                defaults={"operator": None, "name": role.value, "description": ROLE_DESCRIPTIONS[role]},
            )
        perms = []
        for name in names:
            app_label, codename = name.split(".")
            # An early migration runs before later apps' models exist; a later one syncs again.
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is None and _model_exists(apps, app_label, codename.split("_", 1)[1]):
                raise LookupError(f"Permission {name} is missing.")
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)


def _model_exists(apps, app_label: str, model_name: str) -> bool:
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return True
