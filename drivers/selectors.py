"""Reads of the driver portal used by more than one page."""

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from gateway.choices import CommandAction, CommandStatus
from gateway.models import Command
from orders.choices import OrderStatus
from orders.models import ChargingOrder, PowerSample
from orders.services import order_fee_compute, tariff_period_at
from piles.choices import GunStatus, OnlineStatus, UsageState
from piles.models import Gun, Pile
from stations.models import Station

from .choices import GunAvailability
from .models import ChargeRequest, Driver


def gun_for_portal(charge_point_id: str, connector_id: int) -> Gun:
    """The gun a QR code names, with its pile's online status, station, tariff and operator."""
    piles = Pile.objects.with_online_status().select_related("station__area__operator", "station__tariff")
    guns = Gun.objects.prefetch_related(Prefetch("pile", queryset=piles))
    return get_object_or_404(guns, pile__charge_point_id__iexact=charge_point_id, connector_id=connector_id)


def charge_request_for_driver(driver: Driver, pk: int) -> ChargeRequest:
    """One of the driver's starts, with what its state and live figures read; another
    driver's is not found."""
    requests = ChargeRequest.objects.filter(driver=driver).select_related(
        "command", "stop_command", "order", "gun__pile__station__tariff"
    )
    return get_object_or_404(requests, pk=pk)


def driver_orders(driver: Driver):
    """The driver's charging orders, newest first."""
    return ChargingOrder.objects.filter(id_tag=driver.id_tag).select_related("station", "pile", "gun")


def driver_session(driver: Driver) -> ChargingOrder | None:
    """The driver's session under way, if any."""
    return driver_orders(driver).filter(status=OrderStatus.CHARGING).first()


def stop_pending(order: ChargingOrder) -> bool:
    """Whether a stop of the order was sent and the pile has not refused or missed it."""
    stops = Command.objects.filter(
        pile_id=order.pile_id, action=CommandAction.REMOTE_STOP, payload__transaction_id=order.transaction_id
    )
    return stops.exclude(status__in=[CommandStatus.FAILED, CommandStatus.TIMED_OUT, CommandStatus.REJECTED]).exists()


def session_figures(order: ChargingOrder, *, with_power: bool = True) -> dict:
    """What a session page shows of an order: energy, power now, duration and the fee so far
    (the station's tariff on the energy so far; the final fee when it has stopped)."""
    now = timezone.now()
    if order.stopped_at is not None:
        return {
            "energy_kwh": order.energy_kwh,
            "power_kw": Decimal("0"),
            "duration": order.stopped_at - order.started_at,
            "cost": order.amount,
        }
    station = order.station
    fee = order_fee_compute(
        tariff=station.tariff,
        started_at=order.started_at,
        stopped_at=max(now, order.started_at),
        energy_kwh=order.energy_kwh,
        time_zone=station.time_zone,
    )
    sample = None
    if with_power:
        latest = PowerSample.objects.filter(order=order, sampled_at__gte=now - timedelta(minutes=5))
        sample = latest.order_by("-sampled_at").values_list("power_kw", flat=True).first()
    return {
        "energy_kwh": order.energy_kwh,
        "power_kw": sample if sample is not None else Decimal("0"),
        "duration": max(now - order.started_at, timedelta(0)),
        "cost": fee.amount,
    }


def price_now(station) -> dict | None:
    """The price per kWh at the station now: electricity, service fee, their sum, and the local
    time the next price starts; None when the station has no tariff in force."""
    found = tariff_period_at(station.tariff, at=timezone.now(), time_zone=station.time_zone)
    if found is None:
        return None
    period, until = found
    return {
        "electricity": period.electricity_price,
        "service": period.service_fee,
        "total": period.electricity_price + period.service_fee,
        "until": until,
    }


# Finding stations


# A gun another driver holds: cable plugged in, charging, paused, finishing or reserved. OCPP
# says of Preparing that the connector is "no longer available for a new user".
GUN_IN_USE = (
    GunStatus.PREPARING,
    GunStatus.CHARGING,
    GunStatus.SUSPENDED_EV,
    GunStatus.SUSPENDED_EVSE,
    GunStatus.FINISHING,
    GunStatus.RESERVED,
)
# Piles whose guns' statuses are current: a pile in fault is online with a faulted gun.
PILE_ANSWERING = (OnlineStatus.ONLINE, OnlineStatus.FAULT)
EARTH_RADIUS_KM = 6371.0088


def gun_availability(pile: Pile, gun: Gun) -> str:
    """A gun's availability, its pile read `with_online_status()`. Out of service comes first:
    what a silent, disabled or unavailable gun last reported says nothing of now. The finder's
    counts (`_gun_counts`) follow the same rule in the database."""
    if pile.online_status not in PILE_ANSWERING or not pile.is_enabled or gun.status == GunStatus.UNAVAILABLE:
        return GunAvailability.OFFLINE
    if gun.status == GunStatus.FAULTED:
        return GunAvailability.FAULTED
    if gun.status in GUN_IN_USE:
        return GunAvailability.IN_USE
    if gun.status == GunStatus.AVAILABLE:
        return GunAvailability.AVAILABLE
    return GunAvailability.OFFLINE


def _gun_counts(piles) -> dict[int, dict[str, int]]:
    """Station id -> its number of guns per availability, in one query over `piles`."""
    usable = Q(online_status__in=PILE_ANSWERING, usage_state=UsageState.ENABLED)
    rows = (
        piles.with_online_status()
        .values("station")
        .annotate(
            total=Count("guns"),
            available=Count("guns", filter=usable & Q(guns__status=GunStatus.AVAILABLE)),
            in_use=Count("guns", filter=usable & Q(guns__status__in=GUN_IN_USE)),
            faulted=Count("guns", filter=usable & Q(guns__status=GunStatus.FAULTED)),
        )
        .order_by()
    )
    counts = {}
    for row in rows:
        usable_guns = row["available"] + row["in_use"] + row["faulted"]
        # Whatever is not usable is out of service, as in `gun_availability`.
        counts[row["station"]] = {
            GunAvailability.AVAILABLE: row["available"],
            GunAvailability.IN_USE: row["in_use"],
            GunAvailability.OFFLINE: row["total"] - usable_guns,
            GunAvailability.FAULTED: row["faulted"],
        }
    return counts


@dataclass
class StationFound:
    """A station as the driver portal lists it: its guns per availability, the price now
    (`price_now`) and, once an origin is known, how far it is."""

    station: Station
    counts: dict[str, int]
    price: dict | None
    distance_km: float | None = None

    @property
    def availability(self) -> list[tuple[GunAvailability, int]]:
        """(availability, number of guns) in the order a driver reads them."""
        return [(state, self.counts.get(state, 0)) for state in GunAvailability]

    @property
    def gun_total(self) -> int:
        return sum(self.counts.values())


def network_stations(operator) -> list[StationFound]:
    """The network's stations by name, each with its guns counted by availability and the
    price now, in a few queries however many stations there are."""
    stations = (
        Station.objects.filter(area__operator=operator)
        .select_related("area", "tariff")
        .prefetch_related("tariff__periods")
        .order_by("name", "pk")
    )
    counts = _gun_counts(Pile.objects.filter(station__area__operator=operator))
    empty = dict.fromkeys(GunAvailability, 0)
    return [
        StationFound(station=station, counts=counts.get(station.pk, empty), price=price_now(station))
        for station in stations
    ]


def station_for_portal(pk: int) -> StationFound:
    """A station's portal page: its operator, price now, and piles (by name) with their guns,
    each gun's `availability` set; any network's station, as stations are public."""
    piles = Pile.objects.with_online_status().prefetch_related("guns").order_by("name", "pk")
    stations = Station.objects.select_related("area__operator", "tariff").prefetch_related(
        "tariff__periods", Prefetch("piles", queryset=piles)
    )
    station = get_object_or_404(stations, pk=pk)
    counts = Counter()
    for pile in station.piles.all():
        for gun in pile.guns.all():
            gun.availability = GunAvailability(gun_availability(pile, gun))
            counts[gun.availability] += 1
    return StationFound(
        station=station,
        counts={state: counts[state] for state in GunAvailability},
        price=price_now(station),
    )


def distance_km(origin: tuple[float, float], latitude, longitude) -> float:
    """The great-circle distance from origin (latitude, longitude) to a point, in km."""
    lat1, lng1 = map(math.radians, origin)
    lat2, lng2 = math.radians(float(latitude)), math.radians(float(longitude))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def stations_by_distance(found: list[StationFound], origin: tuple[float, float]) -> list[StationFound]:
    """The stations nearest first, each with its distance from origin set."""
    for item in found:
        item.distance_km = distance_km(origin, item.station.latitude, item.station.longitude)
    return sorted(found, key=lambda item: (item.distance_km, item.station.name))


def stations_matching_place(found: list[StationFound], place: str) -> list[StationFound]:
    """Stations whose name, address or area holds every word of a typed place ("Las Vegas",
    "Fremont St"), ignoring case: without a geocoder, the network's own addresses are where a
    place can be found."""
    words = [word for word in re.split(r"[\s,，、;；]+", place.casefold()) if word]
    if not words:
        return []

    def text(station: Station) -> str:
        return f"{station.name} {station.address} {station.area.name}".casefold()

    return [item for item in found if all(word in text(item.station) for word in words)]


def centre_of(found: list[StationFound]) -> tuple[float, float]:
    """The mean position of some stations (close together, as a place's are)."""
    return (
        sum(float(item.station.latitude) for item in found) / len(found),
        sum(float(item.station.longitude) for item in found) / len(found),
    )
