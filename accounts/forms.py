from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chargeops.forms import ScopedModelForm
from stations.forms import TIME_ZONE_CHOICES
from stations.models import Area

from .models import Operator, Role, User
from .roles import GRANTABLE, permissions_named
from .services import (
    OPERATOR_FIELDS,
    USER_FIELDS,
    grantable_by,
    login_failure_record,
    login_failures_clear,
    login_throttled,
)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing further attempts for a while after too many failures
    for the account or from the address; the message does not say whether the account exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username and password do not match an active account."),
        "throttled": _("Too many failed sign-ins. Try again in %(minutes)s minutes."),
        "driver": _("This is a driver account: sign in on the driver portal."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_driver:
            raise ValidationError(self.error_messages["driver"], code="driver")

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if login_throttled(username=username, address=address):
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_THROTTLE_SECONDS // 60},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failure_record(username=username, address=address)
            raise
        login_failures_clear(username=username)
        return cleaned


def platform_operator_field(form, user) -> None:
    """A platform admin says which operator a new row belongs to; anyone else makes rows of their
    own operator and is not asked."""
    if not (user.is_platform_admin and not form.instance.pk):
        del form.fields["operator"]


def owned_label(obj) -> str:
    return f"{obj} · {obj.operator}" if obj.operator_id else str(obj)


def password_fields() -> dict:
    """A new password typed twice; the services hold it to Django's password rules."""
    return {
        "password1": forms.CharField(
            label=_("Password"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=password_validation.password_validators_help_text_html(),
        ),
        "password2": forms.CharField(
            label=_("Password again"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
    }


def password_pair_clean(form) -> None:
    """The two passwords must match; the services get the one as `password`."""
    first, second = form.cleaned_data.pop("password1", None), form.cleaned_data.pop("password2", None)
    if first and second and first != second:
        form.add_error("password2", _("The two passwords differ."))
    elif first:
        form.cleaned_data["password"] = first


class UserForm(ScopedModelForm):
    """A person of the operator: who they are, their roles and (for technicians) their areas."""

    operator = forms.ModelChoiceField(Operator.objects.all(), label=_("Operator"))
    roles = forms.ModelMultipleChoiceField(
        Role.objects.all(),
        label=_("Roles"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the person may see and do."),
    )
    areas = forms.ModelMultipleChoiceField(
        Area.objects.all(),
        label=_("Operations areas"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For technicians: the unclaimed work orders of these areas are theirs to take."),
    )

    class Meta:
        model = User
        fields = USER_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        platform_operator_field(self, user)
        self.fields["roles"].queryset = self.fields["roles"].queryset.select_related("operator")
        if user.is_platform_admin:
            # Every operator's own roles and areas are listed: say whose each one is.
            self.fields["roles"].label_from_instance = owned_label
            self.fields["areas"].queryset = self.fields["areas"].queryset.select_related("operator")
            self.fields["areas"].label_from_instance = owned_label
        if self.instance.pk:
            self.initial.setdefault("roles", self.instance.roles)
            self.initial.setdefault("areas", list(self.instance.areas.all()))
            self.fields["roles"].queryset = self.fields["roles"].queryset.filter(
                Q(operator__isnull=True) | Q(operator=self.instance.operator_id)
            )
        else:
            # A new person gets a first password from whoever adds them.
            self.fields.update(password_fields())

    def clean(self):
        cleaned = super().clean()
        password_pair_clean(self)
        return cleaned


class UserPasswordForm(forms.Form):
    """Someone else's new password, set by a user manager when it was forgotten."""

    def __init__(self, data=None, *, instance, initial=None, user):
        super().__init__(data)
        self.instance = instance
        self.fields.update(password_fields())

    def clean(self):
        cleaned = super().clean()
        password_pair_clean(self)
        return cleaned


class RoleForm(ScopedModelForm):
    """A role of the operator's own: its name and the permissions it gives, chosen from those
    the signed-in user holds."""

    operator = forms.ModelChoiceField(Operator.objects.all(), label=_("Operator"))
    permissions = forms.ModelMultipleChoiceField(
        Permission.objects.none(), label=_("Permissions"), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Role
        fields = ["name", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        platform_operator_field(self, user)
        self.fields["permissions"].queryset = permissions_named(grantable_by(user))
        # Names of our own permissions (claim, confirm) are in the catalogue; Django's are not.
        self.fields["permissions"].label_from_instance = lambda permission: gettext(permission.name)
        if self.instance.pk:
            self.initial.setdefault("permissions", list(self.instance.group.permissions.all()))

    def permission_rows(self) -> list[dict]:
        """The permission checkboxes as a grid: a row per model, a cell per action."""
        boxes = {str(box.data["value"]): box for box in self["permissions"]}
        return permission_grid(self.fields["permissions"].queryset, lambda permission: boxes[str(permission.pk)])


# The grid's columns; anything else a model allows (claim, confirm) goes in the last one.
PERMISSION_ACTIONS = ["view", "add", "change", "delete"]


def permission_grid(permissions, cell) -> list[dict]:
    """Rows of {model, cells: [cell(permission) per action], other: [cell, ...]} for
    `permissions`, a row per model in the order of `GRANTABLE`."""
    order = {name.rsplit("_", 1)[-1]: index for index, name in reversed(list(enumerate(GRANTABLE)))}
    rows = {}
    for permission in sorted(permissions, key=lambda p: order.get(p.content_type.model, len(order))):
        model = permission.content_type.model_class()
        row = rows.setdefault(
            permission.content_type_id,
            {"model": model._meta.verbose_name_plural.capitalize(), "cells": {}, "other": []},
        )
        action = permission.codename.split("_", 1)[0]
        if action in PERMISSION_ACTIONS:
            row["cells"][action] = cell(permission)
        else:
            row["other"].append(cell(permission))
    return [{**row, "cells": [row["cells"].get(action) for action in PERMISSION_ACTIONS]} for row in rows.values()]


class OperatorForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Default time zone"),
        choices=TIME_ZONE_CHOICES,
        help_text=_("New stations start in this time zone."),
    )

    class Meta:
        model = Operator
        fields = OPERATOR_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
