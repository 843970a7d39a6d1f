"""The driver portal's pages: sign-up and sign-in (django-allauth), the wall between drivers and
the back office, a gun's page and Start, the session page's states, the wallet's top-up through
the dummy payment provider, and the history; a driver never sees another driver's session."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from drivers.models import ChargeRequest, Driver, LedgerEntry
from gateway.choices import CommandAction, CommandStatus
from gateway.models import Command
from orders.choices import OrderStatus
from orders.models import ChargingOrder
from piles.choices import GunStatus, UsageState

from .factories import GunFactory, PileFactory, StationFactory, TariffPeriodFactory, UserFactory
from .test_driver_wallet import make_driver, start, stop


@pytest.fixture
def gun(operator):
    station = StationFactory(area__operator=operator, name="Harbour", time_zone="UTC")
    station.tariff = TariffPeriodFactory(
        tariff__operator=operator, electricity_price=Decimal("0.30"), service_fee=Decimal("0.10")
    ).tariff
    station.save()
    pile = PileFactory(
        station=station, charge_point_id="HB-01", registered_at=timezone.now(), last_seen_at=timezone.now()
    )
    pile.connected = True
    pile.save()
    return GunFactory(pile=pile, connector_id=1, status=GunStatus.AVAILABLE)


def gun_url(gun, action="gun"):
    return reverse(f"drivers:{action}", args=[gun.pile.charge_point_id, gun.connector_id])


@pytest.fixture
def driver(operator):
    return make_driver(operator, Decimal("50.00"))


@pytest.fixture
def driver_client(client, driver):
    client.force_login(driver.user, backend="drivers.adapter.PortalAuthenticationBackend")
    return client


def test_a_visitor_signs_up_from_a_gun_verifies_the_email_and_joins_its_network(client, gun, operator, other_operator):
    StationFactory(area__operator=other_operator)
    assert client.get(gun_url(gun)).status_code == 200  # the QR code's page remembers the network
    page = client.get(reverse("account_signup"))
    assert page.context["form"]["network"].value() == operator.pk
    response = client.post(
        reverse("account_signup"),
        {
            "email": "ana@example.com",
            "password1": "plug-in-and-go-42",
            "password2": "plug-in-and-go-42",
            "network": operator.pk,
        },
    )
    assert response.status_code == 302
    driver = Driver.objects.get(user__email="ana@example.com")
    assert driver.operator == operator and driver.id_tag.operator == operator and driver.balance == 0
    # Not signed in before the address is verified.
    assert client.get(reverse("drivers:wallet")).status_code == 302
    link = re.search(r"https?://\S+/drive/account/confirm-email/\S+/", mail.outbox[0].body).group(0)
    client.post(link)
    assert client.get(reverse("drivers:wallet")).status_code == 200


def test_sign_up_refuses_a_weak_password_a_mismatch_and_a_bad_address(client, operator, driver):
    StationFactory(area__operator=operator)
    for data in (
        {"email": "new@example.com", "password1": "123", "password2": "123"},
        {"email": "new@example.com", "password1": "plug-in-and-go-42", "password2": "plug-in-and-go-43"},
        {"email": "not-an-email", "password1": "plug-in-and-go-42", "password2": "plug-in-and-go-42"},
    ):
        response = client.post(reverse("account_signup"), {**data, "network": operator.pk})
        assert response.status_code == 200 and response.context["form"].errors
    assert Driver.objects.count() == 1


def test_sign_up_with_a_taken_address_makes_no_account_and_does_not_say_it_is_taken(client, operator, driver):
    StationFactory(area__operator=operator)
    data = {"email": driver.email, "password1": "plug-in-and-go-42", "password2": "plug-in-and-go-42"}
    response = client.post(reverse("account_signup"), {**data, "network": operator.pk})
    # As for a new address (no one learns who has an account); the owner is told by e-mail.
    assert response.status_code == 302 and response.url == reverse("account_email_verification_sent")
    assert Driver.objects.count() == 1 and mail.outbox[0].to == [driver.email]


def test_sign_up_needs_a_network(client, operator):
    StationFactory(area__operator=operator)
    data = {"email": "new@example.com", "password1": "plug-in-and-go-42", "password2": "plug-in-and-go-42"}
    for network in ("", "999999"):
        response = client.post(reverse("account_signup"), {**data, "network": network})
        assert response.status_code == 200 and "network" in response.context["form"].errors
    assert not Driver.objects.exists()


def test_a_driver_is_kept_out_of_the_back_office(driver_client):
    for url in (reverse("home"), reverse("piles:pile_list"), reverse("orders:chargingorder_list")):
        response = driver_client.get(url)
        assert response.status_code == 302 and response.url == reverse("drivers:portal_home")


def test_the_back_office_sign_in_refuses_a_driver(client, driver):
    driver.user.set_password("plug-in-and-go-42")
    driver.user.save()
    response = client.post(
        reverse("accounts:login"), {"username": driver.user.username, "password": "plug-in-and-go-42"}
    )
    assert response.status_code == 200
    assert "driver portal" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_portal_sign_in_refuses_a_back_office_account(client, admin_user):
    admin_user.email = "boss@example.com"
    admin_user.set_password("plug-in-and-go-42")
    admin_user.save()
    response = client.post(reverse("account_login"), {"login": "boss@example.com", "password": "plug-in-and-go-42"})
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_a_back_office_account_in_the_portal_is_asked_to_sign_out(operator_client):
    response = operator_client.get(reverse("drivers:wallet"))
    assert response.status_code == 403
    assert "driver account" in response.content.decode()


def test_a_visitor_sees_the_gun_and_is_asked_to_sign_in(client, gun):
    page = client.get(gun_url(gun)).content.decode()
    assert "Harbour" in page and "Sign in" in page and "Start charging" not in page
    assert client.post(gun_url(gun, "gun_start")).status_code == 302
    assert not Command.objects.exists()


def test_start_sends_the_drivers_tag_to_the_pile(driver_client, driver, gun):
    page = driver_client.get(gun_url(gun)).content.decode()
    assert "Start charging" in page and "0.40" in page
    response = driver_client.post(gun_url(gun, "gun_start"))
    charge = ChargeRequest.objects.get()
    assert response.url == reverse("drivers:charge_detail", args=[charge.pk])
    assert charge.command.action == CommandAction.REMOTE_START
    assert charge.command.payload == {"connector_id": 1, "id_tag": driver.id_tag.id_tag}
    assert "Waiting for the pile" in driver_client.get(response.url).content.decode()
    again = driver_client.post(gun_url(gun, "gun_start"), follow=True)
    assert "still waiting" in again.content.decode() and ChargeRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"usage_state": UsageState.DISABLED}, "out of service"),
        ({"connected": False}, "offline"),
        ({"gun_status": GunStatus.FAULTED}, "faulted"),
        ({"gun_status": GunStatus.CHARGING}, "busy"),
        ({"balance": Decimal("9.99")}, "at least"),
    ],
)
def test_a_gun_that_cannot_start_says_why_and_sends_nothing(driver_client, driver, gun, change, reason):
    pile = gun.pile
    if "usage_state" in change:
        pile.usage_state = change["usage_state"]
    if "connected" in change:
        pile.connected = False
    pile.save()
    if "gun_status" in change:
        gun.status = change["gun_status"]
        gun.save()
    if "balance" in change:
        Driver.objects.filter(pk=driver.pk).update(balance=change["balance"])
    page = driver_client.get(gun_url(gun)).content.decode()
    assert reason in page and "Start charging</button>" not in page
    driver_client.post(gun_url(gun, "gun_start"))
    assert not Command.objects.exists() and not ChargeRequest.objects.exists()


def test_another_networks_gun_is_not_startable(driver_client, other_operator):
    foreign = GunFactory(pile__station__area__operator=other_operator, pile__connected=True, connector_id=1)
    assert "another network" in driver_client.get(gun_url(foreign)).content.decode()
    driver_client.post(gun_url(foreign, "gun_start"))
    assert not Command.objects.exists()


def charge_for(driver, gun, status=CommandStatus.SENT, answered_ago=None):
    answered = timezone.now() - answered_ago if answered_ago is not None else None
    command = Command.objects.create(
        pile=gun.pile, action=CommandAction.REMOTE_START, payload={}, status=status, answered_at=answered
    )
    asked = answered or timezone.now()
    return ChargeRequest.objects.create(driver=driver, gun=gun, command=command, created_at=asked)


@pytest.mark.parametrize(
    ("status", "answered_ago", "text"),
    [
        (CommandStatus.REJECTED, timedelta(0), "refused to start"),
        (CommandStatus.TIMED_OUT, timedelta(0), "did not answer"),
        (CommandStatus.ACCEPTED, timedelta(seconds=5), "Plug in the cable"),
        (CommandStatus.ACCEPTED, timedelta(minutes=5), "No session started"),
    ],
)
def test_the_session_page_reports_the_piles_answer(driver_client, driver, gun, status, answered_ago, text):
    charge = charge_for(driver, gun, status, answered_ago)
    page = driver_client.get(charge.get_absolute_url()).content.decode()
    assert text in page
    # Only a start still under way refreshes itself.
    assert ("data-refresh-while-waiting" in page) == (text == "Plug in the cable")


def test_the_session_shows_live_figures_and_stop_sends_remote_stop(driver_client, driver, gun):
    charge = charge_for(driver, gun, CommandStatus.ACCEPTED, timedelta(seconds=3))
    order = start(gun, driver, meter=1000, at=timezone.now() - timedelta(minutes=30))
    charge.refresh_from_db()
    assert charge.order == order  # the StartTransaction found the waiting start
    ChargingOrder.objects.filter(pk=order.pk).update(energy_kwh=Decimal("12.500"))
    page = driver_client.get(charge.get_absolute_url()).content.decode()
    assert "12.50 kWh" in page and "5.00" in page and "0 h 30 min" in page  # 12.5 kWh at 0.40
    driver_client.post(reverse("drivers:order_stop", args=[order.pk]))
    stop_command = Command.objects.get(action=CommandAction.REMOTE_STOP)
    assert stop_command.payload == {"transaction_id": order.transaction_id}
    assert "Stopping" in driver_client.get(charge.get_absolute_url()).content.decode()
    stop(order, 13500)
    page = driver_client.get(charge.get_absolute_url()).content.decode()
    assert "Finished" in page and "data-refresh-while-waiting" not in page
    receipt = driver_client.get(reverse("drivers:receipt", args=[order.pk])).content.decode()
    assert "5.00" in receipt and "Wallet" in receipt


def test_a_driver_cannot_see_or_stop_another_drivers_session(driver_client, operator, gun):
    someone = make_driver(operator, Decimal("50.00"), email="someone@example.com")
    charge = charge_for(someone, gun, CommandStatus.ACCEPTED, timedelta(seconds=3))
    order = start(gun, someone)
    assert driver_client.get(charge.get_absolute_url()).status_code == 404
    assert driver_client.post(reverse("drivers:order_stop", args=[order.pk])).status_code == 404
    assert driver_client.get(reverse("drivers:receipt", args=[order.pk])).status_code == 404
    assert not Command.objects.filter(action=CommandAction.REMOTE_STOP).exists()
    assert ChargingOrder.objects.get(pk=order.pk).status == OrderStatus.CHARGING


def test_a_top_up_through_the_dummy_provider_credits_the_wallet(driver_client, driver):
    response = driver_client.post(reverse("drivers:wallet"), {"amount": "20"})
    pay_url = response.url
    assert driver_client.get(pay_url).status_code == 200
    done = driver_client.post(
        pay_url, {"status": "confirmed", "fraud_status": "accept", "gateway_response": "3ds-disabled"}, follow=True
    )
    assert "was added to your wallet" in done.content.decode()
    driver.refresh_from_db()
    assert driver.balance == Decimal("70.00")
    # Paying the same top-up again adds nothing.
    driver_client.post(pay_url, {"status": "confirmed", "fraud_status": "accept", "gateway_response": "3ds-disabled"})
    driver.refresh_from_db()
    assert driver.balance == Decimal("70.00") and LedgerEntry.objects.filter(driver=driver).count() == 2


def test_a_refused_payment_credits_nothing(driver_client, driver):
    pay_url = driver_client.post(reverse("drivers:wallet"), {"amount": "20"}).url
    done = driver_client.post(
        pay_url, {"status": "rejected", "fraud_status": "reject", "gateway_response": "3ds-disabled"}, follow=True
    )
    assert "did not go through" in done.content.decode()
    driver.refresh_from_db()
    assert driver.balance == Decimal("50.00")


@pytest.mark.parametrize("amount", ["", "abc", "0", "4.99", "1000.01", "-20"])
def test_a_bad_top_up_amount_is_refused(driver_client, driver, amount):
    response = driver_client.post(reverse("drivers:wallet"), {"amount": amount})
    assert response.status_code == 200 and response.context["form"].errors
    assert driver.top_ups.count() == 1  # the one that filled the wallet


def test_another_drivers_top_up_is_not_found(driver_client, operator):
    someone = make_driver(operator, email="someone@example.com")
    from drivers.services import top_up_create

    theirs = top_up_create(driver=someone, amount=Decimal("20"))
    assert driver_client.get(reverse("drivers:top_up_pay", args=[theirs.token])).status_code == 404


def test_the_history_lists_only_the_drivers_orders(driver_client, driver, operator, gun):
    mine = start(gun, driver)
    stop(mine, 11000)
    someone = make_driver(operator, Decimal("50"), email="someone@example.com")
    theirs = start(gun, someone)
    page = driver_client.get(reverse("drivers:order_history")).content.decode()
    assert reverse("drivers:receipt", args=[mine.pk]) in page
    assert reverse("drivers:receipt", args=[theirs.pk]) not in page


def test_a_staff_user_without_driver_is_not_a_driver(operator):
    assert not UserFactory(operator=operator).is_driver


def test_a_visitor_is_sent_to_the_sign_in_page_of_the_part_they_asked_for(client):
    portal = client.get(reverse("account_change_password"))
    assert portal.status_code == 302 and portal.url.startswith(reverse("account_login"))
    office = client.get(reverse("piles:pile_list"))
    assert office.status_code == 302 and office.url.startswith(reverse("accounts:login"))
    wallet = client.get(reverse("drivers:wallet"))
    assert wallet.url.startswith(reverse("account_login"))


def test_the_portal_resets_drivers_passwords_only(client, driver, admin_user):
    admin_user.email = "boss@example.com"
    admin_user.save()
    client.post(reverse("account_reset_password"), {"email": "boss@example.com"})
    assert all(
        "password" not in message.subject.lower() or message.to != ["boss@example.com"] for message in mail.outbox
    )
    assert not any("/drive/account/password/reset/key/" in message.body for message in mail.outbox)
    client.post(reverse("account_reset_password"), {"email": driver.email})
    assert any("/drive/account/password/reset/key/" in message.body for message in mail.outbox)


def test_back_office_people_stay_out_of_the_portals_account_pages(operator_client):
    for name in ("account_change_password", "account_email"):
        response = operator_client.get(reverse(name))
        assert response.status_code == 302 and response.url == reverse("drivers:portal_home")


def test_the_back_office_sign_in_takes_user_names_not_email_addresses(client, admin_user):
    admin_user.email = "boss@example.com"
    admin_user.set_password("plug-in-and-go-42")
    admin_user.save()
    client.post(reverse("accounts:login"), {"username": "boss@example.com", "password": "plug-in-and-go-42"})
    assert "_auth_user_id" not in client.session
    client.post(reverse("accounts:login"), {"username": admin_user.username, "password": "plug-in-and-go-42"})
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_a_long_email_address_signs_up(client, operator):
    StationFactory(area__operator=operator)
    email = "a" * 110 + "@example.com"
    data = {"email": email, "password1": "plug-in-and-go-42", "password2": "plug-in-and-go-42", "network": operator.pk}
    assert client.post(reverse("account_signup"), data).status_code == 302
    assert Driver.objects.get(user__email=email).id_tag.holder == email[:100]


def test_a_pile_whose_gun_a_driver_tried_is_deleted_with_the_attempt(driver, gun, admin_user):
    from piles.services import pile_delete

    charge_for(driver, gun, CommandStatus.REJECTED, timedelta(0))
    pile_delete(user=admin_user, pile=gun.pile)
    assert not ChargeRequest.objects.exists()


def test_an_expired_account_tag_cannot_start(driver_client, driver, gun):
    driver.id_tag.expires_at = timezone.now() - timedelta(minutes=1)
    driver.id_tag.save()
    assert "blocked from charging" in driver_client.get(gun_url(gun)).content.decode()


def test_a_session_the_pile_started_late_shows_on_its_order_page_with_stop(driver_client, driver, gun):
    charge = charge_for(driver, gun, CommandStatus.ACCEPTED, timedelta(minutes=5))  # given up waiting
    order = start(gun, driver)
    charge.refresh_from_db()
    assert charge.order is None
    home = driver_client.get(reverse("drivers:portal_home")).content.decode()
    assert reverse("drivers:receipt", args=[order.pk]) in home
    page = driver_client.get(reverse("drivers:receipt", args=[order.pk])).content.decode()
    assert "Stop charging" in page and "data-refresh-while-waiting" in page
    driver_client.post(reverse("drivers:order_stop", args=[order.pk]))
    assert Command.objects.filter(action=CommandAction.REMOTE_STOP, payload={"transaction_id": order.transaction_id})
    assert "Stopping" in driver_client.get(reverse("drivers:receipt", args=[order.pk])).content.decode()
