"""People, roles and operators: the management pages, and what no one may do with them
whatever their role (give more than they hold, reach into another operator, leave an operator
without an admin)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.choices import Role as BuiltinRole
from accounts.models import Operator, Role, User
from accounts.services import role_create, role_update, user_set_active, user_update
from audit.models import AuditEntry
from chargeops.navigation import menu_for

from .factories import PASSWORD, AreaFactory, UserFactory
from .viewtests import ModelViewTests

NEW_PASSWORD = "Gr33n-Volts-2026"


def permissions(*codenames):
    return list(Permission.objects.filter(codename__in=codenames))


def builtin(role: BuiltinRole) -> Role:
    return Role.objects.get(operator=None, name=role.value)


class TestUserViews(ModelViewTests):
    model = User
    url_prefix = "accounts:user"
    technician_can_view = False
    supports_delete = False

    def make(self, operator):
        return UserFactory(operator=operator, role=BuiltinRole.TECHNICIAN)

    def valid_data(self, operator):
        return {
            "username": "li.wei",
            "first_name": "Wei",
            "last_name": "Li",
            "email": "li.wei@example.com",
            "roles": [builtin(BuiltinRole.TECHNICIAN).pk],
            "areas": [AreaFactory(operator=operator).pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        }

    def invalid_data(self, operator):
        return {**self.valid_data(operator), "password2": "something else"}, "The two passwords differ."

    def changed_data(self, obj):
        data = {"username": obj.username, "email": "new@example.com", "roles": [builtin(BuiltinRole.ANALYST).pk]}
        return data, "email", "new@example.com"

    def filter_case(self, operator):
        wei = UserFactory(operator=operator, username="li.wei")
        mia = UserFactory(operator=operator, username="mia.chen")
        return {"q": "wei"}, wei, mia


class TestRoleViews(ModelViewTests):
    model = Role
    url_prefix = "accounts:role"
    technician_can_view = False

    def make(self, operator):
        name = f"Role {Role.objects.count()} of {operator}"
        return role_create(user=None, operator=operator, name=name, permissions=permissions("view_pile"))

    def valid_data(self, operator):
        return {"name": "Shift lead", "description": "Nights", "permissions": [p.pk for p in permissions("view_pile")]}

    def invalid_data(self, operator):
        return {**self.valid_data(operator), "name": "operator ADMIN"}, "is a built-in role"

    def changed_data(self, obj):
        return {"name": "Renamed", "permissions": [p.pk for p in permissions("view_station")]}, "name", "Renamed"

    def filter_case(self, operator):
        lead = role_create(user=None, operator=operator, name="Shift lead", permissions=permissions("view_pile"))
        viewer = role_create(user=None, operator=operator, name="Viewer", permissions=permissions("view_pile"))
        return {"q": "shift"}, lead, viewer


def test_a_new_user_signs_in_with_the_given_password_and_holds_the_roles_permissions(client, admin_user):
    station_reader = role_create(
        user=admin_user, name="Station reader", permissions=permissions("view_station", "view_area")
    )
    client.force_login(admin_user)
    response = client.post(
        reverse("accounts:user_add"),
        {"username": "reader", "roles": [station_reader.pk], "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    reader = User.objects.get(username="reader")
    assert reader.operator == admin_user.operator and reader.roles == [station_reader]
    new_client = Client()
    assert new_client.login(username="reader", password=NEW_PASSWORD)
    assert new_client.get(reverse("stations:station_list")).status_code == 200
    assert new_client.get(reverse("piles:pile_list")).status_code == 403
    page = new_client.get(reverse("home"))
    labels = [item["label"] for section in menu_for(page.wsgi_request) for item in section["items"]]
    assert "Charging stations" in labels and "Charging piles" not in labels and "Users" not in labels


def test_a_weak_or_taken_username_or_password_is_refused_and_nothing_is_made(client, admin_user):
    client.force_login(admin_user)
    technician = builtin(BuiltinRole.TECHNICIAN).pk
    before = User.objects.count()
    weak = client.post(
        reverse("accounts:user_add"), {"username": "new", "roles": [technician], "password1": "123", "password2": "123"}
    )
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    taken = client.post(
        reverse("accounts:user_add"),
        {"username": "OPADMIN", "roles": [technician], "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert taken.status_code == 200 and "is taken" in taken.content.decode()
    no_role = client.post(
        reverse("accounts:user_add"), {"username": "new", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert no_role.status_code == 200 and "roles" in no_role.context["form"].errors
    assert User.objects.count() == before


def test_another_operators_role_or_area_cannot_be_given(client, admin_user, other_operator):
    theirs = role_create(user=None, operator=other_operator, name="Theirs", permissions=permissions("view_pile"))
    their_area = AreaFactory(operator=other_operator)
    client.force_login(admin_user)
    before = User.objects.count()
    data = {"username": "new", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    forged_role = client.post(reverse("accounts:user_add"), {**data, "roles": [theirs.pk]})
    assert "roles" in forged_role.context["form"].errors
    technician = builtin(BuiltinRole.TECHNICIAN).pk
    forged_area = client.post(reverse("accounts:user_add"), {**data, "roles": [technician], "areas": [their_area.pk]})
    assert "areas" in forged_area.context["form"].errors
    assert User.objects.count() == before
    account = UserFactory(operator=admin_user.operator, role=BuiltinRole.TECHNICIAN)
    with pytest.raises(ValidationError, match="another operator"):
        user_update(user=admin_user, account=account, roles=[theirs])
    assert account.roles == [builtin(BuiltinRole.TECHNICIAN)]


def test_no_one_gives_more_than_they_hold(client, operator, admin_user):
    people_manager = role_create(
        user=admin_user,
        name="People manager",
        permissions=permissions("view_user", "add_user", "change_user", "view_role", "add_role"),
    )
    manager = UserFactory(operator=operator)
    manager.groups.add(people_manager.group)
    client.force_login(manager)
    # A role of more than the manager holds is refused, in the form and in the service.
    delete_stations = permissions("delete_station")[0]
    response = client.post(reverse("accounts:role_add"), {"name": "Wrecker", "permissions": [delete_stations.pk]})
    assert response.status_code == 200 and "permissions" in response.context["form"].errors
    with pytest.raises(ValidationError, match="permissions you do not have"):
        role_create(user=manager, name="Wrecker", permissions=[delete_stations])
    # So is making someone an operator admin.
    response = client.post(
        reverse("accounts:user_add"),
        {
            "username": "climber",
            "roles": [builtin(BuiltinRole.OPERATOR_ADMIN).pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200 and "permissions you do not have" in response.content.decode()
    assert not Role.objects.filter(name="Wrecker").exists() and not User.objects.filter(username="climber").exists()


def test_operator_admins_cannot_grant_what_operators_cannot_hold(admin_user):
    for codename in ("add_operator", "add_group", "delete_user"):
        with pytest.raises(ValidationError, match="permissions you do not have"):
            role_create(user=admin_user, name="Too much", permissions=permissions(codename))
    assert not Role.objects.filter(name="Too much").exists()


def test_built_in_roles_are_read_only(client, admin_user):
    client.force_login(admin_user)
    technician = builtin(BuiltinRole.TECHNICIAN)
    page = client.get(technician.get_absolute_url())
    assert page.status_code == 200 and page.context["edit_url"] is None
    assert "Can claim and complete work orders" in page.content.decode()
    assert client.get(reverse("accounts:role_edit", args=[technician.pk])).status_code == 404
    assert client.post(reverse("accounts:role_delete", args=[technician.pk])).status_code == 404
    with pytest.raises(ValidationError, match="Built-in roles cannot be changed"):
        role_update(user=admin_user, role=technician, name="Renamed")
    assert Role.objects.get(pk=technician.pk).name == BuiltinRole.TECHNICIAN.value


def test_a_role_held_by_someone_is_not_deleted(client, admin_user):
    role = role_create(user=admin_user, name="Viewer", permissions=permissions("view_pile"))
    holder = UserFactory(operator=admin_user.operator)
    holder.groups.add(role.group)
    client.force_login(admin_user)
    response = client.post(reverse("accounts:role_delete", args=[role.pk]), follow=True)
    assert "held by 1 user" in response.content.decode()
    assert Role.objects.filter(pk=role.pk).exists()
    holder.groups.clear()
    client.post(reverse("accounts:role_delete", args=[role.pk]))
    assert not Role.objects.filter(pk=role.pk).exists() and not Group.objects.filter(pk=role.group_id).exists()


def test_changing_a_roles_permissions_changes_what_its_holders_may_do(client, admin_user):
    role = role_create(user=admin_user, name="Viewer", permissions=permissions("view_station"))
    holder = UserFactory(operator=admin_user.operator)
    holder.groups.add(role.group)
    client.force_login(holder)
    assert client.get(reverse("piles:pile_list")).status_code == 403
    role_update(user=admin_user, role=role, permissions=permissions("view_station", "view_pile"))
    assert client.get(reverse("piles:pile_list")).status_code == 200


def test_two_operators_may_each_have_a_role_of_the_same_name(operator, other_operator):
    ours = role_create(user=None, operator=operator, name="Shift lead", permissions=permissions("view_pile"))
    theirs = role_create(user=None, operator=other_operator, name="Shift lead", permissions=permissions("view_pile"))
    assert ours.group != theirs.group
    with pytest.raises(ValidationError, match="already a role"):
        role_create(user=None, operator=operator, name="shift LEAD", permissions=permissions("view_pile"))


def test_no_one_locks_themselves_or_their_operator_out(client, operator, admin_user, platform_admin):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user_deactivate", args=[admin_user.pk]), follow=True)
    assert "cannot deactivate your own account" in response.content.decode()
    response = client.post(
        reverse("accounts:user_edit", args=[admin_user.pk]),
        {"username": admin_user.username, "roles": [builtin(BuiltinRole.ANALYST).pk]},
    )
    assert "cannot change your own roles" in response.content.decode()
    # Even a platform admin leaves an operator its last admin.
    with pytest.raises(ValidationError, match="no active operator admin"):
        user_set_active(user=platform_admin, account=admin_user, active=False)
    with pytest.raises(ValidationError, match="no active operator admin"):
        user_update(user=platform_admin, account=admin_user, roles=[builtin(BuiltinRole.ANALYST)])
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.roles == [builtin(BuiltinRole.OPERATOR_ADMIN)]
    UserFactory(operator=operator, role=BuiltinRole.OPERATOR_ADMIN)
    user_set_active(user=platform_admin, account=admin_user, active=False)
    assert not User.objects.get(pk=admin_user.pk).is_active


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(client, admin_user, technician_user):
    their_client = Client()
    their_client.force_login(technician_user)
    assert their_client.get(reverse("home")).status_code == 200
    client.force_login(admin_user)
    page = client.get(technician_user.get_absolute_url())
    # The page is about the technician; the top bar is still about who is signed in.
    assert page.context["user"] == admin_user and page.context["object"] == technician_user
    assert reverse("accounts:user_deactivate", args=[technician_user.pk]) in page.content.decode()
    client.post(reverse("accounts:user_deactivate", args=[technician_user.pk]))
    assert their_client.get(reverse("home")).status_code == 302
    assert not Client().login(username=technician_user.username, password=PASSWORD)
    client.post(reverse("accounts:user_activate", args=[technician_user.pk]))
    assert Client().login(username=technician_user.username, password=PASSWORD)


def test_a_password_set_by_an_admin_ends_the_old_sessions(client, admin_user, technician_user):
    their_client = Client()
    their_client.force_login(technician_user)
    client.force_login(admin_user)
    url = reverse("accounts:user_password", args=[technician_user.pk])
    weak = client.post(url, {"password1": "abc", "password2": "abc"})
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    assert client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302
    assert their_client.get(reverse("home")).status_code == 302
    assert Client().login(username=technician_user.username, password=NEW_PASSWORD)
    entry = AuditEntry.objects.filter(object_id=technician_user.pk, action="update").latest("pk")
    assert entry.user == admin_user and list(entry.changes) == ["Password"]
    assert technician_user.password[:20] not in str(entry.changes)


def test_people_and_role_changes_are_in_the_audit_log(admin_user, technician_user):
    role = role_create(user=admin_user, name="Viewer", permissions=permissions("view_pile"))
    created = AuditEntry.objects.get(object_repr="Viewer", action="create")
    assert created.user == admin_user and created.operator == admin_user.operator
    assert created.changes["Permissions"][1] == "Can view charging pile"
    user_update(user=admin_user, account=technician_user, roles=[role], email="t@example.com")
    entry = AuditEntry.objects.filter(object_id=technician_user.pk, action="update").latest("pk")
    assert entry.changes == {
        "Email address": ["", "t@example.com"],
        "Roles": ["Maintenance technician", "Viewer"],
    }


def test_platform_admin_adds_an_operator_and_its_first_admin(client, platform_admin):
    client.force_login(platform_admin)
    assert client.get(reverse("accounts:operator_add")).status_code == 200
    bad = client.post(reverse("accounts:operator_add"), {"name": "Volt Asia", "currency": "CNY", "time_zone": "Mars"})
    assert bad.status_code == 200 and not Operator.objects.filter(name="Volt Asia").exists()
    response = client.post(
        reverse("accounts:operator_add"),
        {
            "name": "Volt Asia",
            "currency": "CNY",
            "time_zone": "Asia/Shanghai",
            "heartbeat_interval": 300,
            "offline_timeout": 600,
            "min_start_balance": "10.00",
            "abnormal_order_hours": 24,
        },
    )
    operator = Operator.objects.get(name="Volt Asia")
    assert response.status_code == 302 and operator.time_zone == "Asia/Shanghai"
    form = client.get(reverse("accounts:user_add"), {"operator": operator.pk}).context["form"]
    assert form["operator"].value() == str(operator.pk)
    client.post(
        reverse("accounts:user_add"),
        {
            "operator": operator.pk,
            "username": "volt-admin",
            "roles": [builtin(BuiltinRole.OPERATOR_ADMIN).pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert User.objects.get(username="volt-admin").operator == operator


def test_operator_admins_see_and_change_only_their_own_operators_settings(client, operator, other_operator, admin_user):
    client.force_login(admin_user)
    listed = list(client.get(reverse("accounts:operator_list")).context["table"].data)
    assert listed == [operator]
    assert client.get(reverse("accounts:operator_add")).status_code == 403
    assert client.get(other_operator.get_absolute_url()).status_code == 404
    url = reverse("accounts:operator_edit", args=[operator.pk])
    data = {
        "name": operator.name,
        "currency": "USD",
        "time_zone": "America/Los_Angeles",
        "heartbeat_interval": 5,
        "offline_timeout": 600,
        "abnormal_order_hours": 24,
        "min_start_balance": "10.00",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and "greater than or equal to 10" in refused.content.decode()
    too_short = client.post(url, {**data, "heartbeat_interval": 600, "offline_timeout": 600})
    assert "Make the offline timeout longer than the heartbeat interval (600 s)." in too_short.content.decode()
    negative = client.post(url, {**data, "heartbeat_interval": 300, "min_start_balance": "-1"})
    assert "greater than or equal to 0" in negative.content.decode()
    assert Operator.objects.values_list("heartbeat_interval", "offline_timeout").get(pk=operator.pk) == (300, 600)
    assert client.post(url, {**data, "heartbeat_interval": 60, "auto_work_orders": "on"}).status_code == 302
    operator.refresh_from_db()
    assert operator.heartbeat_interval == 60 and operator.auto_work_orders


@pytest.mark.parametrize("role", [BuiltinRole.ANALYST, BuiltinRole.TECHNICIAN])
def test_other_roles_cannot_manage_people_or_settings(client, operator, role):
    user = UserFactory(operator=operator, role=role)
    client.force_login(user)
    before = User.objects.count()
    data = {"username": "x", "roles": [builtin(BuiltinRole.OPERATOR_ADMIN).pk]}
    assert client.post(reverse("accounts:user_add"), {**data, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert User.objects.count() == before
    assert client.post(reverse("accounts:user_edit", args=[user.pk]), data).status_code == 403
    assert client.get(reverse("accounts:operator_edit", args=[operator.pk])).status_code == 403
    assert client.post(reverse("accounts:role_add"), {"name": "x"}).status_code == 403


def test_posts_without_the_csrf_token_are_refused(operator, admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    before = User.objects.count()
    response = client.post(
        reverse("accounts:user_add"),
        {
            "username": "forged",
            "roles": [builtin(BuiltinRole.TECHNICIAN).pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 403 and User.objects.count() == before


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    forms = 0
    for directory in [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/templates")]:
        for template in Path(directory).rglob("*.html"):
            for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", template.read_text(), flags=re.S | re.I):
                forms += 1
                assert "{% csrf_token %}" in form, template
    assert forms > 10
