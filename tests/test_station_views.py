from decimal import Decimal

from stations.models import Area, Station

from .factories import AreaFactory, PileFactory, StationFactory
from .viewtests import ModelViewTests


class TestAreaViews(ModelViewTests):
    model = Area
    url_prefix = "stations:area"

    def make(self, operator):
        return AreaFactory(operator=operator)

    def valid_data(self, operator):
        return {"name": "Bay Area", "description": "San Jose and around"}

    def invalid_data(self, operator):
        AreaFactory(operator=operator, name="Nevada")
        return {"name": "Nevada"}, "already has an area with this name"

    def changed_data(self, obj):
        return {"name": "Renamed area", "description": ""}, "name", "Renamed area"

    def filter_case(self, operator):
        nevada, bay = AreaFactory(operator=operator, name="Nevada"), AreaFactory(operator=operator, name="Bay Area")
        return {"q": "nev"}, nevada, bay


class TestStationViews(ModelViewTests):
    model = Station
    url_prefix = "stations:station"

    def make(self, operator):
        return StationFactory(area=AreaFactory(operator=operator))

    def valid_data(self, operator):
        area = AreaFactory(operator=operator)
        return {
            "area": area.pk,
            "name": "CES Las Vegas Station",
            "address": "3150 Paradise Rd, Las Vegas, NV 89109, USA",
            "latitude": "36.131200",
            "longitude": "-115.151300",
            "time_zone": "America/Los_Angeles",
        }

    def invalid_data(self, operator):
        data = self.valid_data(operator)
        data["latitude"] = "91"
        return data, "less than or equal to 90"

    def changed_data(self, obj):
        return (
            {
                "area": obj.area_id,
                "name": obj.name,
                "address": "1055 N 7th St, San Jose, CA 95112, USA",
                "latitude": "37.353400",
                "longitude": "-121.893000",
                "time_zone": "America/Los_Angeles",
            },
            "latitude",
            Decimal("37.353400"),
        )

    def filter_case(self, operator):
        area = AreaFactory(operator=operator)
        vegas = StationFactory(area=area, name="Las Vegas Strip")
        sanjose = StationFactory(area=area, name="San Jose Downtown")
        return {"q": "strip"}, vegas, sanjose


def test_station_list_counts_piles(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    PileFactory.create_batch(3, station=station)
    client.force_login(admin_user)
    table = client.get("/stations/").context["table"]
    assert [row.record.pile_count for row in table.rows] == [3]


def test_station_form_refuses_another_operators_area(client, operator, other_operator, admin_user):
    foreign_area = AreaFactory(operator=other_operator)
    client.force_login(admin_user)
    data = TestStationViews().valid_data(operator) | {"area": foreign_area.pk}
    response = client.post("/stations/add/", data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Station.objects.exists()


def test_deleting_a_station_with_piles_is_refused_with_the_reason(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    PileFactory(station=station)
    client.force_login(admin_user)
    response = client.post(f"/stations/{station.pk}/delete/", follow=True)
    assert "still has 1 pile(s)" in response.content.decode()
    assert Station.objects.filter(pk=station.pk).exists()


def test_moving_stations_between_areas(client, operator, other_operator, admin_user):
    source, target = AreaFactory(operator=operator), AreaFactory(operator=operator)
    station = StationFactory(area=source)
    foreign = StationFactory(area=AreaFactory(operator=other_operator))
    client.force_login(admin_user)
    client.post(f"/stations/areas/{target.pk}/move-stations/", {"stations": [station.pk, foreign.pk]})
    station.refresh_from_db()
    foreign.refresh_from_db()
    assert station.area == source, "a forged foreign station id refuses the whole move"
    client.post(f"/stations/areas/{target.pk}/move-stations/", {"stations": [station.pk]})
    station.refresh_from_db()
    assert station.area == target


def test_station_form_without_areas_says_to_add_one_first(client, admin_user):
    client.force_login(admin_user)
    content = client.get("/stations/add/").content.decode()
    assert "There is no operations area yet." in content
    assert 'href="/stations/areas/add/"' in content
