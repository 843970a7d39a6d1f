"""A user's own account: changing the password."""

from django.urls import reverse

from accounts.backends import UserBackend

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
