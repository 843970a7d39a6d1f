"""The security events page: an operator sees the refused and replaced connections of its own
piles; attempts with unknown charge point ids are for platform admins."""

import pytest
from django.urls import reverse

from accounts.choices import Role
from gateway.choices import SecurityEventKind
from gateway.services import security_event_record

from .factories import UserFactory
from .ocpp_support import ocpp_pile

pytestmark = pytest.mark.django_db
URL = reverse("gateway:securityevent_list")


def events(operator, other_operator):
    own = ocpp_pile(operator=operator, charge_point_id="OWN-1")
    theirs = ocpp_pile(operator=other_operator, charge_point_id="THEIRS-1")
    security_event_record(kind=SecurityEventKind.WRONG_KEY, charge_point_id="own-1", remote_address="10.0.0.7")
    security_event_record(kind=SecurityEventKind.FLOOD, charge_point_id="OWN-1", pile=own)
    security_event_record(kind=SecurityEventKind.WRONG_KEY, charge_point_id="THEIRS-1", pile=theirs)
    security_event_record(kind=SecurityEventKind.UNKNOWN_PILE, charge_point_id="STRANGER-9")


def test_an_operator_sees_only_its_own_piles_events(client, admin_user, operator, other_operator):
    events(operator, other_operator)
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert page.count("10.0.0.7") == 1 and "Disconnected for flooding" in page
    assert "THEIRS-1" not in page and "STRANGER-9" not in page


def test_a_platform_admin_sees_unknown_piles_too(client, platform_admin, operator, other_operator):
    events(operator, other_operator)
    client.force_login(platform_admin)
    page = client.get(URL).content.decode()
    assert "STRANGER-9" in page and "THEIRS-1" in page


def test_events_filter_by_kind_and_export(client, admin_user, operator, other_operator):
    events(operator, other_operator)
    client.force_login(admin_user)
    page = client.get(URL, {"kind": SecurityEventKind.FLOOD}).content.decode()
    assert "Disconnected for flooding" in page and "10.0.0.7" not in page
    export = client.get(URL, {"kind": SecurityEventKind.WRONG_KEY, "export": "csv"})
    body = export.content.decode()
    assert export.status_code == 200 and "10.0.0.7" in body and "THEIRS-1" not in body


def test_only_roles_with_the_permission_open_the_page(client, operator):
    client.force_login(UserFactory(operator=operator, role=Role.TECHNICIAN))
    assert client.get(URL).status_code == 403
    client.force_login(UserFactory(operator=operator, role=Role.OPERATOR_ADMIN))
    page = client.get(reverse("home")).content.decode()
    assert URL in page  # the menu offers it
