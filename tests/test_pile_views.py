from decimal import Decimal

from django.utils import timezone

from piles.choices import GunStatus, UsageState
from piles.models import Gun, Pile

from .factories import AreaFactory, ChargingOrderFactory, GunFactory, PileFactory, StationFactory
from .viewtests import ModelViewTests


def pile_form_data(station, guns=((1, "type2"),), **overrides):
    data = {
        "station": station.pk,
        "name": "Pile A",
        "charge_point_id": "LV-0001",
        "manufacturer": "XingBang",
        "model": "XB-11",
        "serial_number": "",
        "rated_power_kw": "11.2",
        "voltage_min": "200",
        "voltage_max": "250",
        "charging_method": "AC",
        "usage_state": "enabled",
        "guns-TOTAL_FORMS": str(len(guns)),
        "guns-INITIAL_FORMS": "0",
        "guns-MIN_NUM_FORMS": "1",
        "guns-MAX_NUM_FORMS": "8",
    }
    for index, (number, connector_type) in enumerate(guns):
        data[f"guns-{index}-connector_id"] = str(number)
        data[f"guns-{index}-connector_type"] = connector_type
    data.update(overrides)
    return data


def edit_form_data(pile, **overrides):
    guns = list(pile.guns.all())
    data = pile_form_data(pile.station, guns=[(g.connector_id, g.connector_type) for g in guns])
    data.update(
        {
            "name": pile.name,
            "charge_point_id": pile.charge_point_id,
            "guns-INITIAL_FORMS": str(len(guns)),
        }
    )
    for index, gun in enumerate(guns):
        data[f"guns-{index}-id"] = str(gun.pk)
        data[f"guns-{index}-pile"] = str(pile.pk)
    data.update(overrides)
    return data


class TestPileViews(ModelViewTests):
    model = Pile
    url_prefix = "piles:pile"

    def make(self, operator):
        pile = PileFactory(station=StationFactory(area=AreaFactory(operator=operator)))
        GunFactory(pile=pile, connector_id=1)
        return pile

    def valid_data(self, operator):
        return pile_form_data(StationFactory(area=AreaFactory(operator=operator)), guns=[(1, "ccs1"), (2, "type1")])

    def invalid_data(self, operator):
        station = StationFactory(area=AreaFactory(operator=operator))
        return pile_form_data(station, rated_power_kw="-5"), "greater than zero"

    def changed_data(self, obj):
        return edit_form_data(obj, rated_power_kw="22"), "rated_power_kw", Decimal("22.00")

    def filter_case(self, operator):
        station = StationFactory(area=AreaFactory(operator=operator))
        enabled = PileFactory(station=station)
        disabled = PileFactory(station=station, usage_state=UsageState.DISABLED)
        return {"usage_state": "disabled"}, disabled, enabled


def test_pile_is_created_with_its_guns(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    client.force_login(admin_user)
    response = client.post("/piles/add/", pile_form_data(station, guns=[(1, "ccs1"), (2, "chademo")]))
    assert response.status_code == 302
    pile = Pile.objects.get(charge_point_id="LV-0001")
    assert [(g.connector_id, g.connector_type) for g in pile.guns.all()] == [(1, "ccs1"), (2, "chademo")]


def bad_pile_post(client, admin_user, data):
    client.force_login(admin_user)
    piles, guns = Pile.objects.count(), Gun.objects.count()
    response = client.post("/piles/add/", data)
    assert response.status_code == 200
    assert (Pile.objects.count(), Gun.objects.count()) == (piles, guns)
    return response.content.decode()


def test_duplicate_charge_point_id_is_refused(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    PileFactory(station=station, charge_point_id="LV-0001")
    assert "already exists" in bad_pile_post(client, admin_user, pile_form_data(station))


def test_voltage_minimum_above_maximum_is_refused(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    content = bad_pile_post(client, admin_user, pile_form_data(station, voltage_min="400", voltage_max="200"))
    assert "must not be below the minimum voltage" in content


def test_gun_number_used_twice_is_refused(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    content = bad_pile_post(client, admin_user, pile_form_data(station, guns=[(1, "ccs1"), (1, "type1")]))
    assert "duplicate" in content.lower()


def test_pile_without_guns_is_refused(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    content = bad_pile_post(client, admin_user, pile_form_data(station, guns=[]))
    assert "at least one gun" in content or "Please submit at least 1 form" in content


def test_charge_point_id_with_unsafe_characters_is_refused(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    content = bad_pile_post(client, admin_user, pile_form_data(station, charge_point_id="bad id/../x"))
    assert "letters, digits" in content


def test_pile_in_another_operators_station_is_refused(client, operator, other_operator, admin_user):
    foreign_station = StationFactory(area=AreaFactory(operator=other_operator))
    content = bad_pile_post(client, admin_user, pile_form_data(foreign_station))
    assert "Select a valid choice" in content


def test_edit_adds_and_removes_guns(client, operator, admin_user):
    pile = TestPileViews().make(operator)
    client.force_login(admin_user)
    data = edit_form_data(
        pile, **{"guns-TOTAL_FORMS": "2", "guns-1-connector_id": "2", "guns-1-connector_type": "ccs1"}
    )
    assert client.post(f"/piles/{pile.pk}/edit/", data).status_code == 302
    assert list(pile.guns.values_list("connector_id", flat=True)) == [1, 2]
    data = edit_form_data(pile, **{"guns-0-DELETE": "on"})
    assert client.post(f"/piles/{pile.pk}/edit/", data).status_code == 302
    assert list(pile.guns.values_list("connector_id", flat=True)) == [2]


def test_disable_and_enable_are_post_only(client, operator, admin_user):
    pile = TestPileViews().make(operator)
    client.force_login(admin_user)
    assert client.get(f"/piles/{pile.pk}/disable/").status_code == 405
    client.post(f"/piles/{pile.pk}/disable/")
    pile.refresh_from_db()
    assert pile.usage_state == UsageState.DISABLED
    client.post(f"/piles/{pile.pk}/enable/")
    pile.refresh_from_db()
    assert pile.usage_state == UsageState.ENABLED


def test_analyst_cannot_disable(client, operator, analyst_user):
    pile = TestPileViews().make(operator)
    client.force_login(analyst_user)
    assert client.post(f"/piles/{pile.pk}/disable/").status_code == 403
    pile.refresh_from_db()
    assert pile.usage_state == UsageState.ENABLED


def test_deleting_a_pile_with_orders_is_refused(client, operator, admin_user):
    pile = TestPileViews().make(operator)
    ChargingOrderFactory(gun=pile.guns.get())
    client.force_login(admin_user)
    response = client.post(f"/piles/{pile.pk}/delete/", follow=True)
    assert "has 1 charging order(s)" in response.content.decode()
    assert Pile.objects.filter(pk=pile.pk).exists()


def test_pile_list_has_a_status_column_per_gun(client, operator, admin_user):
    pile = TestPileViews().make(operator)
    GunFactory(pile=pile, connector_id=2, status=GunStatus.CHARGING)
    client.force_login(admin_user)
    table = client.get("/piles/").context["table"]
    assert [column.header for column in table.columns if column.name.startswith("gun_")] == ["Gun 1", "Gun 2"]
    row = table.rows[0]
    assert row.get_cell_value("gun_2") == "Charging"


def test_online_status_filter(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    online = PileFactory(station=station, registered_at=timezone.now(), last_seen_at=timezone.now(), connected=True)
    unregistered = PileFactory(station=station)
    client.force_login(admin_user)
    rows = list(client.get("/piles/", {"online_status": ["online"]}).context["table"].data)
    assert rows == [online]
    rows = list(client.get("/piles/", {"online_status": ["unregistered"]}).context["table"].data)
    assert rows == [unregistered]


def test_gun_detail_is_scoped(client, operator, other_operator, admin_user):
    own = TestPileViews().make(operator).guns.get()
    foreign = TestPileViews().make(other_operator).guns.get()
    client.force_login(admin_user)
    assert client.get(f"/piles/guns/{own.pk}/").status_code == 200
    assert client.get(f"/piles/guns/{foreign.pk}/").status_code == 404
