from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Prefetch

from .models import User


class UserBackend(ModelBackend):
    """Django's sign-in by user name and password. The signed-in user of each request is read
    with what every back-office page shows of them in its header (their operator and roles):
    two queries, instead of one for the user and three more when the header draws."""

    def get_user(self, user_id):
        users = User._default_manager.select_related("operator").prefetch_related(
            Prefetch("groups", queryset=Group.objects.select_related("role"))
        )
        try:
            user = users.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        """Django's rule (the user's own permissions and their roles'; every one for a
        superuser; none for an inactive user), read in one statement where Django builds and
        reads two: every page asks for them, to draw its menu."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            sql = f"SELECT content_type.app_label, permission.codename FROM {PERMISSIONS}"
            params = []
            if not user_obj.is_superuser:
                sql += f" WHERE permission.id IN ({USER_PERMISSIONS}) OR permission.id IN ({ROLE_PERMISSIONS})"
                params = [user_obj.pk, user_obj.pk]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}
        return user_obj._perm_cache


PERMISSIONS = (
    f"{Permission._meta.db_table} permission JOIN {ContentType._meta.db_table} content_type "
    "ON content_type.id = permission.content_type_id"
)
USER_PERMISSIONS = f"SELECT permission_id FROM {User.user_permissions.through._meta.db_table} WHERE user_id = %s"
ROLE_PERMISSIONS = (
    f"SELECT role.permission_id FROM {Group.permissions.through._meta.db_table} role "
    f"JOIN {User.groups.through._meta.db_table} membership ON membership.group_id = role.group_id "
    "WHERE membership.user_id = %s"
)
