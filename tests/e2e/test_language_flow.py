"""The interface in Chinese in a real browser: chosen on the sign-in page, it stays chosen after
signing in; the dashboard's map (words handed to its script by the page) and a list read in
Chinese, and the top bar switches back to English on the same page."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Currency, Role
from piles.choices import GunStatus

from ..factories import PASSWORD, GunFactory, OperatorFactory, PileFactory, StationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_operator_works_in_chinese_and_switches_back(page, screenshot):
    operator = OperatorFactory(name="Jiangnan E-Power", currency=Currency.CNY, time_zone="Asia/Shanghai")
    station = StationFactory(
        area__operator=operator,
        name="Shanghai Lujiazui",
        time_zone="Asia/Shanghai",
        latitude=Decimal("31.238"),
        longitude=Decimal("121.502"),
    )
    now = timezone.now()
    pile = PileFactory(station=station, name="Pile 01", registered_at=now, connected=True, last_seen_at=now)
    GunFactory(pile=pile, status=GunStatus.CHARGING, live_power_kw=Decimal("60.00"))
    UserFactory(username="jing", operator=operator, role=Role.OPERATOR_ADMIN)

    page.goto("/accounts/login/")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".login-card button[type=submit]")).to_have_text("登录")
    screenshot("language-01-login-zh-hans")
    page.fill("#id_username", "jing")
    page.fill("#id_password", PASSWORD)
    page.locator(".login-card button[type=submit]").click()

    expect(page.locator("h1")).to_have_text("运营数据看板")
    expect(page.locator(".nav-item.active")).to_have_text("运营看板")
    page.locator(".leaflet-marker-icon").click()
    popup = page.locator(".map-popup")
    expect(popup).to_contain_text("在线 1")
    expect(popup).to_contain_text("实时功率：60.0 kW")
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")  # faded in, for the picture
    screenshot("language-02-dashboard-zh-hans")

    page.goto("/piles/")
    expect(page.locator("h1")).to_have_text("充电桩")
    row = page.locator("tbody tr", has_text="Pile 01")
    expect(row.locator(".badge-online")).to_have_text("在线")
    expect(page.locator("thead")).to_contain_text("1 号枪")
    screenshot("language-03-piles-zh-hans")

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/piles/$"))
    expect(page.locator("h1")).to_have_text("Charging piles")
    expect(page.locator("html")).to_have_attribute("lang", "en")
