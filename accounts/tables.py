import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from chargeops.tables import ActionsColumn, BadgeColumn, BaseTable, LocalTimeColumn

from .choices import UserStatus
from .models import Operator, Role, User


def number_column(verbose_name):
    return tables.Column(verbose_name=verbose_name, attrs={"td": {"class": "number"}, "th": {"class": "number"}})


class UserTable(BaseTable):
    username = tables.Column(linkify=True)
    name = tables.Column(verbose_name=_("Name"), accessor="get_full_name", order_by=("first_name", "last_name"))
    roles = tables.Column(verbose_name=_("Roles"), accessor="role_names", orderable=False)
    areas = tables.ManyToManyColumn(verbose_name=_("Operations areas"), orderable=False)
    status = BadgeColumn(verbose_name=_("Status"), choices=UserStatus, order_by="is_active")
    last_login = LocalTimeColumn(verbose_name=_("Last sign-in"), tz_accessor="operator__time_zone")
    actions = ActionsColumn(actions=("edit",))

    class Meta(BaseTable.Meta):
        model = User
        fields = ("username", "name", "email", "operator", "roles", "areas", "status", "last_login")

    def __init__(self, *args, user, **kwargs):
        # An operator's people are all of that operator: the column is for platform admins.
        if not user.is_platform_admin:
            kwargs["exclude"] = ("operator",)
        super().__init__(*args, **kwargs)

    def render_roles(self, value):
        return ", ".join(value)

    def value_roles(self, value):
        return ", ".join(value)


class RoleTable(BaseTable):
    name = tables.Column(linkify=True)
    kind = tables.Column(verbose_name=_("Kind"), accessor="is_builtin", orderable=False)
    user_count = number_column(_("Users"))
    permission_count = number_column(_("Permissions"))
    actions = ActionsColumn(when=lambda role: not role.is_builtin)

    class Meta(BaseTable.Meta):
        model = Role
        fields = ("name", "kind", "description", "user_count", "permission_count")

    def render_name(self, record):
        return str(record)

    def value_name(self, record):
        return str(record)

    def render_description(self, record):
        return record.description_shown

    def value_description(self, record):
        return record.description_shown

    def render_kind(self, value):
        return _("Built-in") if value else _("Own")

    def value_kind(self, value):
        return str(self.render_kind(value))


class OperatorTable(BaseTable):
    name = tables.Column(linkify=True)
    user_count = number_column(_("Users"))
    station_count = number_column(_("Stations"))
    created_at = LocalTimeColumn(verbose_name=_("Created"), tz_accessor="time_zone")
    actions = ActionsColumn(actions=("edit",))

    class Meta(BaseTable.Meta):
        model = Operator
        fields = ("name", "currency", "time_zone", "user_count", "station_count", "auto_work_orders", "created_at")
