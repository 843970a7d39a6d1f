"""The audit log: people's writes through the services leave one entry each, with the author,
the operator and exactly the fields that changed; secrets never reach it; operator admins read
their own operator's log, and no one can change it through the platform."""

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import timezone
from django.utils.html import strip_tags
from openpyxl import load_workbook

from audit.choices import AuditAction
from audit.models import AuditEntry
from audit.services import audit_changes
from gateway.services import pile_key_set
from orders.services import tariff_create, tariff_schedule_set
from piles.choices import UsageState
from piles.models import Pile
from piles.services import pile_boot, pile_create, pile_delete, pile_set_usage, pile_update
from stations.models import Station
from stations.services import station_create, station_delete, station_update, stations_move

from .factories import AreaFactory, GunFactory, PileFactory, StationFactory, UserFactory
from .test_pile_views import edit_form_data

URL = reverse("audit:auditentry_list")


def entries_of(obj, pk=None):
    """The entries about `obj` (`pk`: the id it had, once deleted), oldest first."""
    content_type = ContentType.objects.get_for_model(obj)
    return list(AuditEntry.objects.filter(content_type=content_type, object_id=pk or obj.pk).order_by("pk"))


def last_entry():
    return AuditEntry.objects.order_by("-pk").first()


def new_station(user, area, **fields):
    data = {
        "name": "Depot",
        "address": "1 Main Street",
        "latitude": Decimal("36.100000"),
        "longitude": Decimal("-115.100000"),
        "time_zone": "America/Los_Angeles",
    }
    return station_create(user=user, area=area, **{**data, **fields})


# --- the services record -------------------------------------------------------------------


def test_a_station_s_creation_change_and_deletion_are_recorded(operator, admin_user):
    area = AreaFactory(operator=operator, name="North")
    station = new_station(admin_user, area)
    created = last_entry()
    assert (created.action, created.user, created.username, created.operator) == (
        AuditAction.CREATE,
        admin_user,
        "opadmin",
        operator,
    )
    assert created.object_repr == "Depot"
    assert created.changes["Name"] == [None, "Depot"]
    assert created.changes["Operations area"] == [None, "North"]
    assert created.changes["Creator"] == [None, "opadmin"]
    # An empty value has nothing to say on creation; automatic timestamps are not followed.
    assert "Tariff" not in created.changes and "Created" not in created.changes

    station_update(user=admin_user, station=station, address="2 Side Street", name="Depot")
    changed = last_entry()
    assert changed.action == AuditAction.UPDATE
    assert changed.changes == {"Address": ["1 Main Street", "2 Side Street"]}

    station_delete(user=admin_user, station=station)
    deleted = last_entry()
    assert (deleted.action, deleted.object_repr, deleted.operator) == (AuditAction.DELETE, "Depot", operator)
    assert deleted.changes["Address"] == ["2 Side Street", None]
    assert [entry.action for entry in AuditEntry.objects.order_by("pk")] == ["create", "update", "delete"]


def test_an_update_that_changes_nothing_records_nothing(operator, admin_user):
    station = StationFactory(area__operator=operator, address="1 Main Street")
    pile = PileFactory(station=station)
    station_update(user=admin_user, station=station, address="1 Main Street")
    pile_set_usage(user=admin_user, pile=pile, usage_state=pile.usage_state)
    assert AuditEntry.objects.count() == 0


def test_a_failed_update_records_nothing(operator, admin_user):
    station = StationFactory(area__operator=operator)
    with pytest.raises(Exception, match="90"):
        station_update(user=admin_user, station=station, latitude=Decimal("91"))
    assert AuditEntry.objects.count() == 0


def test_moving_stations_records_one_entry_per_station(operator, admin_user):
    north, south = AreaFactory(operator=operator, name="North"), AreaFactory(operator=operator, name="South")
    stations = [StationFactory(area=north), StationFactory(area=north)]
    stations_move(user=admin_user, stations=stations, area=south)
    for station in stations:
        [entry] = entries_of(station)
        assert entry.changes == {"Operations area": ["North", "South"]}


def test_a_pile_s_life_is_recorded_with_its_guns_and_without_what_it_reports(operator, admin_user):
    station = StationFactory(area__operator=operator)
    pile = pile_create(
        user=admin_user,
        station=station,
        guns=[{"id": None, "connector_id": 1, "connector_type": "type2"}],
        name="Bay 1",
        charge_point_id="CP-AUDIT-1",
        manufacturer="XingBang",
        model="XB-11",
        rated_power_kw=Decimal("11.2"),
        voltage_min=200,
        voltage_max=250,
        charging_method="AC",
    )
    created = last_entry()
    assert created.action == AuditAction.CREATE and created.operator == operator
    assert created.changes["Guns"] == [None, "1: Type 2 (Mennekes)"]
    assert created.changes["Rated power (kW)"] == [None, "11.20"]
    assert created.changes["Charging method"] == [None, "AC"]
    # What the pile learns about itself over OCPP is not people's change.
    assert not {"Connected", "Firmware version", "Last seen", "OCPP key hash"} & set(created.changes)

    pile_boot(pile=pile, vendor="XB", model="XB-11", at=timezone.now(), firmware_version="2.0")
    assert len(entries_of(pile)) == 1

    gun = pile.guns.get()
    pile_update(
        user=admin_user,
        pile=pile,
        name="Bay 2",
        guns=[
            {"id": gun, "connector_id": 1, "connector_type": "ccs2"},
            {"id": None, "connector_id": 2, "connector_type": "type2"},
        ],
    )
    changed = last_entry()
    assert changed.changes == {
        "Pile name": ["Bay 1", "Bay 2"],
        "Guns": ["1: Type 2 (Mennekes)", "1: CCS2, 2: Type 2 (Mennekes)"],
    }

    pile_set_usage(user=admin_user, pile=pile, usage_state=UsageState.DISABLED)
    assert last_entry().changes == {"Usage state": ["Enabled", "Disabled"]}

    pile_id = pile.pk
    pile_delete(user=admin_user, pile=pile)
    deleted = last_entry()
    assert deleted.action == AuditAction.DELETE and deleted.changes["Pile name"] == ["Bay 2", None]
    assert [entry.action for entry in entries_of(pile, pile_id)] == ["create", "update", "update", "delete"]


def test_setting_a_pile_key_records_neither_the_key_nor_its_hash(operator, admin_user):
    pile = PileFactory(station__area__operator=operator)
    key = pile_key_set(user=admin_user, pile=pile)
    pile.refresh_from_db()
    entry = last_entry()
    assert (entry.action, entry.user, entry.operator) == (AuditAction.KEY, admin_user, operator)
    assert entry.changes == {"OCPP key": [None, "changed"]}
    stored = json.dumps([entry.changes for entry in AuditEntry.objects.all()])
    digest = pile.ocpp_key_hash.split("$")[-1]
    assert key not in stored and digest not in stored


def test_a_secret_field_is_recorded_as_changed_only(operator, admin_user):
    person = UserFactory(operator=operator)
    with audit_changes(user=admin_user, obj=person):
        person.set_password("another-long-passphrase")
        person.save()
    entry = last_entry()
    assert entry.changes == {"Password": [None, "changed"]}
    assert person.password.split("$")[-1] not in json.dumps(entry.changes)
    # A person's entry belongs to their operator (a user is not a scoped model).
    assert entry.operator == operator


def test_the_command_line_is_recorded_without_a_user(operator):
    pile = PileFactory(station__area__operator=operator)
    pile_key_set(user=None, pile=pile)
    entry = last_entry()
    assert (entry.user, entry.username) == (None, "")


def test_a_tariff_schedule_change_is_one_change_of_the_tariff(operator, admin_user):
    tariff = tariff_create(user=admin_user, operator=operator, name="Time of use")
    assert last_entry().changes == {"Name": [None, "Time of use"], "Operator": [None, operator.name]}
    day = date(2025, 1, 1)
    night = {"starts_at": time(0), "electricity_price": Decimal("0.2"), "service_fee": Decimal("0.1")}
    peak = {"starts_at": time(8), "electricity_price": Decimal("0.4"), "service_fee": Decimal("0.1")}
    tariff_schedule_set(user=admin_user, tariff=tariff, effective_from=day, periods=[night])
    tariff_schedule_set(user=admin_user, tariff=tariff, effective_from=day, periods=[night, peak])
    changed = last_entry()
    assert changed.action == AuditAction.UPDATE
    assert changed.changes == {
        "Schedule from 2025-01-01": ["00:00 0.2000 + 0.1000", "00:00 0.2000 + 0.1000; 08:00 0.4000 + 0.1000"]
    }
    tariff_schedule_set(user=admin_user, tariff=tariff, effective_from=day, periods=[night, peak])
    assert AuditEntry.objects.count() == 3


# --- the edit form ---------------------------------------------------------------------------


def test_the_station_form_records_the_stored_old_value(client, operator, admin_user):
    station = StationFactory(area__operator=operator, address="1 Main Street")
    client.force_login(admin_user)
    data = {
        "area": station.area_id,
        "name": station.name,
        "address": "9 New Road",
        "latitude": str(station.latitude),
        "longitude": str(station.longitude),
        "time_zone": station.time_zone,
    }
    response = client.post(reverse("stations:station_edit", args=[station.pk]), data)
    assert response.status_code == 302
    [entry] = entries_of(station)
    assert entry.changes == {"Address": ["1 Main Street", "9 New Road"]}
    assert entry.user == admin_user


def test_the_pile_form_records_gun_changes_on_the_pile(client, operator, admin_user):
    pile = PileFactory(station__area__operator=operator)
    GunFactory(pile=pile, connector_id=1, connector_type="type2")
    client.force_login(admin_user)
    data = edit_form_data(pile, **{"guns-0-connector_type": "ccs1"})
    response = client.post(reverse("piles:pile_edit", args=[pile.pk]), data)
    assert response.status_code == 302
    [entry] = entries_of(pile)
    assert entry.changes == {"Guns": ["1: Type 2 (Mennekes)", "1: CCS1"]}


# --- the page ---------------------------------------------------------------------------------


@pytest.fixture
def two_logs(operator, other_operator, admin_user):
    """Entries of both operators: A's admin makes a station and renames it; B's admin makes one."""
    own = new_station(admin_user, AreaFactory(operator=operator), name="Own depot")
    station_update(user=admin_user, station=own, name="Own depot renamed")
    their_admin = UserFactory(username="theiradmin", operator=other_operator)
    theirs = new_station(their_admin, AreaFactory(operator=other_operator), name="Their depot")
    return own, theirs


def listed(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return list(response.context["table"].data)


def test_an_operator_admin_sees_only_their_operator_s_log(client, admin_user, two_logs):
    own, theirs = two_logs
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert "Own depot renamed" in page and "Own depot → Own depot renamed" in page
    assert "Their depot" not in page and "theiradmin" not in page
    # The object links to its page while it exists.
    assert f'href="{own.get_absolute_url()}"' in page


def test_a_deleted_object_is_listed_without_a_link(client, operator, admin_user):
    station = new_station(admin_user, AreaFactory(operator=operator), name="Gone")
    url = station.get_absolute_url()
    station_delete(user=admin_user, station=station)
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert "Gone" in page and url not in page


def test_the_log_filters(client, operator, admin_user, two_logs):
    own, theirs = two_logs
    colleague = UserFactory(username="colleague", operator=operator)
    pile = PileFactory(station=own)
    pile_set_usage(user=colleague, pile=pile, usage_state=UsageState.DISABLED)
    client.force_login(admin_user)
    station_type = ContentType.objects.get_for_model(Station).pk
    pile_type = ContentType.objects.get_for_model(Pile).pk

    assert {entry.action for entry in listed(client, action="update")} == {"update"}
    assert {entry.object_repr for entry in listed(client, object_type=pile_type)} == {pile.name}
    assert {entry.username for entry in listed(client, user=colleague.pk)} == {"colleague"}
    assert {entry.object_repr for entry in listed(client, q="renamed")} == {"Own depot renamed"}
    history = listed(client, object_type=station_type, object_id=own.pk)
    assert [entry.action for entry in history] == ["update", "create"]
    # The bar names the object by its latest name, and its × leads back to the whole log.
    [chip] = client.get(URL, {"object_type": station_type, "object_id": own.pk}).context["filter"].linked_filters()
    assert (chip["label"], chip["chosen"], chip["query"]) == (
        "Object",
        "Own depot renamed",
        f"object_type={station_type}",
    )
    # An object with no entries yet is named by itself, unless it is another operator's.
    quiet = StationFactory(area=own.area, name="Quiet depot")
    assert not AuditEntry.objects.filter(object_id=quiet.pk, content_type=station_type).exists()
    for pk, named in [(quiet.pk, "Quiet depot"), (theirs.pk, f"#{theirs.pk}"), (10**9, "#1000000000")]:
        chips = client.get(URL, {"object_type": station_type, "object_id": pk}).context["filter"].linked_filters()
        assert [chip["chosen"] for chip in chips] == [named]
    # A wrong object type is the type box's error; the object's chip still draws.
    response = client.get(URL, {"object_type": "x", "object_id": own.pk})
    assert "object_type" in response.context["filter"].form.errors
    assert [chip["label"] for chip in response.context["filter"].linked_filters()] == ["Object"]
    [chip] = client.get(URL, {"object_id": "abc"}).context["filter"].linked_filters()
    assert chip["chosen"] is None and chip["errors"] == ["Enter a number."]
    # The object types offered are those of the log, named as people know them.
    form = client.get(URL).context["filter"].form
    assert dict(form.fields["object_type"].choices)[station_type] == "Charging station"
    # People of another operator are not offered.
    assert "theiradmin" not in [user.username for user in form.fields["user"].queryset]


def test_the_day_filter_uses_the_operator_s_time_zone(client, operator, admin_user):
    station = new_station(admin_user, AreaFactory(operator=operator))
    # 06:00 UTC on 10 March is still the evening of 9 March in Los Angeles.
    AuditEntry.objects.update(at=datetime(2024, 3, 10, 6, 0, tzinfo=UTC))
    client.force_login(admin_user)
    assert [entry.object_repr for entry in listed(client, day_after="2024-03-09", day_before="2024-03-09")] == [
        station.name
    ]
    assert listed(client, day_after="2024-03-10", day_before="2024-03-10") == []
    assert "2024-03-09 22:00" in strip_tags(client.get(URL).content.decode())


def test_the_export_holds_the_changes_one_a_line(client, admin_user, two_logs):
    client.force_login(admin_user)
    response = client.get(URL, {"export": "xlsx", "action": "update"})
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.values)
    header, [row] = rows[0], rows[1:]
    assert "Changes" in header and "Their depot" not in json.dumps(rows, default=str)
    assert row[header.index("Changes")] == "Name: Own depot → Own depot renamed"
    # The object's name, without the link to its page that the log draws around it.
    assert row[header.index("Object")] == "Own depot renamed"


def test_analysts_and_technicians_cannot_open_the_log(client, analyst_user, technician_user):
    for user in (analyst_user, technician_user):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_the_history_link_shows_to_those_who_read_the_log(client, operator, admin_user, analyst_user):
    station = StationFactory(area__operator=operator)
    for user, shown in ((admin_user, True), (analyst_user, False)):
        client.force_login(user)
        page = client.get(station.get_absolute_url()).content.decode()
        assert (f"{URL}?object_type=" in page) is shown


def test_no_one_can_change_the_log_through_the_platform(client, admin_user, two_logs):
    names = [name for name in get_resolver().reverse_dict if isinstance(name, str)]
    audit_names = get_resolver().namespace_dict["audit"][1].reverse_dict
    assert [name for name in audit_names if isinstance(name, str)] == ["auditentry_list"]
    assert not any(name.startswith("auditentry_") for name in names)
    for action in ("add", "edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"audit:auditentry_{action}", args=[1])
    client.force_login(admin_user)
    before = list(AuditEntry.objects.values())
    assert client.post(URL, {"changes": "{}"}).status_code == 405
    assert list(AuditEntry.objects.values()) == before
    # Nor through Django's admin.
    model_admin = admin_site._registry[AuditEntry]
    request = type("Request", (), {"user": admin_user})()
    assert not model_admin.has_change_permission(request) and not model_admin.has_delete_permission(request)


def test_the_log_s_queries_do_not_grow_with_its_rows(client, operator, admin_user, django_assert_max_num_queries):
    client.force_login(admin_user)
    area = AreaFactory(operator=operator)
    new_station(admin_user, area, name="First")
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for number in range(5):
        station = new_station(admin_user, area, name=f"Station {number}")
        pile = PileFactory(station=station)
        pile_set_usage(user=admin_user, pile=pile, usage_state=UsageState.DISABLED)
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + the piles' links
        client.get(URL)


def test_a_platform_admin_reads_every_operator_s_log(client, platform_admin, two_logs):
    client.force_login(platform_admin)
    names = {entry.object_repr for entry in listed(client)}
    assert names == {"Own depot", "Own depot renamed", "Their depot"}
