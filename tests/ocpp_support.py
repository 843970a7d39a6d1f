"""A real gateway on a free port against the test database, and the pile side built on the
`ocpp` package's client, for end-to-end tests of the OCPP gateway."""

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from time import monotonic, sleep

import pytest
from django.db import connections
from websockets.asyncio.client import connect

from gateway.server import Gateway
from gateway.services import pile_key_set
from gateway.simulator import basic_auth, pile_connect
from piles.choices import ConnectorType

from .factories import GunFactory, PileFactory, StationFactory, TariffPeriodFactory

KEY = "correct-horse-battery-staple-01"


class RunningGateway:
    """A gateway serving in its own thread and event loop, as the `ocpp_gateway` command runs it."""

    def __init__(self, **options):
        self.gateway = Gateway(db_threads=4, response_timeout=3, housekeeping=False, **options)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self._ready.wait(20):
            raise RuntimeError("The gateway did not start.")
        self.url = f"ws://127.0.0.1:{self.gateway.port}/ocpp"

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.stop_event = asyncio.Event()
        ready = asyncio.Event()

        async def signal():
            await ready.wait()
            self._ready.set()

        self.loop.run_until_complete(
            asyncio.gather(self.gateway.serve("127.0.0.1", 0, ready=ready, stop=self.stop_event), signal())
        )

    def run(self, coroutine, timeout=20):
        """Run a coroutine in the gateway's loop (to reach its internals) and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self):
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(20)


@pytest.fixture
def ocpp_gateway(transactional_db):
    running = RunningGateway()
    yield running
    running.stop()


def ocpp_pile(station=None, guns=2, key=KEY, operator=None, **fields):
    """A pile with guns and a known key, under a station with a tariff of 0.30 + 0.10 per kWh."""
    if station is None:
        station = StationFactory(**({"area__operator": operator} if operator else {}))
        period = TariffPeriodFactory(tariff__operator=station.area.operator)
        station.tariff = period.tariff
        station.save()
    pile = PileFactory(station=station, rated_power_kw=Decimal("60"), **fields)
    for number in range(1, guns + 1):
        GunFactory(pile=pile, connector_id=number, connector_type=ConnectorType.CCS1)
    pile_key_set(user=None, pile=pile, key=key)
    return pile


async def simulated(url, pile, key=KEY, **kwargs):
    return await pile_connect(url, pile.charge_point_id, key, **kwargs)


async def raw_connection(url, charge_point_id, key=KEY, **kwargs):
    return await connect(
        f"{url}/{charge_point_id}",
        subprotocols=["ocpp1.6"],
        additional_headers=basic_auth(charge_point_id, key),
        **kwargs,
    )


async def raw_call(connection, frame) -> list:
    await connection.send(frame if isinstance(frame, str) else json.dumps(frame))
    return json.loads(await connection.recv())


def run_async(coroutine, timeout=120):
    """Run a test's async scenario to the end in a thread of its own: the browser tests' sync
    Playwright keeps an event loop in the main thread, where asyncio.run() is refused."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result(timeout)


async def db(function, *args, **kwargs):
    """Use the database from a test's async scenario (the ORM is synchronous) in a worker thread,
    closing that thread's connection so that none outlives the test database."""

    def closing():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return await asyncio.to_thread(closing)


def wait_until(check, timeout=10.0, interval=0.05):
    """Poll until `check()` is true: the gateway writes in its own threads."""
    end = monotonic() + timeout
    while monotonic() < end:
        if check():
            return True
        sleep(interval)
    return check()
