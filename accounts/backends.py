from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import Prefetch, Q

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
        superuser; none for an inactive user), read in one query where Django reads two:
        every page asks for them, to draw its menu."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(
                    Q(pk__in=user_obj.user_permissions.through.objects.filter(user=user_obj).values("permission"))
                    | Q(pk__in=Group.permissions.through.objects.filter(group__user=user_obj).values("permission"))
                )
            rows = permissions.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
