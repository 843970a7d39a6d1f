"""Service functions: the only writers of stations, areas, piles and guns."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from piles.choices import GunStatus, OnlineStatus, UsageState
from piles.models import Pile
from piles.services import pile_create, pile_delete, pile_set_usage, pile_update
from stations.models import Station
from stations.services import area_create, area_delete, station_create, station_delete, station_update, stations_move

from .factories import AreaFactory, ChargingOrderFactory, GunFactory, PileFactory, StationFactory, TariffFactory

STATION = {
    "name": "Shanghai Hongqiao Hub",
    "address": "Shenhong Rd, Minhang, Shanghai",
    "latitude": Decimal("31.194000"),
    "longitude": Decimal("121.320000"),
    "time_zone": "Asia/Shanghai",
}
PILE = {
    "name": "DC 1",
    "charge_point_id": "SH-HQ-01",
    "manufacturer": "TELD",
    "model": "TE-120",
    "rated_power_kw": Decimal("120"),
    "voltage_min": 200,
    "voltage_max": 750,
    "charging_method": "DC",
}
GUNS = [{"id": None, "connector_id": 1, "connector_type": "gbt_dc"}]


def test_station_create_records_its_creator(admin_user):
    area = AreaFactory(operator=admin_user.operator)
    station = station_create(user=admin_user, area=area, **STATION)
    assert station.created_by == admin_user
    assert station.area == area


@pytest.mark.parametrize(
    ("field", "value"),
    [("latitude", Decimal("-90.5")), ("longitude", Decimal("180.1")), ("time_zone", "Mars/Olympus"), ("name", "")],
)
def test_station_create_refuses_bad_values(admin_user, field, value):
    area = AreaFactory(operator=admin_user.operator)
    with pytest.raises(ValidationError) as error:
        station_create(user=admin_user, area=area, **(STATION | {field: value}))
    assert field in error.value.message_dict
    assert not Station.objects.exists()


def test_station_cannot_use_another_operators_tariff(admin_user, other_operator):
    area = AreaFactory(operator=admin_user.operator)
    with pytest.raises(ValidationError, match="another operator"):
        station_create(user=admin_user, area=area, tariff=TariffFactory(operator=other_operator), **STATION)


def test_station_cannot_move_to_another_operators_area(admin_user, other_operator):
    station = StationFactory(area=AreaFactory(operator=admin_user.operator))
    with pytest.raises(ValidationError, match="another operator"):
        station_update(user=admin_user, station=station, area=AreaFactory(operator=other_operator))


def test_stations_move_refuses_foreign_stations_and_moves_none(admin_user, other_operator):
    target = AreaFactory(operator=admin_user.operator)
    own = StationFactory(area=AreaFactory(operator=admin_user.operator))
    foreign = StationFactory(area=AreaFactory(operator=other_operator))
    with pytest.raises(ValidationError):
        stations_move(user=admin_user, stations=[own, foreign], area=target)
    own.refresh_from_db()
    assert own.area != target


def test_station_delete_refuses_while_orders_exist(admin_user):
    order = ChargingOrderFactory(gun__pile__station__area__operator=admin_user.operator)
    station = order.station
    with pytest.raises(ValidationError, match="charging order"):
        station_delete(user=admin_user, station=station)


def test_empty_station_and_area_can_be_deleted(admin_user):
    area = area_create(user=admin_user, name="Temporary")
    station = station_create(user=admin_user, area=area, **STATION)
    with pytest.raises(ValidationError, match="move them"):
        area_delete(user=admin_user, area=area)
    station_delete(user=admin_user, station=station)
    area_delete(user=admin_user, area=area)
    assert not Station.objects.exists()


def test_area_name_is_unique_per_operator_only(admin_user, other_operator):
    area_create(user=admin_user, name="Shanghai")
    area_create(user=None, operator=other_operator, name="Shanghai")
    with pytest.raises(ValidationError):
        area_create(user=admin_user, name="Shanghai")


def test_pile_create_with_guns(admin_user):
    station = StationFactory(area=AreaFactory(operator=admin_user.operator))
    guns = [
        {"id": None, "connector_id": 1, "connector_type": "gbt_dc"},
        {"id": None, "connector_id": 2, "connector_type": "gbt_dc"},
    ]
    pile = pile_create(user=admin_user, station=station, guns=guns, **PILE)
    assert pile.guns.count() == 2
    assert pile.online_status == OnlineStatus.UNREGISTERED


@pytest.mark.parametrize(
    ("changes", "guns", "message"),
    [
        ({"rated_power_kw": Decimal("-1")}, GUNS, "greater than zero"),
        ({"voltage_min": 800}, GUNS, "minimum voltage"),
        ({"charge_point_id": "has space"}, GUNS, "letters, digits"),
        ({"charge_point_id": "CP1\n"}, GUNS, "letters, digits"),
        ({}, [], "at least one gun"),
        ({}, GUNS * 2, "used twice"),
        ({}, [{"id": None, "connector_id": 0, "connector_type": "gbt_dc"}], "start at 1"),
    ],
)
def test_pile_create_refuses_bad_input_and_writes_nothing(admin_user, changes, guns, message):
    station = StationFactory(area=AreaFactory(operator=admin_user.operator))
    with pytest.raises(ValidationError, match=message):
        pile_create(user=admin_user, station=station, guns=guns, **(PILE | changes))
    assert not Pile.objects.exists()


def test_duplicate_charge_point_id_is_refused(admin_user):
    station = StationFactory(area=AreaFactory(operator=admin_user.operator))
    pile_create(user=admin_user, station=station, guns=GUNS, **PILE)
    with pytest.raises(ValidationError, match="already exists"):
        pile_create(user=admin_user, station=station, guns=GUNS, **(PILE | {"name": "DC 2"}))


def test_pile_cannot_move_to_another_operators_station(admin_user, other_operator):
    pile = PileFactory(station=StationFactory(area=AreaFactory(operator=admin_user.operator)))
    with pytest.raises(ValidationError, match="own operator"):
        pile_update(user=admin_user, pile=pile, station=StationFactory(area=AreaFactory(operator=other_operator)))


def test_gun_with_orders_cannot_be_removed(admin_user):
    order = ChargingOrderFactory(gun__pile__station__area__operator=admin_user.operator, gun__connector_id=1)
    gun = order.gun
    spare = GunFactory(pile=gun.pile, connector_id=2)
    rows = [
        {"id": gun, "connector_id": 1, "connector_type": gun.connector_type, "DELETE": True},
        {"id": spare, "connector_id": 2, "connector_type": spare.connector_type},
    ]
    with pytest.raises(ValidationError, match="cannot be removed"):
        pile_update(user=admin_user, pile=gun.pile, guns=rows)
    assert gun.pile.guns.count() == 2


def test_pile_delete_refuses_with_orders_and_usage_toggles(admin_user):
    order = ChargingOrderFactory(gun__pile__station__area__operator=admin_user.operator)
    with pytest.raises(ValidationError, match="Disable it instead"):
        pile_delete(user=admin_user, pile=order.pile)
    pile_set_usage(user=admin_user, pile=order.pile, usage_state=UsageState.DISABLED)
    order.pile.refresh_from_db()
    assert order.pile.usage_state == UsageState.DISABLED


@override_settings(PILE_OFFLINE_AFTER_SECONDS=600)
def test_online_status_rule_and_its_database_annotation_agree(operator):
    now = timezone.now()
    station = StationFactory(area=AreaFactory(operator=operator))
    cases = {
        "unregistered": PileFactory(station=station),
        "online": PileFactory(station=station, registered_at=now, last_seen_at=now, connected=True),
        "offline": PileFactory(station=station, registered_at=now, last_seen_at=now, connected=False),
        "silent": PileFactory(
            station=station, registered_at=now, last_seen_at=now - timedelta(seconds=601), connected=True
        ),
        "fault": PileFactory(station=station, registered_at=now, last_seen_at=now, connected=True),
    }
    GunFactory(pile=cases["fault"], status=GunStatus.FAULTED)
    GunFactory(pile=cases["online"], status=GunStatus.CHARGING)
    expected = {
        "unregistered": OnlineStatus.UNREGISTERED,
        "online": OnlineStatus.ONLINE,
        "offline": OnlineStatus.OFFLINE,
        "silent": OnlineStatus.OFFLINE,
        "fault": OnlineStatus.FAULT,
    }
    annotated = {pile.pk: pile.online_status for pile in Pile.objects.with_online_status()}
    for name, pile in cases.items():
        fresh = Pile.objects.get(pk=pile.pk)
        assert fresh.online_status == expected[name], name
        assert annotated[pile.pk] == expected[name], name
