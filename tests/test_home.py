import json
import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from piles.choices import GunStatus

from .factories import AreaFactory, GunFactory, PileFactory, StationFactory, UserFactory


def test_home_counts_and_maps_only_the_users_network(client, operator, other_operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator), name="Hongqiao Hub")
    online = PileFactory(station=station, registered_at=timezone.now(), last_seen_at=timezone.now(), connected=True)
    GunFactory(pile=online, status=GunStatus.CHARGING, live_power_kw=Decimal("41.5"))
    GunFactory(pile=online, status=GunStatus.CHARGING, live_power_kw=Decimal("20"))
    PileFactory(station=station)
    StationFactory(area=AreaFactory(operator=other_operator), name="Elsewhere")
    client.force_login(admin_user)
    response = client.get("/")
    counts = response.context["pile_counts"]
    assert (counts["total"], counts["online"], counts["unregistered"], counts["offline"]) == (2, 1, 1, 0)
    points = json.loads(response.content.decode().split('id="map-points" type="application/json">')[1].split("<")[0])
    assert [(p["name"], p["online"], p["unregistered"], p["live_kw"]) for p in points] == [("Hongqiao Hub", 1, 1, 61.5)]


def test_home_narrowed_to_an_area_counts_its_piles_and_still_maps_the_whole_network(client, operator, admin_user):
    east, west = AreaFactory(operator=operator, name="East"), AreaFactory(operator=operator, name="West")
    hub = StationFactory(area=east, name="East Hub")
    PileFactory(station=hub, registered_at=timezone.now(), last_seen_at=timezone.now(), connected=True)
    PileFactory(station=hub)
    PileFactory(station=StationFactory(area=west, name="West Hub"))
    client.force_login(admin_user)
    response = client.get("/", {"area": east.pk})
    assert response.context["station_count"] == 1
    counts = response.context["pile_counts"]
    assert (counts["total"], counts["online"], counts["unregistered"]) == (2, 1, 1)
    points = json.loads(response.content.decode().split('id="map-points" type="application/json">')[1].split("<")[0])
    assert [(p["name"], p["total"]) for p in points] == [("East Hub", 2), ("West Hub", 1)]


def test_menu_marks_only_the_closest_entry_active(client, admin_user):
    client.force_login(admin_user)
    menu = client.get("/stations/areas/").context["menu"]
    active = [item["label"] for section in menu for item in section["items"] if item.get("active")]
    assert [str(label) for label in active] == ["Operations areas"]


def test_menu_shows_only_permitted_entries(client, operator):
    client.force_login(UserFactory(operator=operator))
    menu = client.get("/").context["menu"]
    labels = [str(item["label"]) for section in menu for item in section["items"]]
    assert labels == ["Dashboard"]


def test_a_new_operator_without_stations_sees_every_page_empty(client, operator, other_operator, admin_user):
    """No station yet: each figure is zero and each table empty, while another operator's
    data exists; the filters by an empty list of stations match nothing on either database."""
    station = StationFactory(area=AreaFactory(operator=other_operator))
    PileFactory(station=station)
    client.force_login(admin_user)
    response = client.get("/", {"granularity": "month"})
    assert response.status_code == 200
    assert response.context["station_count"] == 0
    assert {card["value"] for card in response.context["figure_cards"]} == {0}
    for path in ("/analytics/orders/", "/analytics/usage/", "/analytics/month-on-month/", "/analytics/power/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert all(not entry["table"].data for entry in response.context["tables"]), path


def test_the_dashboard_reads_a_fixed_few_queries_however_large_the_network(client, operator, admin_user):
    """Signing in (session, user with operator, roles, permissions), the network's stations
    (the map's, the scope's and the station options alike), its piles by status with their
    power, the order figures, the work orders, the faults and the area options: ten."""

    def dashboard_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return [query["sql"] for query in queries]

    client.force_login(admin_user)
    area = AreaFactory(operator=operator)
    GunFactory(pile=PileFactory(station=StationFactory(area=area)))
    few = dashboard_queries()
    for _ in range(3):
        GunFactory(pile=PileFactory(station=StationFactory(area=AreaFactory(operator=operator))))
    many = dashboard_queries()
    assert len(many) == len(few) <= 10
    assert sum('FROM "stations_station"' in sql for sql in many) == 1


def test_the_station_filter_lists_the_network_s_stations_and_keeps_the_chosen_one(
    client, operator, other_operator, admin_user
):
    area = AreaFactory(operator=operator)
    second, first = StationFactory(area=area, name="Zhangjiang Park"), StationFactory(area=area, name="Hongqiao Hub")
    StationFactory(area=AreaFactory(operator=other_operator), name="Elsewhere")
    client.force_login(admin_user)
    for path in ("/", "/analytics/orders/", "/analytics/usage/"):
        page = client.get(path, {"station": second.pk}).content.decode()
        select = page.split('<select name="station"')[1].split("</select>")[0]
        options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', select)
        assert options == [
            ("", "", "All"),
            (str(first.pk), "", "Hongqiao Hub"),
            (str(second.pk), " selected", "Zhangjiang Park"),
        ], path
