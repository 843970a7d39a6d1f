"""A user's own account: changing the password; how the signed-in user and their permissions are read."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.backends import UserBackend
from accounts.models import User

from .factories import PASSWORD, UserFactory


def test_a_user_changes_their_own_password(client, operator):
    user = UserFactory(operator=operator)
    client.force_login(user)
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200 and reverse("accounts:password_change") in page.content.decode()
    wrong = client.post(
        reverse("accounts:password_change"),
        {"old_password": "not-it", "new_password1": "Gr33n-Volts-2026", "new_password2": "Gr33n-Volts-2026"},
    )
    assert wrong.status_code == 200 and "old_password" in wrong.context["form"].errors
    weak = client.post(
        reverse("accounts:password_change"), {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    )
    assert weak.status_code == 200 and "new_password2" in weak.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    done = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Gr33n-Volts-2026", "new_password2": "Gr33n-Volts-2026"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Gr33n-Volts-2026")
    assert client.get(reverse("home")).status_code == 200  # still signed in


def test_the_signed_in_user_is_read_with_the_operator_and_roles_the_header_shows(
    analyst_user, django_assert_num_queries
):
    with django_assert_num_queries(2):
        user = UserBackend().get_user(analyst_user.pk)
    with django_assert_num_queries(0):
        assert user.operator == analyst_user.operator and user.role_names == ["Operations analyst"]
    analyst_user.is_active = False
    analyst_user.save()
    assert UserBackend().get_user(analyst_user.pk) is None and UserBackend().get_user(0) is None


def test_a_user_s_permissions_are_read_in_one_query_and_follow_django_s_rule(
    operator, analyst_user, django_assert_num_queries
):
    # A direct permission besides the role's: both count, as in Django's own backend.
    assert not analyst_user.has_perm("audit.view_auditentry")
    analyst_user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    superuser = UserFactory(operator=operator, is_superuser=True)
    inactive = UserFactory(operator=operator, is_active=False)
    inactive.groups.set(analyst_user.groups.all())
    expected = {
        user: ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
        for user in (analyst_user, superuser, inactive)
    }
    assert {"audit.view_auditentry", "analytics.view_stationdaily"} <= expected[analyst_user]
    assert len(expected[superuser]) == Permission.objects.count() and expected[inactive] == set()
    for user, permissions in expected.items():
        fresh = User.objects.get(pk=user.pk)
        with django_assert_num_queries(1 if user.is_active else 0):
            assert UserBackend().get_all_permissions(fresh) == permissions
        with django_assert_num_queries(0):
            assert fresh.has_perm("audit.view_auditentry") == (user is not inactive)
