"""What each built-in role may do, as Django model permissions.

The roles are Django groups; `role_groups_sync()` creates or updates them and is called from a
migration, so every database has them. Platform admins are superusers and need no group.
"""

from .choices import Role

DOMAIN_MODELS = [
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
    "maintenance.alarm",
    "maintenance.workorder",
    "maintenance.workorderevent",
    "analytics.stationdaily",
    "analytics.piledaily",
    "analytics.stationfaultdaily",
]
# Remote operations on piles: sent by admins and technicians, read by everyone who sees piles.
COMMANDS = ["gateway.command"]
SECURITY_EVENTS = ["gateway.securityevent"]


def _perms(models, actions):
    return [f"{model.split('.')[0]}.{action}_{model.split('.')[1]}" for model in models for action in actions]


ROLE_PERMISSIONS = {
    Role.OPERATOR_ADMIN: _perms(DOMAIN_MODELS, ["view", "add", "change", "delete"])
    + _perms(["accounts.user"], ["view", "add", "change"])
    + _perms(COMMANDS, ["view", "add"])
    + _perms(SECURITY_EVENTS, ["view"])
    + _perms(["maintenance.workorder"], ["confirm"]),
    Role.ANALYST: _perms(DOMAIN_MODELS + COMMANDS, ["view"]),
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
    + _perms(COMMANDS, ["view", "add"]),
}


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
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
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
