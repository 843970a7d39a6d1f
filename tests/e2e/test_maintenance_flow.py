"""A fault in a real browser, from the pile's report to the statistics: the alarm appears, the
operator opens a work order from it, a technician claims and completes it, the operator confirms
the repair, and the work order statistics count it."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Role
from maintenance.choices import WorkOrderStatus
from maintenance.models import WorkOrder
from piles.services import StatusReport, gun_status_reports

from ..factories import PASSWORD, GunFactory, OperatorFactory, PileFactory, StationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".user-meta")).to_be_visible()


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_fault_is_repaired_through_a_work_order_and_counted(page, screenshot):
    operator = OperatorFactory(name="Sunrise Charging", time_zone="Europe/Berlin")
    station = StationFactory(area__operator=operator, name="Berlin Mitte", time_zone="Europe/Berlin")
    now = timezone.now()
    pile = PileFactory(station=station, name="Fast 1", registered_at=now, connected=True, last_seen_at=now)
    GunFactory(pile=pile, connector_id=1)
    UserFactory(username="olga", operator=operator, role=Role.OPERATOR_ADMIN)
    UserFactory(username="tim", first_name="Tim", operator=operator, role=Role.TECHNICIAN)
    # The pile reports a ground fault, as the gateway passes it on.
    gun_status_reports(
        items=[StatusReport(pile=pile, connector_id=1, status="Faulted", error_code="GroundFailure", at=now)]
    )

    _sign_in(page, "olga")
    page.get_by_role("link", name="Alarm management").click()
    row = page.locator("tbody tr", has_text="Fast 1")
    expect(row).to_contain_text("Ground fault")
    expect(row).to_contain_text("Open")
    screenshot("alarms")
    row.locator("a").first.click()
    page.get_by_role("link", name="Open a work order").click()
    expect(page.locator("#id_problem_description")).to_have_value(re.compile("GroundFailure"))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".props")).to_contain_text("Not accepted")
    number = WorkOrder.objects.get().number
    _sign_out(page)

    _sign_in(page, "tim")
    page.goto("/maintenance/work-orders/?queue=near")
    page.get_by_role("link", name=number).click()
    page.get_by_role("button", name="Claim").click()
    expect(page.locator(".messages")).to_contain_text(f"You claimed work order {number}")
    page.fill("#steps textarea[name=resolution]", "Replaced the residual current device")
    page.get_by_role("button", name="Complete").click()
    expect(page.locator(".props")).to_contain_text("Completed")
    _sign_out(page)

    _sign_in(page, "olga")
    page.goto(f"/maintenance/work-orders/{WorkOrder.objects.get().pk}/")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".props")).to_contain_text("Confirmed")
    expect(page.locator(".timeline li")).to_have_count(4)
    expect(page.locator(".timeline")).to_contain_text("Replaced the residual current device")
    screenshot("work-order")
    assert WorkOrder.objects.get().status == WorkOrderStatus.CONFIRMED

    page.get_by_role("link", name="Work order statistics").click()
    tim = page.locator("#table-people tbody tr", has_text="Tim")
    expect(tim.locator("td").nth(4)).to_have_text("1")  # confirmed
    expect(tim.locator("td").nth(5)).to_have_text("1")  # total
    screenshot("work-order-statistics")
