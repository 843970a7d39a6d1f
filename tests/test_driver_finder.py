"""Finding a station in the driver portal: the list nearest first from the phone's position or a
typed place, every station's guns counted by availability, the price now, and a station's page."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from drivers.choices import GunAvailability
from drivers.selectors import network_stations, station_for_portal
from drivers.services import driver_register
from drivers.templatetags.portal_finder import distance, per_kwh
from drivers.views.base import NETWORK_SESSION_KEY
from orders.services import tariff_create, tariff_schedule_set
from piles.choices import GunStatus, UsageState
from stations.models import Station

from .factories import (
    AreaFactory,
    GunFactory,
    OperatorFactory,
    PileFactory,
    StationFactory,
    UserFactory,
    time_of_use_tariff,
)

FINDER = reverse("drivers:station_finder")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def station_at(area, name, lat, lng, **fields):
    return StationFactory(area=area, name=name, latitude=Decimal(lat), longitude=Decimal(lng), **fields)


def online_pile(station, **fields):
    now = timezone.now()
    return PileFactory(station=station, **{"registered_at": now, "connected": True, "last_seen_at": now, **fields})


def visit(client, operator):
    """A visitor who chose the operator's network."""
    session = client.session
    session[NETWORK_SESSION_KEY] = operator.pk
    session.save()


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [item.station.name for item in response.context["stations"]]


@pytest.fixture
def usa(db):
    """A network of four stations across the United States, named out of distance order."""
    operator = OperatorFactory(name="Volt USA", currency="USD")
    west = AreaFactory(operator=operator, name="Nevada")
    east = AreaFactory(operator=operator, name="East Coast")
    station_at(west, "A Henderson Galleria", "36.064400", "-115.038600", address="1300 W Sunset Rd, Henderson, NV")
    station_at(east, "B Boston Seaport", "42.350300", "-71.044600", address="100 Northern Ave, Boston, MA")
    station_at(west, "C Fremont Street", "36.169130", "-115.140920", address="450 Fremont St, Las Vegas, NV")
    station_at(east, "D Hudson Yards", "40.753800", "-74.000900", address="500 W 33rd St, New York, NY")
    return operator


# --- the order of the list --------------------------------------------------------------------


def test_the_list_is_nearest_first_from_the_phones_position(client, usa):
    visit(client, usa)
    # Near Times Square: New York, then Boston, then the two in Nevada (Henderson lies east of Las Vegas).
    response = client.get(FINDER, {"lat": "40.758", "lng": "-73.9855"})
    assert listed(response) == ["D Hudson Yards", "B Boston Seaport", "A Henderson Galleria", "C Fremont Street"]
    distances = [item.distance_km for item in response.context["stations"]]
    assert distances == sorted(distances)
    assert 0.5 < distances[0] < 2  # Hudson Yards is about a kilometre from Times Square
    assert 300 < distances[1] < 320  # Boston
    assert "Nearest first from your position." in response.content.decode()


def test_without_a_position_the_list_is_by_name(client, usa):
    visit(client, usa)
    response = client.get(FINDER)
    assert listed(response) == ["A Henderson Galleria", "B Boston Seaport", "C Fremont Street", "D Hudson Yards"]
    assert all(item.distance_km is None for item in response.context["stations"])
    assert response.context["origin"] is None


def test_a_typed_city_is_found_among_the_networks_addresses(client, usa):
    visit(client, usa)
    response = client.get(FINDER, {"q": "  las VEGAS "})
    # The origin is Fremont Street itself (the only match): it comes first, Henderson next.
    assert listed(response)[:2] == ["C Fremont Street", "A Henderson Galleria"]
    assert response.context["origin"] == pytest.approx((36.16913, -115.14092))
    assert response.context["stations"][0].distance_km == pytest.approx(0, abs=0.001)
    assert "Nearest first from “las VEGAS”." in response.content.decode()


def test_a_typed_place_matches_every_word_in_name_address_or_area_and_uses_their_centre(client, usa):
    visit(client, usa)
    # Both Nevada stations are in the area "Nevada"; their centre lies between them.
    response = client.get(FINDER, {"q": "nevada"})
    assert sorted(listed(response)[:2]) == ["A Henderson Galleria", "C Fremont Street"]
    lat, lng = response.context["origin"]
    assert lat == pytest.approx((36.0644 + 36.16913) / 2)
    assert lng == pytest.approx((-115.0386 + -115.14092) / 2)
    # Words in any order, across commas.
    response = client.get(FINDER, {"q": "Boston, northern"})
    assert listed(response)[0] == "B Boston Seaport"


def test_a_typed_place_no_station_has_says_so_and_lists_by_name(client, usa):
    visit(client, usa)
    response = client.get(FINDER, {"q": "Paris"})
    assert listed(response) == ["A Henderson Galleria", "B Boston Seaport", "C Fremont Street", "D Hudson Yards"]
    assert response.context["origin"] is None
    page = response.content.decode()
    assert "No station of Volt USA has “Paris” in its name or address." in page
    assert "Nearest first" not in page


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "north", "lng": "-115"},
        {"lat": "91", "lng": "-115"},
        {"lat": "36", "lng": "-180.5"},
        {"lat": "nan", "lng": "-115"},
        {"lat": "inf", "lng": "1"},
        {"lat": "36.1"},
        {"lat": "", "lng": ""},
    ],
)
def test_a_bad_position_is_explained_and_the_list_is_by_name(client, usa, params):
    visit(client, usa)
    response = client.get(FINDER, params)
    assert listed(response) == ["A Henderson Galleria", "B Boston Seaport", "C Fremont Street", "D Hudson Yards"]
    assert response.context["origin"] is None
    assert "Your position could not be read. The stations are listed by name." in response.content.decode()


# --- what is listed ---------------------------------------------------------------------------


def test_only_the_networks_stations_are_listed(client, usa):
    other = OperatorFactory(name="Elsewhere")
    station_at(AreaFactory(operator=other), "Z Not ours", "40.75", "-73.99")
    visit(client, usa)
    names = listed(client.get(FINDER, {"lat": "40.758", "lng": "-73.9855"}))
    assert "Z Not ours" not in names
    assert len(names) == 4


def test_a_drivers_list_is_their_own_networks(client, usa):
    other = OperatorFactory(name="Elsewhere")
    station_at(AreaFactory(operator=other), "Z Theirs", "40.75", "-73.99")
    user = UserFactory(operator=None, email="driver@example.com")
    driver_register(user=user, operator=other)
    client.force_login(user)
    visit(client, usa)  # a network remembered from before signing up does not count
    assert listed(client.get(FINDER)) == ["Z Theirs"]


def test_without_a_network_the_visitor_chooses_one(client, db):
    response = client.get(FINDER)
    assert response.status_code == 302
    assert response["Location"] == reverse("drivers:network_list")


def test_a_network_without_stations_says_so(client, db):
    visit(client, OperatorFactory(name="Empty"))
    response = client.get(FINDER)
    assert listed(response) == []
    assert "This network has no stations yet." in response.content.decode()


def test_the_list_refreshes_itself_and_each_station_has_its_links(client, usa):
    visit(client, usa)
    page = client.get(FINDER).content.decode()
    assert 'id="station-list" class="station-list" data-refresh-every="15000"' in page
    assert "chargeops/refresh_section.js" in page
    fremont = usa.areas.get(name="Nevada").stations.get(name="C Fremont Street")
    assert reverse("drivers:portal_station", args=[fremont.pk]) in page
    assert "https://www.openstreetmap.org/directions?to=36.169130%2C-115.140920" in page
    assert 'data-lat="36.169130" data-lng="-115.140920"' in page
    assert "Open 24 hours" in page


def test_the_finder_reads_the_same_few_queries_however_many_stations(client, usa, django_assert_max_num_queries):
    visit(client, usa)

    def find():
        assert client.get(FINDER, {"lat": "40.7", "lng": "-74"}).status_code == 200

    tariff = tariff_create(user=None, operator=usa, name="Flat")
    tariff_schedule_set(
        user=None,
        tariff=tariff,
        effective_from=date(2025, 1, 1),
        periods=[{"starts_at": time(0), "electricity_price": Decimal("0.3"), "service_fee": Decimal("0.1")}],
    )
    area = usa.areas.first()
    for index in range(2):
        station = station_at(area, f"Few {index}", "40.7", "-74.0", tariff=tariff)
        GunFactory(pile=online_pile(station))
    with CaptureQueriesContext(connection) as few:
        find()
    for index in range(12):
        station = station_at(area, f"Many {index}", "40.7", "-74.0", tariff=tariff if index % 2 else None)
        pile = online_pile(station)
        GunFactory(pile=pile, status=GunStatus.CHARGING)
        GunFactory(pile=pile, status=GunStatus.FAULTED)
    # The session, the network, the stations, their tariffs' periods, the guns counted.
    assert len(few) <= 5
    with django_assert_max_num_queries(len(few)):
        find()


# --- guns by availability ---------------------------------------------------------------------


@pytest.fixture
def busy_station(usa):
    """One station with a gun in each state a driver tells apart."""
    station = station_at(usa.areas.first(), "Busy", "36.1", "-115.1")
    pile = online_pile(station, name="Online")
    for status in (
        GunStatus.AVAILABLE,
        GunStatus.AVAILABLE,
        GunStatus.CHARGING,
        GunStatus.SUSPENDED_EV,
        GunStatus.PREPARING,
        GunStatus.FAULTED,
        GunStatus.UNAVAILABLE,
    ):
        GunFactory(pile=pile, status=status)
    disabled = online_pile(station, name="Disabled", usage_state=UsageState.DISABLED)
    GunFactory(pile=disabled, status=GunStatus.AVAILABLE)
    silent = online_pile(station, name="Silent")
    silent.last_seen_at = timezone.now() - timedelta(days=1)
    silent.save()
    GunFactory(pile=silent, status=GunStatus.AVAILABLE)
    never_booted = PileFactory(station=station, name="New")
    GunFactory(pile=never_booted, status=GunStatus.AVAILABLE)
    disconnected = online_pile(station, name="Disconnected", connected=False)
    GunFactory(pile=disconnected, status=GunStatus.FAULTED)
    return station


EXPECTED_COUNTS = {
    GunAvailability.AVAILABLE: 2,
    GunAvailability.IN_USE: 3,  # charging, suspended by the vehicle, cable plugged in
    GunAvailability.OFFLINE: 5,  # unavailable, disabled pile, silent, never booted, disconnected
    GunAvailability.FAULTED: 1,  # only where the pile answers: a silent pile's fault is old news
}


def test_the_list_counts_guns_by_availability(usa, busy_station):
    [found] = [item for item in network_stations(usa) if item.station == busy_station]
    assert found.counts == EXPECTED_COUNTS
    assert found.gun_total == 11
    others = [item for item in network_stations(usa) if item.station != busy_station]
    assert all(item.counts == dict.fromkeys(GunAvailability, 0) for item in others)


def test_the_station_page_tells_each_gun_as_the_list_counts_them(usa, busy_station):
    found = station_for_portal(busy_station.pk)
    assert found.counts == EXPECTED_COUNTS
    states = {
        (pile.name, gun.status): gun.availability for pile in found.station.piles.all() for gun in pile.guns.all()
    }
    assert states[("Online", GunStatus.PREPARING)] == GunAvailability.IN_USE
    assert states[("Online", GunStatus.FAULTED)] == GunAvailability.FAULTED
    assert states[("Online", GunStatus.UNAVAILABLE)] == GunAvailability.OFFLINE
    assert states[("Disabled", GunStatus.AVAILABLE)] == GunAvailability.OFFLINE
    assert states[("Silent", GunStatus.AVAILABLE)] == GunAvailability.OFFLINE
    assert states[("Disconnected", GunStatus.FAULTED)] == GunAvailability.OFFLINE


def test_the_counts_show_on_the_list_as_chips(client, usa, busy_station):
    visit(client, usa)
    page = client.get(FINDER, {"q": "Busy"}).content.decode()
    assert '<span class="state state-ok"><b>2</b> Available</span>' in page
    assert '<span class="state state-busy"><b>3</b> In use</span>' in page
    assert '<span class="state "><b>5</b> Offline</span>' in page
    assert '<span class="state state-bad"><b>1</b> Faulted</span>' in page


# --- the price now ----------------------------------------------------------------------------


@pytest.fixture
def time_of_use(usa):
    return time_of_use_tariff(usa, evening=(Decimal("0.6150"), Decimal("0.2000")))


def at_local(monkeypatch, moment: datetime):
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(ZoneInfo("UTC")))


def test_the_price_now_is_the_period_in_force_on_the_stations_clock(client, usa, time_of_use, monkeypatch):
    station = station_at(usa.areas.first(), "Priced", "36.1", "-115.1", tariff=time_of_use)
    visit(client, usa)
    # 09:30 in Las Vegas is 17:30 UTC: the peak, until 20:00.
    at_local(monkeypatch, datetime(2025, 3, 3, 9, 30, tzinfo=LOS_ANGELES))
    [found] = [item for item in network_stations(usa) if item.station == station]
    assert found.price == {
        "electricity": Decimal("1.0000"),
        "service": Decimal("0.5000"),
        "total": Decimal("1.5000"),
        "until": time(20),
    }
    page = client.get(reverse("drivers:portal_station", args=[station.pk])).content.decode()
    assert "<strong>1.50 USD/kWh</strong>" in page
    assert "The price changes at 20:00" in page
    assert "until 20:00" in client.get(FINDER, {"q": "Priced"}).content.decode()
    assert "1.00 USD/kWh" in page and "0.50 USD/kWh" in page

    # 21:00: the evening price runs to midnight, its decimals as the tariff has them.
    at_local(monkeypatch, datetime(2025, 3, 3, 21, 0, tzinfo=LOS_ANGELES))
    page = client.get(reverse("drivers:portal_station", args=[station.pk])).content.decode()
    assert "<strong>0.815 USD/kWh</strong>" in page
    assert "0.615 USD/kWh" in page
    assert "This price holds until midnight" in page
    page = client.get(FINDER, {"q": "Priced"}).content.decode()
    assert "<strong>0.815 USD/kWh</strong>" in page


def test_a_station_without_a_tariff_charges_nothing(client, usa):
    station = station_at(usa.areas.first(), "Free", "36.1", "-115.1")
    [found] = [item for item in network_stations(usa) if item.station == station]
    assert found.price is None
    visit(client, usa)
    page = client.get(reverse("drivers:portal_station", args=[station.pk])).content.decode()
    assert "<strong>Free</strong>" in page
    assert "Electricity" not in page


def test_prices_and_distances_read_as_a_driver_reads_them():
    assert per_kwh(Decimal("0.2150"), "USD") == "0.215 USD/kWh"
    assert per_kwh(Decimal("0.2000"), "CNY") == "0.20 CNY/kWh"
    assert per_kwh(Decimal("12"), "") == "12.00/kWh"
    assert per_kwh(None, "USD") == "—"
    assert distance(0.3449) == "340 m"
    assert distance(0.001) == "10 m"
    assert distance(1.234) == "1.2 km"
    assert distance(9.96) == "10 km"
    assert distance(2345.6) == "2,346 km"
    assert distance(None) == ""


# --- a station's page -------------------------------------------------------------------------


def test_the_station_page_lists_piles_and_guns_with_links_to_each_gun(client, usa, busy_station):
    busy_station.opening_hours = "Mon–Fri 07:00–22:00"
    busy_station.save()
    visit(client, usa)
    response = client.get(reverse("drivers:portal_station", args=[busy_station.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert busy_station.address in page
    assert "Mon–Fri 07:00–22:00" in page
    for pile in busy_station.piles.all():
        assert pile.name in page
        for gun in pile.guns.all():
            assert reverse("drivers:gun", args=[pile.charge_point_id, gun.connector_id]) in page
    assert 'id="station-live" data-refresh-every="15000"' in page
    assert "data-navigate" in page


def test_a_station_of_another_network_is_shown_and_remembered_for_a_visitor(client, usa):
    other = OperatorFactory(name="Elsewhere")
    theirs = station_at(AreaFactory(operator=other), "Theirs", "40.75", "-73.99")
    visit(client, usa)
    response = client.get(reverse("drivers:portal_station", args=[theirs.pk]))
    assert response.status_code == 200
    assert response.context["network"] == other
    assert client.session[NETWORK_SESSION_KEY] == other.pk


def test_a_drivers_network_stays_when_they_look_at_another_networks_station(client, usa):
    other = OperatorFactory(name="Elsewhere")
    theirs = station_at(AreaFactory(operator=other), "Theirs", "40.75", "-73.99")
    user = UserFactory(operator=None, email="driver@example.com")
    driver_register(user=user, operator=usa)
    client.force_login(user)
    response = client.get(reverse("drivers:portal_station", args=[theirs.pk]))
    assert response.status_code == 200
    assert response.context["network"] == usa
    assert NETWORK_SESSION_KEY not in client.session
    assert "This station is in the Elsewhere network" in response.content.decode()


def test_an_unknown_station_is_not_found(client, usa):
    visit(client, usa)
    assert client.get(reverse("drivers:portal_station", args=[999999])).status_code == 404


# --- opening hours in the back office ---------------------------------------------------------


def edit_station(client, station, opening_hours):
    data = {
        "area": station.area_id,
        "name": station.name,
        "address": station.address,
        "latitude": str(station.latitude),
        "longitude": str(station.longitude),
        "time_zone": station.time_zone,
        "opening_hours": opening_hours,
    }
    return client.post(reverse("stations:station_edit", args=[station.pk]), data)


def test_opening_hours_are_set_on_the_station_form_and_shown_on_its_page(client, operator, admin_user):
    station = StationFactory(area__operator=operator)
    client.force_login(admin_user)
    detail = reverse("stations:station_detail", args=[station.pk])
    assert "Open 24 hours" in client.get(detail).content.decode()
    assert 'name="opening_hours"' in client.get(reverse("stations:station_edit", args=[station.pk])).content.decode()
    assert edit_station(client, station, "Daily 06:00–23:00").status_code == 302
    station.refresh_from_db()
    assert station.opening_hours == "Daily 06:00–23:00"
    assert "Daily 06:00–23:00" in client.get(detail).content.decode()
    station_type = ContentType.objects.get_for_model(Station)
    entry = AuditEntry.objects.filter(content_type=station_type, object_id=station.pk).latest("pk")
    assert entry.changes == {"Opening hours": ["", "Daily 06:00–23:00"]}


def test_opening_hours_longer_than_the_field_are_refused(client, operator, admin_user):
    station = StationFactory(area__operator=operator)
    client.force_login(admin_user)
    response = edit_station(client, station, "x" * 101)
    assert response.status_code == 200
    assert "at most 100 characters" in response.content.decode()
    station.refresh_from_db()
    assert station.opening_hours == ""
