"""Sign-in throttling: after too many failures for an account, or from an address, further
attempts are refused for a while, even with the right password, without saying whether the
account exists; a successful sign-in forgives the account's failures."""

import pytest
from django.urls import reverse

from accounts.services import ACCOUNT_FAILURES, ADDRESS_FAILURES

from .factories import PASSWORD, UserFactory


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(response) -> bool:
    return response.status_code == 302


@pytest.mark.django_db
def test_an_account_is_paused_after_too_many_failures(client, settings):
    UserFactory(username="olga")
    for _ in range(ACCOUNT_FAILURES):
        assert not signed_in(sign_in(client, "olga", "wrong"))
    refused = sign_in(client, "olga", PASSWORD)
    assert not signed_in(refused)
    assert f"Try again in {settings.LOGIN_THROTTLE_SECONDS // 60} minutes" in refused.content.decode()
    # From another address too: the account is paused, not the address.
    assert not signed_in(sign_in(client, "OLGA", PASSWORD, address="10.0.0.2"))
    # Unknown accounts are paused the same way: the message tells nothing about who exists.
    for _ in range(ACCOUNT_FAILURES):
        sign_in(client, "nobody", "wrong")
    assert "Try again in" in sign_in(client, "nobody", "wrong").content.decode()


@pytest.mark.django_db
def test_an_address_is_paused_after_too_many_failures_across_accounts(client):
    UserFactory(username="olga")
    for n in range(ADDRESS_FAILURES):
        sign_in(client, f"guess{n}", "wrong", address="203.0.113.9")
    assert not signed_in(sign_in(client, "olga", PASSWORD, address="203.0.113.9"))
    assert signed_in(sign_in(client, "olga", PASSWORD, address="198.51.100.1"))


@pytest.mark.django_db
def test_a_successful_sign_in_forgives_the_accounts_failures(client):
    UserFactory(username="olga")
    for _ in range(ACCOUNT_FAILURES - 1):
        sign_in(client, "olga", "wrong")
    assert signed_in(sign_in(client, "olga", PASSWORD))
    client.logout()
    for _ in range(ACCOUNT_FAILURES - 1):
        sign_in(client, "olga", "wrong")
    assert signed_in(sign_in(client, "olga", PASSWORD))
