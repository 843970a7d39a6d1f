"""An operator admin signs in, adds a station on the map, adds a pile with two guns, filters
the pile list and disables the pile, all in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from piles.choices import UsageState
from piles.models import Pile
from stations.models import Station

from ..factories import PASSWORD, AreaFactory, OperatorFactory, PileFactory, StationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_admin_manages_stations_and_piles(page, screenshot):
    operator = OperatorFactory(name="Sunrise Charging", time_zone="America/Los_Angeles")
    UserFactory(username="lisa", first_name="Lisa", last_name="Chen", operator=operator, role=Role.OPERATOR_ADMIN)
    area = AreaFactory(operator=operator, name="Nevada")
    other = StationFactory(area=area, name="Henderson Civic Center")
    PileFactory(station=other, name="Henderson AC 1", charge_point_id="HND-01")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    screenshot("01-login")
    page.fill("#id_username", "lisa")
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.fill("#id_username", "lisa")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".user-name")).to_have_text("Lisa Chen")
    expect(page.locator(".user-meta")).to_contain_text("Sunrise Charging")
    screenshot("02-home")

    # Add a station: coordinates picked on the map (no tiles load here, the map still works).
    page.click("text=Charging stations")
    screenshot("03-station-list")
    page.click("text=+ Add")
    page.select_option("#id_area", label="Nevada")
    page.fill("#id_name", "CES Las Vegas Station")
    page.fill("#id_address", "3150 Paradise Rd, Las Vegas, NV 89109, USA")
    page.select_option("#id_time_zone", "America/Los_Angeles")
    page.fill("#id_latitude", "36.1312")
    page.fill("#id_longitude", "-115.1513")
    page.locator("#id_longitude").dispatch_event("change")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    map_box = page.locator("#station-map").bounding_box()
    page.mouse.click(map_box["x"] + map_box["width"] / 2 + 40, map_box["y"] + map_box["height"] / 2)
    expect(page.locator("#id_latitude")).not_to_have_value("36.1312")
    picked_lat = float(page.input_value("#id_latitude"))
    assert abs(picked_lat - 36.1312) < 0.01, "a click near the marker picks a point near it"
    screenshot("04-station-add")
    page.click("button:has-text('Save')")
    expect(page.locator(".message-success")).to_contain_text("CES Las Vegas Station")
    station = Station.objects.get(name="CES Las Vegas Station")
    assert abs(float(station.latitude) - picked_lat) < 1e-6
    screenshot("05-station-detail")

    # Add a pile with two guns from the station's page.
    page.click("text=+ Add pile")
    page.fill("#id_name", "Las Vegas DC 1")
    page.fill("#id_charge_point_id", "LV-DC-01")
    page.fill("#id_manufacturer", "ABB")
    page.fill("#id_model", "Terra 54")
    page.fill("#id_rated_power_kw", "50")
    page.fill("#id_voltage_min", "150")
    page.fill("#id_voltage_max", "920")
    page.select_option("#id_charging_method", "DC")
    page.select_option("#id_guns-0-connector_type", "ccs1")
    page.fill("#id_guns-0-connector_id", "1")
    page.click("text=+ Add gun")
    expect(page.locator("#id_guns-1-connector_id")).to_have_value("2")
    page.select_option("#id_guns-1-connector_type", "chademo")
    screenshot("06-pile-add")
    page.click("button:has-text('Save')")
    expect(page.locator(".message-success")).to_contain_text("Las Vegas DC 1")
    pile = Pile.objects.get(charge_point_id="LV-DC-01")
    assert pile.station == station
    assert [(g.connector_id, g.connector_type) for g in pile.guns.all()] == [(1, "ccs1"), (2, "chademo")]
    screenshot("07-pile-detail")

    # Filter the pile list by station, then disable the pile from its row.
    page.click("nav >> text=Charging piles")
    expect(page.locator("table.data-table tbody tr")).to_have_count(2)
    page.select_option("#id_station", label="CES Las Vegas Station")
    page.click("button:has-text('Query')")
    rows = page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Las Vegas DC 1")
    expect(page.locator("table.data-table thead")).to_contain_text("Gun 2")
    screenshot("08-pile-list-filtered")
    rows.first.locator("button:has-text('Disable')").click()
    expect(page.locator(".message-success")).to_contain_text("disabled")
    expect(page.locator("table.data-table tbody tr").first).to_contain_text("Disabled")
    assert page.url.endswith(f"?station={station.pk}") or f"station={station.pk}" in page.url
    pile.refresh_from_db()
    assert pile.usage_state == UsageState.DISABLED
    screenshot("09-pile-disabled")


def test_a_hostile_station_name_is_shown_as_text(page, live_server):
    operator = OperatorFactory(name="Sunrise Charging")
    UserFactory(username="lisa", operator=operator, role=Role.ANALYST)
    hostile = '<img src=x onerror="window.pwned=1">'
    station = StationFactory(area=AreaFactory(operator=operator), name=hostile)

    page.goto("/accounts/login/")
    page.fill("#id_username", "lisa")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/stations/{station.pk}/")
    page.locator(".leaflet-marker-icon").click()
    expect(page.locator(".leaflet-popup-content")).to_have_text(hostile)
    page.goto("/")
    page.locator(".leaflet-marker-icon").click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text(hostile)
    page.goto("/stations/")
    expect(page.locator("table.data-table tbody")).to_contain_text(hostile)
    assert page.evaluate("window.pwned") is None
