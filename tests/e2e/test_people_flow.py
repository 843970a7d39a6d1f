"""People in a real browser: an operator admin makes a role of their own from the permission
grid, adds a person with it, and that person signs in to a menu of exactly what the role
allows; the admin then deactivates them and the audit log shows who did all of it."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import Role

from ..factories import PASSWORD, OperatorFactory, StationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Gr33n-Volts-2026"


def _sign_in(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page.locator(".user-meta")).to_be_visible()


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_an_admin_makes_a_role_and_a_person_who_sees_only_what_it_allows(page, screenshot):
    operator = OperatorFactory(name="Sunrise Charging")
    StationFactory(area__operator=operator, name="Harbour Point")
    UserFactory(username="olga", operator=operator, role=Role.OPERATOR_ADMIN)

    _sign_in(page, "olga")
    page.get_by_role("link", name="Roles").click()
    page.get_by_role("link", name="+ Add").click()
    page.fill("#id_name", "Station viewer")
    for model in ("Operations areas", "Charging stations"):
        page.locator("tr", has=page.get_by_role("cell", name=model, exact=True)).locator("input").first.check()
    screenshot("role-form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message-success")).to_contain_text("Station viewer")

    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="+ Add").click()
    page.fill("#id_username", "sam")
    page.fill("#id_first_name", "Sam")
    page.get_by_label("Station viewer").check()
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".detail-grid")).to_contain_text("Station viewer")
    _sign_out(page)

    _sign_in(page, "sam", NEW_PASSWORD)
    menu = page.locator(".sidebar")
    expect(menu).to_contain_text("Charging stations")
    expect(menu).not_to_contain_text("Charging piles")
    expect(menu).not_to_contain_text("Users")
    menu.get_by_role("link", name="Charging stations").click()
    expect(page.locator("tbody")).to_contain_text("Harbour Point")
    expect(page.get_by_role("link", name="+ Add")).to_have_count(0)
    screenshot("viewer")
    _sign_out(page)

    _sign_in(page, "olga")
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="sam").click()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.locator(".message-success")).to_contain_text("can no longer sign in")
    page.get_by_role("link", name="Audit log").click()
    log = page.locator("tbody")
    expect(log).to_contain_text("Station viewer")
    expect(log).to_contain_text("Active: Yes → No")
    screenshot("audit-log")
    _sign_out(page)

    page.goto("/accounts/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("form.login-card")).to_contain_text("do not match an active account")
