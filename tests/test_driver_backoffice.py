"""The back office's driver pages: the list with its filters and export, a driver's page with the
wallet ledger, and refunds, which only those allowed may give and which bad input never makes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from payments import PaymentStatus

from accounts.choices import Role
from accounts.forms import permission_grid
from accounts.roles import GRANTABLE, ROLE_PERMISSIONS, permissions_named
from accounts.services import role_create
from drivers.choices import LedgerKind
from drivers.models import Driver, LedgerEntry
from drivers.services import top_up_create, wallet_orders_charge, wallet_refund
from orders.choices import PaymentMethod

from .factories import ChargingOrderFactory, DriverFactory, GunFactory, PileFactory, StationFactory, UserFactory


def wallet_order(driver, amount="12.50", **fields):
    """A closed order the driver paid from the wallet, debited as the stop debits it."""
    gun = GunFactory(pile=PileFactory(station=StationFactory(area__operator=driver.operator)), connector_id=1)
    order = ChargingOrderFactory(
        gun=gun, id_tag=driver.id_tag, payment_method=PaymentMethod.WALLET, amount=Decimal(amount), **fields
    )
    wallet_orders_charge(orders=[order])
    return order


def top_up(driver, amount):
    """Money paid into the wallet through the payment provider, in top-ups of at most 1,000."""
    amount = Decimal(amount)
    while amount > 0:
        part = min(amount, Decimal("1000"))
        top_up_create(driver=driver, amount=part).change_status(PaymentStatus.CONFIRMED)
        amount -= part
    driver.refresh_from_db()


def login(client, operator, role):
    user = UserFactory(operator=operator, role=role)
    client.force_login(user)
    return user


def refund_url(driver):
    return reverse("drivers:driver_refund", args=[driver.pk])


def wallet_state(driver):
    """What a refused refund must leave as it was: the balance and every ledger row."""
    driver.refresh_from_db()
    return driver.balance, list(LedgerEntry.objects.filter(driver=driver).order_by("pk").values())


# --- roles and menu ------------------------------------------------------------------------


def test_every_built_in_role_permission_exists(db):
    names = {name for names in ROLE_PERMISSIONS.values() for name in names}
    found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions_named(names)}
    assert names - found == set()


@pytest.mark.parametrize(
    ("role", "held", "not_held"),
    [
        (Role.OPERATOR_ADMIN, {"view_driver", "refund_driver", "view_ledgerentry"}, {"change_driver"}),
        (Role.ANALYST, {"view_driver", "view_ledgerentry"}, {"refund_driver"}),
        (Role.TECHNICIAN, set(), {"view_driver", "view_ledgerentry", "refund_driver"}),
    ],
)
def test_built_in_roles_hold_their_driver_permissions(db, role, held, not_held):
    codenames = set(
        Group.objects.get(name=role.value)
        .permissions.filter(content_type__app_label="drivers")
        .values_list("codename", flat=True)
    )
    assert held <= codenames
    assert not (not_held & codenames)


@pytest.mark.parametrize(("role", "shown"), [(Role.ANALYST, True), (Role.TECHNICIAN, False)])
def test_the_menu_shows_drivers_to_those_who_may_see_them(client, operator, role, shown):
    login(client, operator, role)
    menu = client.get(reverse("home")).context["menu"]
    urls = [item["url"] for section in menu for item in section["items"]]
    assert (reverse("drivers:driver_list") in urls) is shown


def test_the_role_grid_lists_drivers_after_charging_orders_as_the_menu_does(db):
    models = [row["model"] for row in permission_grid(permissions_named(GRANTABLE), lambda permission: permission)]
    assert models.index("Charging orders") < models.index("Drivers") < models.index("Alarms")
    refund = next(row for row in permission_grid(permissions_named(GRANTABLE), str) if row["model"] == "Drivers")
    assert any("refund" in cell for cell in refund["other"])


# --- list, filters, export -----------------------------------------------------------------


def test_the_list_shows_own_drivers_with_balance_orders_and_last_charge(client, operator, other_operator):
    own = DriverFactory(operator=operator, user__email="own@example.com")
    DriverFactory(operator=other_operator, user__email="foreign@example.com")
    top_up(own, "1234.50")
    wallet_order(own, started_at=timezone.now() - timedelta(days=2))
    login(client, operator, Role.ANALYST)
    response = client.get(reverse("drivers:driver_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "own@example.com" in content and own.id_tag.id_tag in content
    assert "foreign@example.com" not in content
    row = next(iter(response.context["table"].data))
    assert row.order_count == 1 and row.last_charge is not None
    assert "1,222.00 USD" in content


def test_the_list_is_read_in_a_fixed_number_of_queries(client, operator, django_assert_max_num_queries):
    login(client, operator, Role.ANALYST)
    wallet_order(DriverFactory(operator=operator))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("drivers:driver_list"))
    for _ in range(5):
        wallet_order(DriverFactory(operator=operator))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("drivers:driver_list"))


@pytest.mark.parametrize("field", ["email", "id_tag"])
def test_the_keyword_finds_a_driver_by_email_or_id_tag(client, operator, field):
    wanted = DriverFactory(operator=operator, user__email="wanted@example.com")
    other = DriverFactory(operator=operator, user__email="other@example.com")
    login(client, operator, Role.ANALYST)
    keyword = "WANTED@example" if field == "email" else wanted.id_tag.id_tag.lower()
    rows = list(client.get(reverse("drivers:driver_list"), {"q": keyword}).context["table"].data)
    assert wanted in rows and other not in rows


def test_the_registered_filter_takes_the_operators_local_days(client, operator):
    # 07:30 UTC on 2 March is still 1 March in Los Angeles, the operator's time zone.
    late = DriverFactory(operator=operator)
    early = DriverFactory(operator=operator)
    Driver.objects.filter(pk=late.pk).update(created_at=datetime(2026, 3, 2, 7, 30, tzinfo=UTC))
    Driver.objects.filter(pk=early.pk).update(created_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    login(client, operator, Role.ANALYST)
    params = {"registered_after": "2026-03-01", "registered_before": "2026-03-01"}
    rows = list(client.get(reverse("drivers:driver_list"), params).context["table"].data)
    assert rows == [late]


def test_the_export_holds_the_filtered_own_drivers(client, operator, other_operator):
    own = DriverFactory(operator=operator, user__email="own@example.com")
    DriverFactory(operator=operator, user__email="left-out@example.com")
    DriverFactory(operator=other_operator, user__email="own@example.net")
    top_up(own, "7.25")
    login(client, operator, Role.ANALYST)
    response = client.get(reverse("drivers:driver_list"), {"q": "own@", "export": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.values)
    assert len(rows) == 2
    assert rows[1][:4] == ("own@example.com", own.id_tag.id_tag, 7.25, 0)


def test_technicians_see_no_driver_pages(client, operator):
    driver = DriverFactory(operator=operator)
    login(client, operator, Role.TECHNICIAN)
    assert client.get(reverse("drivers:driver_list")).status_code == 403
    assert client.get(driver.get_absolute_url()).status_code == 403


# --- a driver's page ---------------------------------------------------------------------------


def test_the_driver_page_shows_the_ledger_and_orders(client, operator, admin_user):
    driver = DriverFactory(operator=operator, user__email="dora@example.com")
    top_up(driver, "30.00")
    order = wallet_order(driver, amount="12.50")
    wallet_refund(user=admin_user, driver=driver, amount=Decimal("2.00"), reason="slow charger", order=order)
    login(client, operator, Role.ANALYST)
    response = client.get(driver.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    entries = list(response.context["ledger"].data)
    assert [entry.kind for entry in entries] == [LedgerKind.REFUND, LedgerKind.CHARGE, LedgerKind.TOP_UP]
    assert "slow charger" in content and admin_user.username in content
    assert "-12.50 USD" in content and "17.50 USD" in content and "19.50 USD" in content
    assert reverse("orders:chargingorder_detail", args=[order.pk]) in content
    assert list(response.context["orders"].data) == [order]
    # Analysts read; the refund form is not theirs.
    assert "refund_form" not in response.context


def test_a_role_without_the_ledger_permission_sees_no_ledger(client, operator):
    driver = DriverFactory(operator=operator)
    order = wallet_order(driver, amount="5.00")
    wallet_refund(user=None, driver=driver, amount=Decimal("3.00"), reason="secret reason", order=order)
    role = role_create(
        user=None, operator=operator, name="Drivers only", permissions=Permission.objects.filter(codename="view_driver")
    )
    user = UserFactory(operator=operator)
    user.groups.add(role.group)
    client.force_login(user)
    response = client.get(driver.get_absolute_url())
    assert response.status_code == 200
    assert "ledger" not in response.context and "secret reason" not in response.content.decode()


def test_another_operators_driver_is_not_found(client, operator, other_operator):
    foreign = DriverFactory(operator=other_operator)
    before = wallet_state(foreign)
    login(client, operator, Role.OPERATOR_ADMIN)
    assert client.get(foreign.get_absolute_url()).status_code == 404
    assert client.post(refund_url(foreign), {"amount": "5", "reason": "taken"}).status_code == 404
    assert wallet_state(foreign) == before


# --- refunds -------------------------------------------------------------------------------


def test_an_operator_admin_refunds_into_the_wallet(client, operator):
    driver = DriverFactory(operator=operator)
    order = wallet_order(driver, amount="12.50")
    admin = login(client, operator, Role.OPERATOR_ADMIN)
    assert "refund_form" in client.get(driver.get_absolute_url()).context
    response = client.post(
        refund_url(driver), {"amount": "10.00", "reason": "Charger stopped early", "order": order.number}
    )
    assert response.status_code == 302 and response["Location"] == driver.get_absolute_url()
    driver.refresh_from_db()
    assert driver.balance == Decimal("-2.50")
    entry = LedgerEntry.objects.get(driver=driver, kind=LedgerKind.REFUND)
    assert (entry.amount, entry.balance_after, entry.order, entry.note, entry.created_by) == (
        Decimal("10.00"),
        Decimal("-2.50"),
        order,
        "Charger stopped early",
        admin,
    )
    page = client.get(response["Location"]).content.decode()
    assert "10.00 USD refunded to" in page


def test_a_refund_needs_no_order_but_gives_back_at_most_what_charging_took(client, operator):
    driver = DriverFactory(operator=operator)
    top_up(driver, "50.00")
    wallet_order(driver, amount="12.50")
    login(client, operator, Role.OPERATOR_ADMIN)
    response = client.post(refund_url(driver), {"amount": "4.20", "reason": "Goodwill", "order": ""})
    assert response.status_code == 302
    driver.refresh_from_db()
    assert driver.balance == Decimal("41.70")
    before = wallet_state(driver)
    too_much = client.post(refund_url(driver), {"amount": "8.31", "reason": "More goodwill", "order": ""})
    assert "At most 8.30 can be refunded" in too_much.content.decode()
    assert wallet_state(driver) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "-5", "reason": "Oops"}, "Refund an amount above zero."),
        ({"amount": "0", "reason": "Oops"}, "Refund an amount above zero."),
        ({"amount": "", "reason": "Oops"}, "This field is required."),
        ({"amount": "1.005", "reason": "Oops"}, "decimal places"),
        ({"amount": "5", "reason": "   "}, "Say why the money is refunded."),
        ({"amount": "12.51", "reason": "Too much", "order": "{paid}"}, "At most 12.50"),
        (
            {"amount": "5", "reason": "Unknown order", "order": "NO-SUCH-ORDER"},
            "This driver has no order NO-SUCH-ORDER.",
        ),
        ({"amount": "5", "reason": "Someone else's", "order": "{someone_elses}"}, "This driver has no order"),
        ({"amount": "5", "reason": "Other network", "order": "{foreign}"}, "This driver has no order"),
        ({"amount": "5", "reason": "Paid by card", "order": "{by_card}"}, "was not paid from this wallet"),
    ],
)
def test_a_refused_refund_says_why_and_changes_nothing(client, operator, other_operator, data, message):
    driver = DriverFactory(operator=operator)
    numbers = {
        "paid": wallet_order(driver, amount="12.50").number,
        "someone_elses": wallet_order(DriverFactory(operator=operator)).number,
        "foreign": wallet_order(DriverFactory(operator=other_operator)).number,
        "by_card": ChargingOrderFactory(
            gun=GunFactory(pile__station__area__operator=operator),
            id_tag=driver.id_tag,
            payment_method=PaymentMethod.RFID_CARD,
            amount=Decimal("9.00"),
        ).number,
    }
    data = {key: value.format(**numbers) for key, value in data.items()}
    before = wallet_state(driver)
    login(client, operator, Role.OPERATOR_ADMIN)
    response = client.post(refund_url(driver), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["refund_form"].errors
    assert wallet_state(driver) == before


def test_an_order_is_refunded_at_most_what_the_wallet_paid_for_it(client, operator):
    driver = DriverFactory(operator=operator)
    order = wallet_order(driver, amount="12.50")
    login(client, operator, Role.OPERATOR_ADMIN)
    assert client.post(refund_url(driver), {"amount": "10", "reason": "Part", "order": order.number}).status_code == 302
    response = client.post(refund_url(driver), {"amount": "3", "reason": "The rest", "order": order.number})
    assert response.status_code == 200
    assert "At most 2.50 of order" in response.content.decode()
    assert (
        client.post(refund_url(driver), {"amount": "2.50", "reason": "Rest", "order": order.number}).status_code == 302
    )
    driver.refresh_from_db()
    assert driver.balance == Decimal("0.00")


@pytest.mark.parametrize("role", [Role.ANALYST, Role.TECHNICIAN])
def test_only_those_allowed_may_refund(client, operator, role):
    driver = DriverFactory(operator=operator)
    before = wallet_state(driver)
    login(client, operator, role)
    assert client.post(refund_url(driver), {"amount": "5", "reason": "Please"}).status_code == 403
    assert wallet_state(driver) == before


def test_refunding_is_post_only(client, operator):
    driver = DriverFactory(operator=operator)
    login(client, operator, Role.OPERATOR_ADMIN)
    assert client.get(refund_url(driver)).status_code == 405
