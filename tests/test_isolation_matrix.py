"""The isolation matrix, generated from the URL configuration rather than a hand-kept list.

Every page is requested by every role of operator A, with a network of rows of every kind for
A and for operator B (B's names all carry a marker):

- each role gets exactly the status its permissions allow on A's own pages (403 without the
  view's permission, 405 for a GET to a POST-only action);
- for every URL that takes an object id, B's object is a 404 to every role, by GET and by
  POST, and posting changes none of B's rows;
- no page, export or keyword search of A shows anything of B's.

A new view that declares no permission, or reads objects without its user's scope, fails here
without anyone editing this file."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from accounts.choices import Role
from accounts.services import role_create
from chargeops.choices import ImportStatus
from chargeops.models import ImportJob
from chargeops.views import ObjectListView, model_permission
from drivers.services import driver_register, wallet_orders_charge, wallet_refund
from maintenance.services import work_order_create
from orders.choices import PaymentMethod

from .factories import (
    AlarmFactory,
    ChargingOrderFactory,
    FirmwarePackageFactory,
    GunFactory,
    PileFactory,
    StationFactory,
    UpgradeTargetFactory,
    UserFactory,
)

MARKER = "Zzother"
# Pages anyone signed in may open: the dashboard shows each user only what their roles allow,
# and everyone changes their own password.
PUBLIC = {"home", "accounts:login", "accounts:logout", "accounts:password_change", "export_jobs", "export_job_download"}
# Pages of one of the signed-in user's own things, which no one else opens, whatever their role
# or operator: tests/test_export_jobs.py asks for another's.
OWN_OBJECT_PAGES = {"export_job_download"}
ROLES = [Role.OPERATOR_ADMIN, Role.ANALYST, Role.TECHNICIAN]
# Every model read through `for_user()`: the operator's own rows and its people.
SCOPED_MODELS = [model for model in apps.get_models() if hasattr(model._default_manager, "for_user")]


def url_patterns(patterns=None, namespace=None):
    """(name, pattern, view class) of every page of the project that needs signing in (the
    Django admin aside). Those that do not, the sign-in page and the signed links piles download
    firmware from, belong to no role; their own tests say what they refuse."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name != "admin":
                yield from url_patterns(entry.url_patterns, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.callback.__module__.startswith("allauth."):
            continue  # the driver portal's own account pages: tests/test_driver_portal.py
        elif isinstance(entry, URLPattern) and getattr(entry.callback, "login_required", True):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, str(entry.pattern), entry.callback.view_class


PAGES = list(url_patterns())
OBJECT_PAGES = [page for page in PAGES if "<int:pk>" in page[1] and page[0] not in OWN_OBJECT_PAGES]


def required_permission(view_class, with_pk: bool) -> str | None:
    """The permission a view asks for: its `permission`, or its model's for its action."""
    if getattr(view_class, "permission", None):
        return view_class.permission
    model = getattr(view_class, "model", None)
    if model is None:
        return None
    view = view_class()
    view.kwargs = {"pk": 1} if with_pk else {}
    return model_permission(model, view.get_action())


def page_text(response) -> str:
    """A page's text; a workbook's (the import template) is the values of its cells."""
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = load_workbook(BytesIO(response.content))
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.values for cell in row)
    return response.content.decode()


def post_only(view_class) -> bool:
    return list(view_class.http_method_names) == ["post"]


@pytest.fixture
def world(operator, other_operator):
    """One row of every kind for A and for B; B's names carry the marker."""
    objects = {}
    for owner, prefix in ((operator, "Own"), (other_operator, MARKER)):
        station = StationFactory(area__operator=owner, area__name=f"{prefix} area", name=f"{prefix} station")
        pile = PileFactory(station=station, name=f"{prefix} pile", charge_point_id=f"{prefix}-CP-1")
        gun = GunFactory(pile=pile, connector_id=1)
        order = ChargingOrderFactory(gun=gun, number=f"{prefix}-ORDER-1")
        alarm = AlarmFactory(pile=pile, gun=gun, info=f"{prefix} contactor welded")
        work_order = work_order_create(user=None, pile=pile, problem_description=f"{prefix} screen is black")
        person = UserFactory(operator=owner, username=f"{prefix}-person", role=Role.TECHNICIAN)
        role = role_create(
            user=None,
            operator=owner,
            name=f"{prefix} role",
            permissions=Permission.objects.filter(codename="view_station"),
        )
        # A checked import of another person of the operator: everyone with the permission sees it.
        uploader = UserFactory(operator=owner, username=f"{prefix}-uploader", role=Role.OPERATOR_ADMIN)
        job = ImportJob.objects.create(
            operator=owner, user=uploader, kind="piles", file_name=f"{prefix}-piles.xlsx", status=ImportStatus.CHECKED
        )
        package = FirmwarePackageFactory(operator=owner, manufacturer=f"{prefix} Power", model=pile.model)
        upgrade = UpgradeTargetFactory(upgrade__package=package, pile=pile).upgrade
        # A portal account of the operator's network, with a wallet entry an operator wrote.
        driver = driver_register(
            user=UserFactory(operator=None, username=f"{prefix}-driver", email=f"{prefix}-driver@example.com"),
            operator=owner,
        )
        paid = ChargingOrderFactory(
            gun=gun,
            number=f"{prefix}-ORDER-2",
            id_tag=driver.id_tag,
            payment_method=PaymentMethod.WALLET,
            amount=Decimal("9.00"),
        )
        wallet_orders_charge(orders=[paid])
        wallet_refund(user=uploader, driver=driver, amount=Decimal("5.00"), reason=f"{prefix} refund", order=paid)
        objects[owner.pk] = {
            "FirmwarePackage": package,
            "FirmwareUpgrade": upgrade,
            "ImportJob": job,
            "Operator": owner,
            "User": person,
            "Role": role,
            "Area": station.area,
            "Station": station,
            "Pile": pile,
            "Gun": gun,
            "ChargingOrder": order,
            "Alarm": alarm,
            "WorkOrder": work_order,
            "Driver": driver,
        }
    return objects


def rows_of(operator_user) -> dict:
    """Every scoped row the operator owns, as values, per model."""
    return {
        model.__name__: list(model.objects.for_user(operator_user).order_by("pk").values()) for model in SCOPED_MODELS
    }


def test_every_page_declares_a_permission():
    undeclared = [
        name
        for name, pattern, view in PAGES
        if name not in PUBLIC and not required_permission(view, "<int:pk>" in pattern)
    ]
    assert undeclared == []


def test_every_object_page_names_its_model():
    assert [name for name, _pattern, view in OBJECT_PAGES if getattr(view, "model", None) is None] == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_its_permissions_allow(client, operator, other_operator, world, role):
    user = UserFactory(operator=operator, role=role)
    client.force_login(user)
    for name, pattern, view in PAGES:
        if name in ("accounts:login", "accounts:logout", *OWN_OBJECT_PAGES):
            continue
        with_pk = "<int:pk>" in pattern
        args = [world[operator.pk][view.model.__name__].pk] if with_pk else []
        response = client.get(reverse(name, args=args))
        permission = required_permission(view, with_pk)
        expected = 403 if permission and not user.has_perm(permission) else 405 if post_only(view) else 200
        assert response.status_code == expected, (name, role, permission)
        if response.status_code == 200:
            assert MARKER not in page_text(response), (name, role)


@pytest.mark.parametrize("role", ROLES)
def test_another_operators_objects_are_not_found_and_posting_changes_nothing(
    client, operator, other_operator, world, role
):
    user = UserFactory(operator=operator, role=role)
    their_admin = UserFactory(operator=other_operator, role=Role.OPERATOR_ADMIN)
    client.force_login(user)
    before = rows_of(their_admin)
    for name, _pattern, view in OBJECT_PAGES:
        url = reverse(name, args=[world[other_operator.pk][view.model.__name__].pk])
        assert client.get(url).status_code == 404, (name, role)
        assert client.post(url, {"name": "taken", "problem_description": "taken"}).status_code == 404, (name, role)
    assert rows_of(their_admin) == before


@pytest.mark.parametrize("role", ROLES)
def test_exports_and_keyword_searches_hold_only_the_own_operators_rows(client, operator, other_operator, world, role):
    user = UserFactory(operator=operator, role=role)
    client.force_login(user)
    lists = [(name, view) for name, pattern, view in PAGES if issubclass(view, ObjectListView)]
    assert lists, "no list pages found"
    for name, view in lists:
        if not user.has_perm(required_permission(view, False)):
            continue
        url = reverse(name)
        search = client.get(url, {"q": MARKER})
        assert search.status_code == 200 and not list(search.context["table"].data), (name, role)
        export = client.get(url, {"export": "xlsx"})
        cells = [str(cell) for row in load_workbook(BytesIO(export.content)).active.values for cell in row]
        assert cells and not any(MARKER in cell for cell in cells), (name, role)
