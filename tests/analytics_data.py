"""Generated charging data for the roll-up and statistics tests, and the independent reference
figures they are checked against: plain Python over the raw orders, sharing no code with the
roll-ups or the selectors.

The data crosses a month end and a year end, both daylight-saving changes of Europe/Berlin
(2026-03-29 has 23 hours, 2026-10-25 has 25), lies in two time zones (Berlin and Shanghai),
holds orders that span midnight and one still charging, and gives a second operator orders of
its own that the first must never see in its figures.
"""

import random
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from orders.choices import OrderStatus

from .factories import AreaFactory, ChargingOrderFactory, GunFactory, PileFactory, StationFactory

# Local moments the orders cluster around, in each station's own time zone.
HOT_SPOTS = [
    datetime(2025, 12, 31, 23, 0),  # the year end
    datetime(2026, 1, 31, 23, 30),  # a month end
    datetime(2026, 3, 28, 22, 0),  # the night the clocks go forward in Berlin
    datetime(2026, 3, 29, 12, 0),  # the 23-hour day
    datetime(2026, 10, 25, 1, 30),  # the 25-hour day, around the repeated hour
    datetime(2026, 10, 25, 23, 0),
    datetime(2026, 10, 31, 23, 50),  # another month end
]


@dataclass
class Network:
    operator: object
    other_operator: object
    stations: list = field(default_factory=list)  # the operator's
    other_station: object = None
    orders: list = field(default_factory=list)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _order(rng: random.Random, gun, started_at: datetime, *, minutes: float | None = None, charging=False):
    energy = Decimal(rng.randint(500, 60000)) / 1000
    electricity, service = _money(rng, 0, 30), _money(rng, 0, 10)
    return ChargingOrderFactory(
        gun=gun,
        started_at=started_at,
        stopped_at=None if charging else started_at + timedelta(minutes=minutes or rng.uniform(3, 300)),
        energy_kwh=Decimal("0") if charging else energy,
        electricity_fee=Decimal("0") if charging else electricity,
        service_fee=Decimal("0") if charging else service,
        amount=Decimal("0") if charging else electricity + service,
        status=OrderStatus.CHARGING if charging else OrderStatus.COMPLETED,
    )


def network_build(operator, other_operator, *, seed: int = 7, orders_per_gun: int = 40) -> Network:
    rng = random.Random(seed)
    network = Network(operator, other_operator)
    north, south = AreaFactory(operator=operator, name="North"), AreaFactory(operator=operator, name="South")
    network.stations = [
        StationFactory(area=north, name="Berlin Mitte", time_zone="Europe/Berlin"),
        StationFactory(area=south, name="Shanghai Hongqiao", time_zone="Asia/Shanghai"),
        StationFactory(area=south, name="Potsdam Park", time_zone="Europe/Berlin"),
    ]
    network.other_station = StationFactory(
        area=AreaFactory(operator=other_operator, name="Elsewhere"), name="Other Depot", time_zone="Europe/Berlin"
    )
    guns = []
    for station in [*network.stations, network.other_station]:
        for pile_number in range(2):
            pile = PileFactory(station=station, name=f"{station.name} {pile_number + 1}")
            guns += [GunFactory(pile=pile, connector_id=n) for n in (1, 2)]
    for gun in guns:
        zone = zoneinfo.ZoneInfo(gun.pile.station.time_zone)
        for _ in range(orders_per_gun):
            if rng.random() < 0.5:
                local = rng.choice(HOT_SPOTS) + timedelta(minutes=rng.uniform(-90, 90))
            else:
                local = datetime(2025, 11, 1) + timedelta(minutes=rng.uniform(0, 380 * 24 * 60))
            started_at = local.replace(tzinfo=zone).astimezone(UTC)
            network.orders.append(_order(rng, gun, started_at))
    first_gun = guns[0]
    midnight = datetime(2026, 2, 14, 23, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    network.orders.append(_order(rng, first_gun, midnight.astimezone(UTC), minutes=100))  # ends the next day
    network.orders.append(_order(rng, guns[1], datetime.now(UTC) - timedelta(minutes=30), charging=True))
    return network


FIGURES = ("orders", "energy_kwh", "electricity_fee", "service_fee", "amount", "charging_seconds")


def order_local_date(order) -> date:
    return order.started_at.astimezone(zoneinfo.ZoneInfo(order.station.time_zone)).date()


def reference_days(orders, key=lambda order: order.station_id) -> dict[tuple, dict]:
    """(key, local date) -> the day's figures, summed order by order."""
    days: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for order in orders:
        day = days[(key(order), order_local_date(order))]
        day["orders"] += 1
        for name in ("energy_kwh", "electricity_fee", "service_fee", "amount"):
            day[name] += getattr(order, name)
        if order.stopped_at:
            # Counted in whole seconds of the clock.
            day["charging_seconds"] += int(order.stopped_at.timestamp()) - int(order.started_at.timestamp())
    return dict(days)
