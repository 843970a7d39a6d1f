"""An analyst opens the dashboard, changes the time range, follows a card's Details link and
exports its table, in a real browser."""

import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.choices import Role
from analytics.services import rollups_update

from ..analytics_data import network_build, reference_days
from ..factories import PASSWORD, OperatorFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_analyst_reads_the_dashboard_and_exports_details(page, screenshot, tmp_path):
    operator = OperatorFactory(name="Sunrise Charging", time_zone="Europe/Berlin")
    network = network_build(operator, OperatorFactory(name="Other Charging"), orders_per_gun=15)
    rollups_update()
    UserFactory(username="ana", operator=operator, role=Role.ANALYST)

    page.goto("/accounts/login/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Operation data dashboard")
    expect(page.locator("canvas[data-chart=chart-orders]")).to_be_visible()

    page.fill("#id_start", "2026-01-01")
    page.fill("#id_end", "2026-01-31")
    page.select_option("#id_granularity", "day")
    page.get_by_role("button", name="Query").click()
    expect(page).to_have_url(re.compile(r"start=2026-01-01"))
    orders = sum(
        figures["orders"]
        for (station_id, day), figures in reference_days(_orders()).items()
        if station_id in {s.pk for s in network.stations} and day.year == 2026 and day.month == 1
    )
    card = page.locator(".figure-card", has_text="Charging orders")
    expect(card.locator(".figure-value")).to_have_text(str(orders))
    # The chart drew: Chart.js sizes the canvas it renders to.
    assert page.evaluate("document.querySelector('canvas[data-chart=chart-orders]').width") > 100
    screenshot("dashboard-january")

    card.get_by_role("link", name="Details").click()
    expect(page.locator("h1")).to_have_text("Charging orders")
    expect(page).to_have_url(re.compile(r"/analytics/orders/\?.*start=2026-01-01"))
    screenshot("order-figures-january")

    with page.expect_download() as download_info:
        page.locator("#table-stations").get_by_role("link", name="Export").click()
    path = tmp_path / "stations.xlsx"
    download_info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Station", "Operations area", "Orders")
    assert sum(row[2] for row in rows[1:]) == orders
    assert all(isinstance(row[3], int | float | Decimal) for row in rows[1:])


def _orders():
    from orders.models import ChargingOrder

    return ChargingOrder.objects.select_related("station")


def test_the_order_tables_fit_a_1366_pixel_screen(page, screenshot):
    """Every column of the order list and of the revenue Details' order rows is in view on a
    laptop screen, without scrolling the table sideways."""
    operator = OperatorFactory(name="Sunrise Charging", time_zone="America/Los_Angeles")
    network_build(operator, OperatorFactory(name="Other Charging"), orders_per_gun=3)
    rollups_update()
    UserFactory(username="olga", operator=operator, role=Role.OPERATOR_ADMIN)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/accounts/login/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    for path in ("/orders/", "/analytics/amount/?start=2026-01-01&end=2026-12-31"):
        page.goto(path)
        table = page.locator("table.data-table").last
        expect(table.locator("tbody tr").first).to_be_visible()
        overflow = table.evaluate("t => t.scrollWidth - t.parentElement.clientWidth")
        assert overflow <= 0, (path, overflow)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366, path
    screenshot("revenue-orders-1366")
