from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import Count, Prefetch
from django.urls import reverse_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chargeops.views import ObjectActionView, ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView

from . import services
from .filtersets import OperatorFilterSet, RoleFilterSet, UserFilterSet
from .forms import OperatorForm, RoleForm, UserForm, UserPasswordForm, permission_grid
from .models import Operator, Role, User
from .tables import OperatorTable, RoleTable, UserTable


class PasswordChangeView(auth_views.PasswordChangeView):
    """Anyone signed in changes their own password (the old one first, Django's password rules
    for the new one); they stay signed in, and their other sessions end."""

    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


def users_with_roles(queryset):
    return queryset.select_related("operator").prefetch_related("groups__role", "areas")


class UserListView(ObjectListView):
    model = User
    filterset_class = UserFilterSet
    table_class = UserTable

    def get_queryset(self):
        return users_with_roles(super().get_queryset())

    def get_table_kwargs(self):
        return {"user": self.request.user}


class UserDetailView(ObjectDetailView):
    model = User
    template_name = "accounts/user_detail.html"
    # Not `user`: that is whoever is signed in, in every template.
    context_object_name = "account"

    def get_queryset(self):
        return users_with_roles(super().get_queryset())


class UserEditView(ObjectEditView):
    model = User
    form_class = UserForm
    service_object_name = "account"
    create_service = staticmethod(services.user_create)
    update_service = staticmethod(services.user_update)


class UserPasswordView(ObjectEditView):
    """Set the password of someone who forgot theirs."""

    model = User
    form_class = UserPasswordForm
    template_name = "accounts/user_password.html"
    service_object_name = "account"
    update_service = staticmethod(services.user_password_set)


class UserDeactivateView(ObjectActionView):
    model = User
    service_object_name = "account"
    service = staticmethod(services.user_set_active)
    service_kwargs = {"active": False}
    success_message = _("“%(obj)s” is deactivated and can no longer sign in.")


class UserActivateView(ObjectActionView):
    model = User
    service_object_name = "account"
    service = staticmethod(services.user_set_active)
    service_kwargs = {"active": True}
    success_message = _("“%(obj)s” can sign in again.")


def roles_with_counts(queryset):
    return queryset.select_related("operator", "group").annotate(
        user_count=Count("group__user", distinct=True), permission_count=Count("group__permissions", distinct=True)
    )


class RoleListView(ObjectListView):
    model = Role
    filterset_class = RoleFilterSet
    table_class = RoleTable

    def get_queryset(self):
        return roles_with_counts(super().get_queryset())


class RoleDetailView(ObjectDetailView):
    model = Role
    template_name = "accounts/role_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("operator", "group")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = self.object
        if role.is_builtin:
            context.update(edit_url=None, delete_url=None)
        permissions = role.group.permissions.select_related("content_type")
        # Names of our own permissions (claim, confirm) are in the catalogue; Django's are not.
        context["permission_rows"] = permission_grid(permissions, lambda permission: {"name": gettext(permission.name)})
        # A built-in role is every operator's: list only the user's own operator's holders.
        holders = User.objects.for_user(self.request.user).filter(groups=role.group_id)
        context["holders"] = holders.select_related("operator").order_by("username")
        return context


class RoleEditView(ObjectEditView):
    model = Role
    form_class = RoleForm
    template_name = "accounts/role_edit.html"
    create_service = staticmethod(services.role_create)
    update_service = staticmethod(services.role_update)

    def get_queryset(self):
        # Built-in roles are the same for every operator and are not edited here.
        return super().get_queryset().custom()


class RoleDeleteView(ObjectDeleteView):
    model = Role
    delete_service = staticmethod(services.role_delete)

    def get_queryset(self):
        return super().get_queryset().custom()


def operators_with_counts(queryset):
    return queryset.annotate(
        user_count=Count("users", distinct=True), station_count=Count("areas__stations", distinct=True)
    )


class OperatorListView(ObjectListView):
    model = Operator
    filterset_class = OperatorFilterSet
    table_class = OperatorTable

    def get_queryset(self):
        return operators_with_counts(super().get_queryset())


class OperatorDetailView(ObjectDetailView):
    model = Operator
    template_name = "accounts/operator_detail.html"

    def get_queryset(self):
        return operators_with_counts(super().get_queryset()).prefetch_related(
            Prefetch("users", users_with_roles(User.objects.order_by("username")))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add_user"] = self.request.user.has_perm("accounts.add_user")
        context["own_roles"] = self.object.roles.annotate(user_count=Count("group__user"))
        return context


class OperatorEditView(ObjectEditView):
    model = Operator
    form_class = OperatorForm
    create_service = staticmethod(services.operator_create)
    update_service = staticmethod(services.operator_update)
