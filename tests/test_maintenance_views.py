"""The alarm and work order pages: lists with their filters, details, and the steps each role
is offered and may post; another operator's alarms and work orders are never shown or touched."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.choices import Role
from maintenance.choices import AlarmStatus, FaultCause, Severity, WorkOrderStatus
from maintenance.models import Alarm, WorkOrder, WorkOrderEvent
from maintenance.services import work_order_claim, work_order_complete, work_order_create

from .factories import AlarmFactory, AreaFactory, PileFactory, StationFactory, UserFactory


@pytest.fixture
def piles(operator, other_operator):
    north, south = AreaFactory(operator=operator, name="North"), AreaFactory(operator=operator, name="South")
    return {
        "north": PileFactory(station=StationFactory(area=north, name="North Hub"), name="N-1"),
        "south": PileFactory(station=StationFactory(area=south, name="South Hub"), name="S-1"),
        "theirs": PileFactory(station=StationFactory(area=AreaFactory(operator=other_operator)), name="X-1"),
    }


def signed_in(client, operator, role, **fields):
    user = UserFactory(operator=operator, role=role, **fields)
    client.force_login(user)
    return user


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_alarm_list_filters_and_never_shows_another_operators_alarms(client, operator, piles):
    signed_in(client, operator, Role.TECHNICIAN)
    critical = AlarmFactory(pile=piles["north"], severity=Severity.CRITICAL, info="Main contactor welded")
    minor = AlarmFactory(
        pile=piles["south"],
        severity=Severity.MINOR,
        cause=FaultCause.CARD_READER,
        status=AlarmStatus.CLEARED,
        occurred_at=timezone.now() - timedelta(days=10),
    )
    AlarmFactory(pile=piles["theirs"], info="Main contactor welded elsewhere")
    listed = lambda **params: list(client.get(reverse("maintenance:alarm_list"), params).context["table"].data)  # noqa: E731
    assert set(listed()) == {critical, minor}
    assert listed(severity="critical") == [critical]
    assert listed(status="cleared") == [minor]
    assert listed(cause="card_reader") == [minor]
    assert listed(station=piles["south"].station_id) == [minor]
    assert listed(q="contactor") == [critical]
    ten_days_ago = timezone.localdate() - timedelta(days=10)
    assert listed(occurred_after=ten_days_ago + timedelta(days=2)) == [critical]
    assert listed(occurred_before=ten_days_ago + timedelta(days=1)) == [minor]
    foreign = client.get(reverse("maintenance:alarm_list"), {"station": piles["theirs"].station_id})
    assert "station" in foreign.context["filter"].errors and not list(foreign.context["table"].data)
    rows = list(
        load_workbook(BytesIO(client.get(reverse("maintenance:alarm_list"), {"export": "xlsx"}).content)).active.values
    )
    assert len(rows) == 3 and "Cause / error code" in rows[0]


def test_the_alarm_list_narrows_to_one_pile_by_a_link_and_says_so(client, operator, piles):
    signed_in(client, operator, Role.TECHNICIAN)
    north = AlarmFactory(pile=piles["north"], severity=Severity.MAJOR)
    AlarmFactory(pile=piles["north"], severity=Severity.MINOR)
    AlarmFactory(pile=PileFactory(station=piles["north"].station, name="N-2"), severity=Severity.MAJOR)
    AlarmFactory(pile=piles["theirs"])
    page = client.get(reverse("maintenance:alarm_list"), {"pile": piles["north"].pk, "severity": "major"})
    assert list(page.context["table"].data) == [north]
    [linked] = page.context["filter"].linked_filters()
    assert (linked["label"], linked["chosen"], linked["query"]) == ("Pile", "N-1 · North Hub", "severity=major")
    assert '<span class="filter-linked">N-1 · North Hub <a href="?severity=major"' in page.content.decode()

    # Another operator's pile, or no pile at all: no alarms, and why.
    for wrong in (piles["theirs"].pk, 999999, "north"):
        page = client.get(reverse("maintenance:alarm_list"), {"pile": wrong})
        [linked] = page.context["filter"].linked_filters()
        assert linked["errors"] and linked["chosen"] is None and not list(page.context["table"].data)
        assert "Select a valid choice" in page.content.decode()


def test_a_piles_page_shows_its_latest_alarms_and_leads_to_all_its_alarms_and_orders(client, operator, piles):
    from django.contrib.auth.models import Group, Permission

    signed_in(client, operator, Role.TECHNICIAN)
    now = timezone.now()
    alarms = [AlarmFactory(pile=piles["north"], occurred_at=now - timedelta(hours=hours)) for hours in range(7)]
    AlarmFactory(pile=piles["south"], occurred_at=now)
    page = client.get(piles["north"].get_absolute_url())
    assert list(page.context["recent_alarms"]) == alarms[:5]
    assert f'href="/maintenance/alarms/?pile={piles["north"].pk}"' in page.content.decode()
    assert f'href="/orders/?pile={piles["north"].pk}"' in page.content.decode()
    assert not list(client.get(PileFactory(station=piles["north"].station).get_absolute_url()).context["recent_alarms"])

    # Someone who may see piles but not alarms sees neither the alarms nor the link.
    piles_only = Group.objects.create(name="Piles only")
    piles_only.permissions.add(Permission.objects.get(codename="view_pile"))
    user = UserFactory(operator=operator)
    user.groups.add(piles_only)
    client.force_login(user)
    page = client.get(piles["north"].get_absolute_url())
    assert page.status_code == 200 and "recent_alarms" not in page.context
    assert "/maintenance/alarms/" not in page.content.decode() and "/orders/?pile=" not in page.content.decode()


def test_an_alarm_is_acknowledged_from_its_page_and_a_work_order_opened_from_it(client, operator, piles):
    user = signed_in(client, operator, Role.TECHNICIAN)
    alarm = AlarmFactory(pile=piles["north"], info="Main contactor welded")
    page = client.get(alarm.get_absolute_url())
    assert page.context["can_acknowledge"]
    response = client.post(reverse("maintenance:alarm_acknowledge", args=[alarm.pk]))
    assert response.status_code == 302 and messages_of(response) == ["Alarm acknowledged."]
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, user)
    response = client.post(reverse("maintenance:alarm_acknowledge", args=[alarm.pk]))
    assert "cannot be acknowledged" in messages_of(response)[-1]

    form = client.get(client.get(alarm.get_absolute_url()).context["work_order_url"]).context["form"]
    assert (
        form.initial["pile"] == str(piles["north"].pk)
        and "Main contactor welded" in form.initial["problem_description"]
    )
    response = client.post(
        reverse("maintenance:workorder_add"),
        {
            "pile": piles["north"].pk,
            "source_alarm": alarm.pk,
            "problem_description": form.initial["problem_description"],
        },
    )
    work_order = WorkOrder.objects.get()
    assert response["Location"] == work_order.get_absolute_url()
    assert (work_order.source_alarm, work_order.applicant, work_order.status) == (
        alarm,
        user,
        WorkOrderStatus.UNACCEPTED,
    )


def test_bad_work_order_input_is_explained_and_changes_nothing(client, operator, piles):
    signed_in(client, operator, Role.OPERATOR_ADMIN)
    theirs = AlarmFactory(pile=piles["theirs"])
    for data, field in [
        ({"pile": piles["north"].pk, "problem_description": "   "}, "problem_description"),
        ({"pile": piles["theirs"].pk, "problem_description": "Broken"}, "pile"),
        ({"pile": piles["north"].pk, "problem_description": "Broken", "source_alarm": theirs.pk}, "source_alarm"),
        ({"pile": "", "problem_description": "Broken"}, "pile"),
    ]:
        response = client.post(reverse("maintenance:workorder_add"), data)
        assert response.status_code == 200 and field in response.context["form"].errors, data
    own = AlarmFactory(pile=piles["south"])
    response = client.post(
        reverse("maintenance:workorder_add"),
        {"pile": piles["north"].pk, "problem_description": "Broken", "source_alarm": own.pk},
    )
    assert response.status_code == 200 and "another pile" in str(response.context["form"].errors)
    assert not WorkOrder.objects.exists()


def test_each_role_is_offered_and_allowed_only_its_steps(client, operator, piles):
    work_order = work_order_create(user=None, pile=piles["north"], problem_description="Screen is black")
    url = work_order.get_absolute_url()
    technician = signed_in(client, operator, Role.TECHNICIAN, first_name="Tina")
    assert [action["name"] for action in client.get(url).context["actions"]] == ["claim"]
    response = client.post(reverse("maintenance:workorder_confirm", args=[work_order.pk]))
    assert "not possible" in messages_of(response)[-1]
    client.post(reverse("maintenance:workorder_claim", args=[work_order.pk]))
    assert [action["name"] for action in client.get(url).context["actions"]] == ["complete"]
    response = client.post(reverse("maintenance:workorder_complete", args=[work_order.pk]), {"resolution": ""})
    assert WorkOrder.objects.get().status == WorkOrderStatus.ACCEPTED and "required" in messages_of(response)[-1]
    client.post(reverse("maintenance:workorder_complete", args=[work_order.pk]), {"resolution": "New display"})

    signed_in(client, operator, Role.ANALYST)
    assert client.get(url).context["actions"] == []
    assert client.post(reverse("maintenance:workorder_confirm", args=[work_order.pk])).status_code == 403

    signed_in(client, operator, Role.OPERATOR_ADMIN)
    assert [action["name"] for action in client.get(url).context["actions"]] == ["confirm", "send_back"]
    client.post(reverse("maintenance:workorder_send_back", args=[work_order.pk]), {"reason": "Still black"})
    work_order.refresh_from_db()
    assert (work_order.status, work_order.assignee) == (WorkOrderStatus.ACCEPTED, technician)
    page = client.get(url)
    assert [event.to_status for event in page.context["events"]] == ["unaccepted", "accepted", "completed", "accepted"]
    assert "Still black" in page.content.decode() and "New display" in page.content.decode()


def test_an_admin_assigns_only_their_own_technicians(client, operator, other_operator, piles):
    work_order = work_order_create(user=None, pile=piles["north"], problem_description="x")
    technician = UserFactory(operator=operator, role=Role.TECHNICIAN, first_name="Tina")
    stranger = UserFactory(operator=other_operator, role=Role.TECHNICIAN)
    signed_in(client, operator, Role.OPERATOR_ADMIN)
    choices = client.get(work_order.get_absolute_url()).context["actions"][0]["form"].fields["assignee"].queryset
    assert list(choices) == [technician]
    response = client.post(reverse("maintenance:workorder_assign", args=[work_order.pk]), {"assignee": stranger.pk})
    assert "valid choice" in messages_of(response)[-1]
    assert WorkOrder.objects.get().assignee is None
    client.post(reverse("maintenance:workorder_assign", args=[work_order.pk]), {"assignee": technician.pk})
    assert WorkOrder.objects.get().assignee == technician


def test_another_operators_work_orders_and_alarms_are_not_found(client, operator, piles):
    foreign = work_order_create(user=None, pile=piles["theirs"], problem_description="x")
    alarm = AlarmFactory(pile=piles["theirs"])
    signed_in(client, operator, Role.OPERATOR_ADMIN)
    assert client.get(foreign.get_absolute_url()).status_code == 404
    assert client.get(alarm.get_absolute_url()).status_code == 404
    for step in ("claim", "assign", "complete", "confirm", "send_back"):
        assert client.post(reverse(f"maintenance:workorder_{step}", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("maintenance:alarm_acknowledge", args=[alarm.pk])).status_code == 404
    assert WorkOrderEvent.objects.filter(work_order=foreign).count() == 1
    assert Alarm.objects.get(pk=alarm.pk).status == AlarmStatus.OPEN
    assert foreign not in client.get(reverse("maintenance:workorder_list")).context["table"].data


def test_a_technicians_queues_mine_and_unclaimed_near_me(client, operator, piles):
    technician = signed_in(client, operator, Role.TECHNICIAN)
    technician.areas.add(piles["north"].station.area)
    colleague = UserFactory(operator=operator, role=Role.TECHNICIAN)
    near = work_order_create(user=None, pile=piles["north"], problem_description="near")
    far = work_order_create(user=None, pile=piles["south"], problem_description="far")
    mine = work_order_claim(
        user=technician, work_order=work_order_create(user=None, pile=piles["south"], problem_description="mine")
    )
    theirs = work_order_claim(
        user=colleague, work_order=work_order_create(user=None, pile=piles["north"], problem_description="theirs")
    )
    done = work_order_complete(
        user=technician,
        work_order=work_order_claim(
            user=technician, work_order=work_order_create(user=None, pile=piles["north"], problem_description="done")
        ),
        resolution="ok",
    )
    listed = lambda **params: set(client.get(reverse("maintenance:workorder_list"), params).context["table"].data)  # noqa: E731
    assert listed(queue="mine") == {mine, done}
    assert listed(queue="near") == {near}
    assert listed() == {near, far, mine, theirs, done}
    assert listed(assignee=colleague.pk) == {theirs}
    assert listed(status="unaccepted") == {near, far}
    technician.areas.clear()
    assert listed(queue="near") == {near, far}


def test_the_menu_leads_technicians_to_alarms_and_work_orders(client, operator):
    signed_in(client, operator, Role.TECHNICIAN)
    menu = client.get(reverse("maintenance:workorder_list")).context["menu"]
    labels = [str(item["label"]) for section in menu for item in section["items"]]
    assert {"Alarm management", "Fault repair work orders"} <= set(labels)


def test_work_order_statistics_per_person_match_the_dashboard_card(client, operator, other_operator, piles):
    tina = UserFactory(operator=operator, role=Role.TECHNICIAN, first_name="Tina")
    tom = UserFactory(operator=operator, role=Role.TECHNICIAN, first_name="Tom")
    now = timezone.now()

    def reported(hours_ago, person=None, steps=()):
        work_order = work_order_create(
            user=None, pile=piles["north"], problem_description="x", at=now - timedelta(hours=hours_ago)
        )
        for step, at in steps:
            WorkOrder.objects.filter(pk=work_order.pk).update(status=step, assignee=person)
            WorkOrderEvent.objects.create(
                work_order=work_order, actor=person, at=now - timedelta(hours=at), to_status=step
            )
        return work_order

    reported(10)  # not claimed yet
    reported(10, tina, [("accepted", 8), ("completed", 5), ("confirmed", 1)])  # 2 h to accept, 3 h to repair
    reported(6, tina, [("accepted", 5), ("completed", 4)])  # 1 h, 1 h
    reported(6, tom, [("accepted", 2)])  # 4 h
    work_order_create(user=None, pile=piles["theirs"], problem_description="x")
    signed_in(client, operator, Role.OPERATOR_ADMIN)
    today = timezone.localdate()
    response = client.get(reverse("analytics:workorder_people"), {"start": today - timedelta(days=1), "end": today})
    table = response.context["tables"][0]["table"]
    rows = {str(row["person"]): row for row in table.data}
    assert [str(row["person"]) for row in table.data] == ["Tina", "Tom", "None"]
    assert {name: rows["Tina"][name] for name in ("accepted", "completed", "confirmed", "total")} == {
        "accepted": 0, "completed": 1, "confirmed": 1, "total": 2,
    }  # fmt: skip
    assert (rows["Tina"]["accept_hours"], rows["Tina"]["repair_hours"]) == (Decimal("1.5"), Decimal("2.0"))
    assert (rows["Tom"]["accept_hours"], rows["Tom"]["repair_hours"]) == (Decimal("4.0"), None)
    assert rows["None"]["unaccepted"] == 1
    # The chart stacks each person's work orders by how far they have come.
    chart = response.context["chart"]
    assert chart["stacked"] and chart["labels"] == ["Tina", "Tom"]
    assert [sum(dataset["data"][index] for dataset in chart["datasets"]) for index in range(2)] == [2, 1]
    # Ranked by any column: the time to accept, no time (nobody claimed) first.
    days = {"start": today - timedelta(days=1), "end": today}
    ranked = client.get(reverse("analytics:workorder_people"), {**days, "sort": "accept_hours"}).context["tables"]
    assert [str(row["person"]) for row in ranked[0]["table"].data] == ["None", "Tina", "Tom"]
    card = client.get("/", {"start": today - timedelta(days=1), "end": today}).context["work_orders"]
    assert table.totals == card == {"total": 4, "unaccepted": 1, "accepted": 1, "completed": 1, "confirmed": 1}
    response = client.get(reverse("analytics:workorder_people"), {"person": tom.pk})
    assert [row["person"] for row in response.context["tables"][0]["table"].data] == [tom]
    export = client.get(reverse("analytics:workorder_people"), {"export": "xlsx"})
    header, *people, total = load_workbook(BytesIO(export.content)).active.values
    # A row per person, then the total row the page shows under them.
    assert [row[0] for row in people] == ["Tina", "Tom", None]
    assert total[: header.index("Total") + 1] == ("Total", 1, 1, 1, 1, 4)
