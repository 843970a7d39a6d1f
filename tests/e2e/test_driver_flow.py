"""A driver charges from a phone, end to end: a real gateway and a simulated pile on a real
WebSocket, Chromium at phone size. The driver opens a gun's QR code address, signs up and
verifies the e-mail, tops up the wallet with the dummy payment provider, starts, watches the
energy rise, stops, and sees the debit; the operator then finds the order, paid by wallet, in
the back office's order list."""

import asyncio
import re
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from accounts.choices import Role
from drivers.models import Driver
from gateway.simulator import Behaviour, SimulatedGun
from orders.models import ChargingOrder

from ..factories import PASSWORD, OperatorFactory, StationFactory, UserFactory
from ..ocpp_support import ocpp_pile, simulated
from .conftest import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


class PileOnline:
    """A simulated pile connected to the gateway from a thread of its own, answering remote
    starts and stops and metering fast (a 360 kW pile reporting every second)."""

    def __init__(self, url, pile):
        self.url, self.pile = url, pile
        self.loop = asyncio.new_event_loop()
        self.booted = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.run(),), daemon=True)
        self.thread.start()
        assert self.booted.wait(20), "the simulated pile did not boot"

    async def run(self):
        self.stop_event = asyncio.Event()
        behaviour = Behaviour(rated_kw=360.0, meter_interval=1.0, session_seconds=(600.0, 600.0), session_chance=0)
        guns = [SimulatedGun(1, meter_wh=1000.0), SimulatedGun(2, meter_wh=1000.0)]
        client, connection, reader = await simulated(self.url, self.pile, guns=guns, behaviour=behaviour, seed=1)
        await client.boot()
        self.booted.set()
        await self.stop_event.wait()
        await connection.close()
        reader.cancel()

    def stop(self):
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(20)


def energy(page) -> float:
    return float(re.sub(r"[^0-9.]", "", page.locator("[data-figure=energy]").inner_text()))


def test_a_driver_signs_up_tops_up_charges_and_pays_from_the_wallet(browser, live_server, ocpp_gateway):
    operator = OperatorFactory(name="Sunrise Charging", time_zone="UTC")
    station = StationFactory(area__operator=operator, name="Harbour Front", time_zone="UTC")
    pile = ocpp_pile(station=None, operator=operator, charge_point_id="HARBOUR-01", name="Fast 1")
    UserFactory(username="olga", operator=operator, role=Role.OPERATOR_ADMIN)
    assert station  # a second station: the network has more than the pile's
    online = PileOnline(ocpp_gateway.url, pile)
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(20000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def screenshot(name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    try:
        # The QR code on gun 1 leads here.
        page.goto(reverse("drivers:gun", args=["HARBOUR-01", 1]))
        expect(page.locator("main")).to_contain_text("Available")
        screenshot("driver-gun-visitor")
        page.locator("main").get_by_role("link", name="Sign up").click()
        page.fill("#id_email", "ana@example.com")
        page.fill("#id_password1", "plug-in-and-go-42")
        page.fill("#id_password2", "plug-in-and-go-42")
        expect(page.locator("#id_network")).to_have_value(str(pile.station.area.operator_id))
        screenshot("driver-signup")
        page.get_by_role("button", name="Sign Up").click()
        expect(page.locator("main")).to_contain_text("Verify")
        link = re.search(r"https?://\S+/drive/account/confirm-email/\S+/", mail.outbox[-1].body).group(0)
        page.goto(link)
        page.get_by_role("button", name="Confirm").click()

        # Top up 20 through the dummy provider.
        page.get_by_role("link", name="Wallet").click()
        page.get_by_role("button", name=re.compile(r"^20 ")).click()
        page.select_option("select[name=status]", "confirmed")
        page.select_option("select[name=fraud_status]", "accept")
        screenshot("driver-payment")
        page.get_by_role("button", name="Pay").click()
        expect(page.locator("main")).to_contain_text("was added to your wallet")
        expect(page.locator(".big-figure")).to_contain_text("20.00")

        # Scan, start, watch the energy rise, stop.
        page.goto(reverse("drivers:gun", args=["HARBOUR-01", 1]))
        screenshot("driver-gun")
        page.get_by_role("button", name="Start charging").click()
        expect(page.locator("[data-figure=energy]")).to_be_visible()
        page.wait_for_function("parseFloat(document.querySelector('[data-figure=energy]').innerText) > 0")
        first = energy(page)
        page.wait_for_function(
            f"parseFloat(document.querySelector('[data-figure=energy]').innerText) > {first}", timeout=20000
        )
        screenshot("driver-session")
        page.get_by_role("button", name="Stop charging").click()
        expect(page.locator("#session")).to_contain_text("Finished", timeout=30000)
        page.get_by_role("link", name="See the receipt").click()
        expect(page.locator("main")).to_contain_text("Wallet")
        screenshot("driver-receipt")

        order = ChargingOrder.objects.get()
        driver = Driver.objects.get(user__email="ana@example.com")
        assert order.payment_method == "wallet" and order.amount > 0
        assert driver.balance == Decimal("20.00") - order.amount
        page.get_by_role("link", name="Wallet").click()
        expect(page.locator(".big-figure")).to_contain_text(f"{driver.balance:.2f}")
        expect(page.locator("main")).to_contain_text(order.number)
        screenshot("driver-wallet")
    finally:
        online.stop()
        context.close()

    # The operator sees the order, paid by wallet.
    office = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_server.url)
    desk = office.new_page()
    desk.goto("/accounts/login/")
    desk.fill("#id_username", "olga")
    desk.fill("#id_password", PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.goto(reverse("orders:chargingorder_list"))
    row = desk.locator("tbody tr", has_text=order.number)
    expect(row).to_contain_text("Wallet")
    office.close()
