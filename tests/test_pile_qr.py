"""Printable gun QR labels: one per gun, each encoding the absolute address of the gun's page
in the driver portal, printed from the pile's page by whoever may see the pile."""

import pytest
import segno
from django.urls import reverse

from accounts.choices import Role
from piles.choices import ConnectorType

from .factories import GunFactory, PileFactory, StationFactory, UserFactory


@pytest.fixture
def pile(operator):
    pile = PileFactory(
        station=StationFactory(area__operator=operator, name="Bellagio Garage"), name="Bay 3", charge_point_id="LV-0003"
    )
    GunFactory(pile=pile, connector_id=2, connector_type=ConnectorType.CCS1)
    GunFactory(pile=pile, connector_id=1, connector_type=ConnectorType.TYPE2)
    return pile


def qr_url(pile):
    return reverse("piles:pile_qr", args=[pile.pk])


@pytest.mark.parametrize("role", [Role.OPERATOR_ADMIN, Role.ANALYST, Role.TECHNICIAN])
def test_the_sheet_has_a_label_per_gun_opening_its_portal_page(client, operator, pile, role):
    client.force_login(UserFactory(operator=operator, role=role))
    response = client.get(qr_url(pile))
    assert response.status_code == 200
    labels = response.context["labels"]
    assert [label["gun"].connector_id for label in labels] == [1, 2]
    expected = [f"http://testserver/drive/gun/LV-0003/{number}/" for number in (1, 2)]
    assert [label["url"] for label in labels] == expected
    assert expected == [
        "http://testserver" + reverse("drivers:gun", args=[pile.charge_point_id, number]) for number in (1, 2)
    ]
    content = response.content.decode()
    for label in labels:
        # The SVG on the page is the QR code of that address (segno cannot read codes back).
        drawn = segno.make_qr(label["url"], error="m").svg_inline(omitsize=True)
        assert _path(drawn) == _path(str(label["svg"])) and str(label["svg"]) in content
        assert label["url"] in content
    assert content.count("<svg") == 2
    for text in (
        "Bellagio Garage",
        "Bay 3",
        "LV-0003",
        "Gun 1",
        "Gun 2",
        "Type 2 (Mennekes)",
        "CCS1",
        "Scan to charge",
    ):
        assert text in content


def _path(svg: str) -> str:
    """The modules of an inline QR SVG (its drawing), whatever its class or title."""
    return svg[svg.index(' d="') : svg.index('"', svg.index(' d="') + 4)]


def test_the_code_is_a_full_qr_code_with_its_quiet_zone(client, operator):
    # A short address would fit a Micro QR code, which many phone cameras do not read: a full
    # code is at least 21 modules, with 4 blank ones around it.
    pile = PileFactory(station=StationFactory(area__operator=operator), charge_point_id="A")
    GunFactory(pile=pile, connector_id=1)
    client.force_login(UserFactory(operator=operator, role=Role.ANALYST))
    svg = str(client.get(qr_url(pile)).context["labels"][0]["svg"])
    size = int(svg.split('viewBox="0 0 ')[1].split(" ")[0])
    assert size >= 21 + 2 * 4
    assert "M4 4.5h7" in svg  # the top-left finder pattern starts after the quiet zone


def test_a_pile_without_guns_says_so(client, operator):
    pile = PileFactory(station=StationFactory(area__operator=operator))
    client.force_login(UserFactory(operator=operator, role=Role.OPERATOR_ADMIN))
    response = client.get(qr_url(pile))
    assert response.status_code == 200 and response.context["labels"] == []
    assert "This pile has no guns yet" in response.content.decode()


def test_the_pile_page_links_to_its_labels(client, operator, pile):
    client.force_login(UserFactory(operator=operator, role=Role.TECHNICIAN))
    assert qr_url(pile) in client.get(pile.get_absolute_url()).content.decode()


def test_another_operators_pile_is_not_found(client, operator, other_operator):
    foreign = PileFactory(station=StationFactory(area__operator=other_operator))
    GunFactory(pile=foreign, connector_id=1)
    client.force_login(UserFactory(operator=operator, role=Role.OPERATOR_ADMIN))
    assert client.get(qr_url(foreign)).status_code == 404
