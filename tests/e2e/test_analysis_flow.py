"""The analysis pages in a real browser: live power refreshes by itself, and the pile status
page drills down from a station's count to its piles."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Role
from piles.choices import GunStatus
from piles.models import Gun

from ..factories import PASSWORD, GunFactory, OperatorFactory, PileFactory, StationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_live_power_refreshes_and_pile_status_drills_down(page, screenshot):
    operator = OperatorFactory(name="Sunrise Charging", time_zone="Europe/Berlin")
    station = StationFactory(area__operator=operator, name="Berlin Mitte", time_zone="Europe/Berlin")
    now = timezone.now()
    pile = PileFactory(station=station, name="Fast 1", registered_at=now, connected=True, last_seen_at=now)
    gun = GunFactory(pile=pile, status=GunStatus.CHARGING, live_power_kw=Decimal("40.00"))
    broken = PileFactory(station=station, name="Broken 2", registered_at=now, connected=True, last_seen_at=now)
    GunFactory(pile=broken, status=GunStatus.FAULTED)
    UserFactory(username="ana", operator=operator, role=Role.ANALYST)
    _sign_in(page, "ana")

    page.goto("/analytics/power/")
    live = page.locator(".stat", has_text="Live power").locator(".stat-value")
    expect(live).to_have_text(re.compile(r"^40"))
    # The pile reports more power; the page shows it without being reloaded.
    Gun.objects.filter(pk=gun.pk).update(live_power_kw=Decimal("72.50"))
    expect(live).to_have_text(re.compile(r"^72\.5"), timeout=15000)
    screenshot("charging-power")

    page.goto("/analytics/pile-status/")
    row = page.locator("#table-stations tbody tr", has_text="Berlin Mitte")
    row.locator("a[href*='status=fault']").click()
    expect(page).to_have_url(re.compile(r"status=fault"))
    piles = page.locator("#table-piles tbody tr")
    expect(piles).to_have_count(1)
    expect(piles.first).to_contain_text("Broken 2")
    screenshot("pile-status-fault")
