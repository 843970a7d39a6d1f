"""Each filter of the management lists, on its own."""

import pytest
from django.test import RequestFactory

from piles.choices import UsageState
from piles.filtersets import PileFilterSet
from piles.selectors import piles_for_list
from stations.filtersets import AreaFilterSet, StationFilterSet
from stations.models import Area, Station

from .factories import AreaFactory, PileFactory, StationFactory


def run(filterset_class, queryset, user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs)


@pytest.fixture
def network(admin_user):
    north = AreaFactory(operator=admin_user.operator, name="North")
    south = AreaFactory(operator=admin_user.operator, name="South")
    harbour = StationFactory(area=north, name="Harbour", address="1 Quay Road")
    airport = StationFactory(area=south, name="Airport", address="9 Runway Ave")
    return {
        "north": north,
        "south": south,
        "harbour": harbour,
        "airport": airport,
        "ac": PileFactory(station=harbour, name="AC 1", model="XB-11", manufacturer="XingBang"),
        "dc": PileFactory(
            station=airport, name="DC 1", model="TE-120", manufacturer="TELD", charge_point_id="AIR-DC-1"
        ),
        "off": PileFactory(station=airport, name="DC 2", model="TE-120", usage_state=UsageState.DISABLED),
    }


def test_area_keyword(admin_user, network):
    assert run(AreaFilterSet, Area.objects.all(), admin_user, q="nor") == [network["north"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"q": "runway"}, ["airport"]), ({"q": "HARB"}, ["harbour"]), ({"q": "south"}, ["airport"])],
)
def test_station_keyword_searches_name_address_and_area(admin_user, network, params, expected):
    assert run(StationFilterSet, Station.objects.all(), admin_user, **params) == [network[n] for n in expected]


def test_station_area_filter(admin_user, network):
    assert run(StationFilterSet, Station.objects.all(), admin_user, area=network["north"].pk) == [network["harbour"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "air-dc"}, ["dc"]),
        ({"q": "teld"}, ["dc"]),
        ({"model": "TE-120"}, ["dc", "off"]),
        ({"usage_state": "disabled"}, ["off"]),
        ({"online_status": ["unregistered"]}, ["ac", "dc", "off"]),
        ({"online_status": ["online", "fault"]}, []),
    ],
)
def test_pile_filters(admin_user, network, params, expected):
    rows = run(PileFilterSet, piles_for_list(admin_user), admin_user, **params)
    assert sorted(p.pk for p in rows) == sorted(network[n].pk for n in expected)


def test_pile_station_filter(admin_user, network):
    rows = run(PileFilterSet, piles_for_list(admin_user), admin_user, station=network["harbour"].pk)
    assert rows == [network["ac"]]


def test_station_choices_are_only_the_users_own(admin_user, other_operator, network):
    foreign = StationFactory(area=AreaFactory(operator=other_operator))
    request = RequestFactory().get("/", {"station": foreign.pk})
    request.user = admin_user
    filterset = PileFilterSet(request.GET, queryset=piles_for_list(admin_user), request=request)
    assert not filterset.is_valid()
    assert foreign not in filterset.form.fields["station"].queryset


def test_model_choices_list_the_users_models(admin_user, network):
    request = RequestFactory().get("/")
    request.user = admin_user
    filterset = PileFilterSet(request.GET, queryset=piles_for_list(admin_user), request=request)
    assert [value for value, _ in filterset.form.fields["model"].choices if value] == ["TE-120", "XB-11"]


def test_invalid_filter_value_lists_nothing_and_says_why(client, admin_user, network):
    client.force_login(admin_user)
    response = client.get("/piles/", {"usage_state": "exploded"})
    assert list(response.context["table"].data) == []
    assert "Select a valid choice" in response.content.decode()


def test_forbidden_and_missing_pages_are_friendly(client, analyst_user, network):
    client.force_login(analyst_user)
    response = client.get("/piles/add/")
    assert response.status_code == 403
    assert "does not allow" in response.content.decode()
    response = client.get("/piles/999999/")
    assert response.status_code == 404
    assert "another operator" in response.content.decode()
