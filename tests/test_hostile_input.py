"""Forged ids, hostile names and odd query strings: refused or handled, never a 500, and
nothing of another operator changes."""

from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from analytics.selectors import user_today
from piles.models import Gun, Pile

from .factories import (
    AreaFactory,
    ChargingOrderFactory,
    GunFactory,
    PileFactory,
    StationFactory,
    WorkOrderFactory,
)
from .test_pile_views import edit_form_data, pile_form_data


def own_pile(operator, guns=1):
    pile = PileFactory(station=StationFactory(area=AreaFactory(operator=operator)))
    for number in range(1, guns + 1):
        GunFactory(pile=pile, connector_id=number, connector_type="ccs1")
    return pile


@pytest.mark.parametrize("delete", [False, True])
def test_forged_gun_id_of_another_operator_changes_nothing_on_edit(
    client, operator, other_operator, admin_user, delete
):
    pile = own_pile(operator)
    foreign = own_pile(other_operator).guns.get()
    client.force_login(admin_user)
    forged = {
        "guns-TOTAL_FORMS": "2",
        "guns-1-id": str(foreign.pk),
        "guns-1-connector_id": "7",
        "guns-1-connector_type": "chademo",
    }
    if delete:
        forged["guns-1-DELETE"] = "on"
    response = client.post(f"/piles/{pile.pk}/edit/", edit_form_data(pile, **forged))
    if not delete:
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert Gun.objects.filter(pk=foreign.pk, connector_id=1, connector_type="ccs1").exists()
    assert list(pile.guns.values_list("connector_id", flat=True)) == [1]


def test_forged_gun_id_is_refused_on_add(client, operator, other_operator, admin_user):
    foreign = own_pile(other_operator).guns.get()
    station = StationFactory(area=AreaFactory(operator=operator))
    client.force_login(admin_user)
    data = pile_form_data(station, guns=[(5, "nacs")]) | {"guns-0-id": str(foreign.pk)}
    client.post("/piles/add/", data)
    foreign.refresh_from_db()
    assert (foreign.connector_id, foreign.connector_type) == (1, "ccs1")
    assert foreign.pile.station.area.operator == other_operator


def test_guns_can_swap_numbers(client, operator, admin_user):
    pile = own_pile(operator, guns=2)
    first, second = pile.guns.order_by("connector_id")
    client.force_login(admin_user)
    data = edit_form_data(pile, **{"guns-0-connector_id": "2", "guns-1-connector_id": "1"})
    assert client.post(f"/piles/{pile.pk}/edit/", data).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.connector_id, second.connector_id) == (2, 1)


def test_editing_a_pile_keeps_what_the_pile_reported(client, operator, admin_user):
    pile = own_pile(operator)
    client.force_login(admin_user)
    data = edit_form_data(pile, name="Renamed")
    # The pile reports a status while the form is open; saving the form must not undo it.
    Gun.objects.filter(pile=pile).update(status="Charging")
    Pile.objects.filter(pk=pile.pk).update(firmware_version="2.0.1")
    assert client.post(f"/piles/{pile.pk}/edit/", data).status_code == 302
    pile.refresh_from_db()
    assert (pile.name, pile.firmware_version, pile.guns.get().status) == ("Renamed", "2.0.1", "Charging")


def test_charge_point_id_is_unique_regardless_of_case(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    PileFactory(station=station, charge_point_id="LV-0001")
    client.force_login(admin_user)
    assert (
        "already exists"
        in client.post("/piles/add/", pile_form_data(station, charge_point_id="lv-0001")).content.decode()
    )
    assert Pile.objects.count() == 1


def test_odd_paging_parameters_fall_back_to_sane_pages(client, operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator))
    PileFactory.create_batch(20, station=station)
    client.force_login(admin_user)
    for params, expected_rows, expected_page in [
        ({"per_page": "-1"}, 15, 1),
        ({"per_page": "100000"}, 15, 1),
        ({"per_page": "abc", "page": "abc"}, 15, 1),
        ({"per_page": "10", "page": "999"}, 10, 2),
        ({"page": "-3"}, 15, 1),
        ({"per_page": "25"}, 20, 1),
        ({"page": "9" * 20}, 5, 2),
    ]:
        response = client.get("/piles/", params)
        assert response.status_code == 200, params
        table = response.context["table"]
        assert (len(table.page.object_list), table.page.number) == (expected_rows, expected_page), params
    assert client.get("/piles/", {"per_page": "-1", "export": "xlsx"}).status_code == 200
    assert client.get("/piles/", {"export": "pdf"}).status_code == 404


@pytest.mark.parametrize(
    "path, params",
    [
        ("/", {"start": "0001-01-01", "end": "0001-01-02"}),
        ("/analytics/year-on-year/", {"start": "0001-01-01", "end": "0001-01-02"}),
        ("/analytics/usage/", {"start": "9999-12-30", "end": "9999-12-31"}),
        ("/orders/", {"started_after": "2026-01-01", "started_before": "9999-12-31"}),
        ("/maintenance/alarms/", {"occurred_before": "9999-12-31"}),
        ("/audit/", {"day_after": "0001-01-01"}),
        ("/drivers/", {"registered_after": "9999-12-31"}),
    ],
)
def test_a_day_at_the_calendars_ends_is_refused_with_a_message(client, admin_user, path, params):
    """The day before 0001-01-01 or after 9999-12-31 is no date: the comparisons of a statistic
    and the closing midnight of a day filter would have broken the page."""
    client.force_login(admin_user)
    response = client.get(path, params)
    assert response.status_code == 200
    assert "Choose a day from 2000-01-01 to 2099-12-31." in response.content.decode()
    if "period" in response.context:  # a statistic shows this month instead
        assert response.context["period"].end == user_today(admin_user)


def test_deleting_a_pile_with_a_work_order_is_refused_with_the_reason(client, operator, admin_user):
    pile = own_pile(operator)
    WorkOrderFactory(pile=pile)
    client.force_login(admin_user)
    response = client.post(f"/piles/{pile.pk}/delete/", follow=True)
    assert "1 work order(s)" in response.content.decode()
    assert Pile.objects.filter(pk=pile.pk).exists()


def xlsx_rows(response):
    return [list(row) for row in load_workbook(BytesIO(response.content)).active.iter_rows()]


def test_export_keeps_formula_like_names_as_text_and_drops_control_characters(client, operator, admin_user):
    area = AreaFactory(operator=operator)
    StationFactory(area=area, name='=HYPERLINK("http://evil")')
    StationFactory(area=area, name="Bad\x0bName")
    StationFactory(area=area, name="#N/A")
    client.force_login(admin_user)
    rows = xlsx_rows(client.get("/stations/", {"export": "xlsx"}))
    names = {row[0].value: row[0].data_type for row in rows[1:]}
    assert names == {'=HYPERLINK("http://evil")': "s", "BadName": "s", "#N/A": "s"}
    csv_text = client.get("/stations/", {"export": "csv"}).content.decode()
    assert "'=HYPERLINK" in csv_text


def test_export_has_the_gun_columns_and_typed_numbers(client, operator, admin_user):
    own_pile(operator, guns=2)
    client.force_login(admin_user)
    rows = xlsx_rows(client.get("/piles/", {"export": "xlsx"}))
    header = [cell.value for cell in rows[0]]
    assert header[-2:] == ["Gun 1", "Gun 2"]
    assert "Actions" not in header
    assert all(cell.font.b for cell in rows[0])
    assert load_workbook(BytesIO(client.get("/piles/", {"export": "xlsx"}).content)).active.freeze_panes == "A2"
    rows = xlsx_rows(client.get("/stations/", {"export": "xlsx"}))
    piles_column = [cell.value for cell in rows[0]].index("Piles")
    assert rows[1][piles_column].value == 1 and rows[1][piles_column].data_type == "n"


def test_lists_with_counts_are_ordered_by_name(client, operator, admin_user):
    area = AreaFactory(operator=operator)
    for name in ["Delta", "Alpha", "Charlie", "Bravo"]:
        StationFactory(area=area, name=name)
        AreaFactory(operator=operator, name=f"Area {name}")
    client.force_login(admin_user)
    stations = [s.name for s in client.get("/stations/").context["table"].page.object_list.data]
    assert stations == ["Alpha", "Bravo", "Charlie", "Delta"]
    areas = [a.name for a in client.get("/stations/areas/").context["table"].page.object_list.data]
    assert areas == sorted(areas)


def test_gun_detail_queries_do_not_grow_with_orders(client, operator, admin_user):
    gun = own_pile(operator).guns.get()
    client.force_login(admin_user)
    ChargingOrderFactory(gun=gun)
    with CaptureQueriesContext(connection) as one:
        client.get(f"/piles/guns/{gun.pk}/")
    ChargingOrderFactory.create_batch(9, gun=gun)
    with CaptureQueriesContext(connection) as ten:
        client.get(f"/piles/guns/{gun.pk}/")
    assert len(ten.captured_queries) == len(one.captured_queries)
