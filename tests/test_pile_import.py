"""The batch import of piles from the Excel template: template, checks, preview, confirmation,
all or nothing, round trip. Workbooks are built from the downloaded template, so the tests also
prove that the template itself can be filled in and imported. Uploads go through the import
job with Celery eager (tests/test_import_jobs.py runs a real worker)."""

import zipfile
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from accounts.choices import Role
from audit.models import AuditEntry
from chargeops.choices import ImportStatus
from chargeops.imports import IMPORT_MAX_UNPACKED_BYTES, no_progress
from chargeops.models import ImportJob
from piles.importer import PileImporter
from piles.models import Gun, Pile
from piles.services import pile_create, piles_create_many, piles_import

from .factories import AreaFactory, ChargingOrderFactory, GunFactory, PileFactory, StationFactory, UserFactory

PILES = PileImporter()
KEYS = [column.key for column in PILES.columns()]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads waiting for confirmation go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def station(operator):
    return StationFactory(area=AreaFactory(operator=operator), name="Harbour Road")


@pytest.fixture
def admin(client, admin_user, station):
    client.force_login(admin_user)
    return admin_user


def row(station_name="Harbour Road", charge_point_id="HR-0001", **values) -> list:
    """A good row, in the template's column order, with `values` changed."""
    data = {
        "station": station_name,
        "name": f"Pile {charge_point_id}",
        "charge_point_id": charge_point_id,
        "manufacturer": "XingBang",
        "model": "XB-60",
        "serial_number": "",
        "rated_power_kw": 60,
        "voltage_min": 200,
        "voltage_max": 750,
        "charging_method": "DC",
        "gun_count": 2,
        "connector_types": "CCS2, GB/T DC",
        "usage_state": "Enabled",
        **values,
    }
    return [data[key] for key in KEYS]


def template(client):
    response = client.get(reverse("piles:pile_import_template"))
    assert response.status_code == 200
    return load_workbook(BytesIO(response.content))


def workbook_bytes(book) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filled(client, rows) -> bytes:
    """The downloaded template with its example row replaced by `rows`."""
    book = template(client)
    sheet = book.worksheets[0]
    sheet.delete_rows(2, sheet.max_row)
    for values in rows:
        sheet.append(values)
    return workbook_bytes(book)


def post_and_follow(client, url, data=None):
    """POST as the browser does, with the queued task run once the request's transaction
    commits (as in production), and open the page it leads to."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data or {})
    if response.status_code != 302:
        return response
    return client.get(response["Location"])


def upload(client, content: bytes, *, update=False, name="piles.xlsx"):
    """Upload a file; the import's page once it is checked (or the form that refused it)."""
    data = {"file": SimpleUploadedFile(name, content)}
    if update:
        data["update_existing"] = "on"
    return post_and_follow(client, reverse("piles:pile_import"), data)


def confirm(client, preview):
    job = preview.context["job"]
    assert preview.context["may_confirm"], "the preview offers no confirmation"
    assert reverse("piles:pile_import_confirm", args=[job.pk]) in preview.content.decode()
    return post_and_follow(client, reverse("piles:pile_import_confirm", args=[job.pk]))


def errors_of(response) -> list[str]:
    """The preview's problems as the page words them: "Row N, column: message"."""
    return [f"Row {number}, {column}: {message}" for number, column, message in response.context["job"].errors]


def page_of(response) -> str:
    return response.content.decode()


def test_the_template_has_the_columns_lists_instructions_and_an_example_row(client, admin, station, other_operator):
    StationFactory(area=AreaFactory(operator=other_operator), name="Not yours")
    book = template(client)
    sheet = book.worksheets[0]
    labels = [cell.value for cell in sheet[1]]
    assert labels == [str(column.label) for column in PILES.columns()]
    assert "Station" in labels and "Charge point id" in labels and "Gun connector types" in labels
    example = [cell.value for cell in sheet[2]]
    assert example[0] == "Harbour Road" and example[KEYS.index("charge_point_id")] == "EXAMPLE-0001"
    validated = {str(ref).split(":")[0][0] for dv in sheet.data_validations.dataValidation for ref in dv.sqref.ranges}
    letters = {key: chr(ord("A") + index) for index, key in enumerate(KEYS)}
    for key in ("station", "charging_method", "usage_state", "connector_types", "rated_power_kw", "gun_count"):
        assert letters[key] in validated, key
    lists = book["Lists"]
    assert lists.sheet_state == "hidden"
    assert [cell.value for cell in lists["A"] if cell.value][1:] == ["Harbour Road"]
    listed = {column[0].value: [cell.value for cell in column[1:] if cell.value] for column in lists.columns}
    assert "CCS2" in listed["Gun connector types"] and listed["Charging method"] == ["AC", "DC"]
    instructions = "\n".join(str(value) for line in book["Instructions"].values for value in line if value)
    assert "10,000" in instructions and "no row is imported" in instructions


def test_the_template_with_its_example_row_imports_as_it_is(client, admin, station):
    preview = upload(client, workbook_bytes(template(client)))
    assert preview.context["job"].status == ImportStatus.CHECKED and preview.context["job"].errors == []
    response = confirm(client, preview)
    assert response.context["job"].status == ImportStatus.DONE
    pile = Pile.objects.get(charge_point_id="EXAMPLE-0001")
    assert pile.station == station and [g.connector_type for g in pile.guns.all()] == ["type2"]


def test_a_valid_file_imports_every_pile_with_its_guns_and_audits_each(client, admin, station, media):
    rows = [
        row(charge_point_id="HR-0001"),
        row(charge_point_id="HR-0002", gun_count=1, connector_types="type2", charging_method="ac", rated_power_kw=7.4),
        row(charge_point_id="HR-0003", gun_count=3, connector_types="CCS2;CHAdeMO;ccs2", usage_state=None),
    ]
    preview = upload(client, filled(client, rows))
    assert preview.status_code == 200
    job = preview.context["job"]
    assert (job.to_create, job.to_update, job.row_count, job.status) == (3, 0, 3, ImportStatus.CHECKED)
    assert [row[:3] for row in job.preview] == [
        [2, "create", "HR-0001"],
        [3, "create", "HR-0002"],
        [4, "create", "HR-0003"],
    ]
    assert Pile.objects.count() == 0, "the preview writes nothing"
    assert len(list(media.rglob("*.xlsx"))) == 1, "the upload waits for its confirmation"
    response = confirm(client, preview)
    assert response.context["job"].status == ImportStatus.DONE
    piles = {pile.charge_point_id: pile for pile in Pile.objects.all()}
    assert set(piles) == {"HR-0001", "HR-0002", "HR-0003"}
    assert piles["HR-0002"].rated_power_kw == Decimal("7.40") and piles["HR-0002"].charging_method == "AC"
    guns = list(piles["HR-0003"].guns.values_list("connector_id", "connector_type"))
    assert guns == [(1, "ccs2"), (2, "chademo"), (3, "ccs2")]
    assert piles["HR-0003"].usage_state == "enabled"
    assert AuditEntry.objects.filter(object_id__in=[p.pk for p in piles.values()]).count() == 3
    assert list(media.rglob("*.xlsx")) == [], "the confirmed upload is not kept"
    assert "Import finished: 3 created, 0 updated, 0 unchanged." in page_of(response)
    assert reverse("piles:pile_list") in page_of(response)


def test_a_bad_last_row_imports_nothing_and_the_preview_names_it(client, admin, station):
    rows = [row(charge_point_id=f"HR-{n:04d}") for n in range(1, 5)]
    rows.append(row(charge_point_id="HR-0099", voltage_min=800, rated_power_kw="fast"))
    preview = upload(client, filled(client, rows))
    assert errors_of(preview) == [
        "Row 6, Rated power (kW): Enter a number.",
        "Row 6, Maximum voltage (V): The minimum voltage must not exceed the maximum voltage.",
    ]
    job = preview.context["job"]
    assert (job.status, job.to_create, job.bad_rows, bool(job.file)) == (ImportStatus.PROBLEMS, 4, 1, False)
    assert "Fix the file and upload it again" in page_of(preview)
    assert reverse("piles:pile_import_confirm", args=[job.pk]) not in page_of(preview)
    # Nor can it be confirmed by a forged request, nor the service be made to write the plan.
    assert "cannot be confirmed now" in page_of(
        post_and_follow(client, reverse("piles:pile_import_confirm", args=[job.pk]))
    )
    assert Pile.objects.count() == 0
    plan = PILES.check(
        user=admin, rows=PILES.read(BytesIO(filled(client, rows))), update_existing=False, progress=no_progress
    )
    with pytest.raises(Exception, match="nothing was imported"):
        piles_import(user=admin, plan=plan)
    assert Pile.objects.count() == 0 and Gun.objects.count() == 0


def zip_bomb() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (IMPORT_MAX_UNPACKED_BYTES + 1))
    assert len(buffer.getvalue()) < 200_000, "the bomb is small packed"
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def header_changed(client, rename: dict) -> bytes:
    book = template(client)
    for cell in book.worksheets[0][1]:
        if cell.value in rename:
            cell.value = rename[cell.value]
    return workbook_bytes(book)


def header_only(client) -> bytes:
    book = template(client)
    book.worksheets[0].delete_rows(2, 5)
    return workbook_bytes(book)


def blank_workbook(client) -> bytes:
    return workbook_bytes(Workbook())


def with_formula(client) -> bytes:
    return filled(client, [row(), row(charge_point_id="HR-0002", rated_power_kw="=30*2")])


REFUSALS = {
    "renamed csv": (lambda client: b"station,pile name\nHarbour Road,P1\n", "not an Excel workbook"),
    "zip without workbook parts": (lambda client: plain_zip(), "not an Excel workbook"),
    "zip bomb": (lambda client: zip_bomb(), "unpacks to more than 50 MB"),
    "missing header": (lambda client: header_changed(client, {"Model": None}), "Missing columns: Model."),
    "renamed header": (
        lambda client: header_changed(client, {"Rated power (kW)": "Power"}),
        "Missing columns: Rated power (kW). Unknown columns: Power.",
    ),
    "formula": (with_formula, "Row 3, Rated power (kW) holds a formula (=30*2)"),
    "header only": (header_only, "no charging pile rows"),
    "empty workbook": (blank_workbook, "The first sheet is empty"),
}


# What cannot be an .xlsx at all is refused by the upload form and never stored; the rest by
# the check, on the import's page.
REFUSED_AT_UPLOAD = {"renamed csv", "zip without workbook parts", "zip bomb"}


def refusal_of(response) -> str:
    if "form" in response.context:
        return " ".join(response.context["form"].errors["file"])
    job = response.context["job"]
    assert job.status == ImportStatus.REFUSED and job.message in page_of(response)
    return job.message


@pytest.mark.parametrize("case", REFUSALS)
def test_a_file_that_is_not_a_filled_template_is_refused_whole(client, admin, station, media, case):
    make, message = REFUSALS[case]
    response = upload(client, make(client))
    assert response.status_code == 200
    assert message in refusal_of(response)
    assert ("form" in response.context) == (case in REFUSED_AT_UPLOAD)
    assert ImportJob.objects.count() == (0 if case in REFUSED_AT_UPLOAD else 1)
    assert Pile.objects.count() == 0
    assert [path for path in media.rglob("*") if path.is_file()] == [], "a refused upload is not kept"


def test_more_rows_than_the_limit_are_refused(client, admin, station, settings):
    settings.IMPORT_MAX_ROWS = 3
    content = filled(client, [row(charge_point_id=f"HR-{n}") for n in range(4)])
    assert "more than 3 charging pile rows" in refusal_of(upload(client, content))
    three = upload(client, filled(client, [row(charge_point_id=f"HR-{n}") for n in range(3)]))
    assert three.context["job"].status == ImportStatus.CHECKED


def test_a_charge_point_id_twice_in_the_file_or_already_in_the_database_is_an_error(client, admin, station):
    PileFactory(station=station, charge_point_id="TAKEN-1")
    rows = [
        row(charge_point_id="HR-0001"),
        row(charge_point_id="hr-0001", name="Other"),
        row(charge_point_id="taken-1"),
    ]
    preview = upload(client, filled(client, rows))
    assert errors_of(preview) == [
        "Row 3, Charge point id: “hr-0001” is also on row 2.",
        "Row 4, Charge point id: A pile with this charge point id already exists.",
    ]
    assert Pile.objects.count() == 1


def test_a_pile_name_twice_at_a_station_is_an_error(client, admin, station):
    PileFactory(station=station, name="Bay 1", charge_point_id="OLD-1")
    rows = [row(charge_point_id="HR-1", name="Bay 2"), row(charge_point_id="HR-2", name="Bay 2"), row(name="Bay 1")]
    preview = upload(client, filled(client, rows))
    assert errors_of(preview) == [
        "Row 3, Pile name: Row 2 has a pile of this name at this station too.",
        "Row 4, Pile name: This station already has a pile with this name.",
    ]


def test_another_operators_station_is_no_such_station(client, admin, station, other_operator):
    StationFactory(area=AreaFactory(operator=other_operator), name="Their Depot")
    preview = upload(client, filled(client, [row(station_name="Their Depot")]))
    assert errors_of(preview) == ["Row 2, Station: No such station: “Their Depot”."]


def test_bad_choices_and_gun_counts_are_errors_per_column(client, admin, station):
    rows = [row(charging_method="Hybrid", usage_state="Maybe", gun_count=2, connector_types="CCS2")]
    rows.append(row(charge_point_id="bad id!", gun_count=9, connector_types="Plug"))
    preview = upload(client, filled(client, rows))
    assert errors_of(preview) == [
        "Row 2, Charging method: Choose one of: AC, DC.",
        "Row 2, Gun connector types: 1 connector type(s) for 2 gun(s): give one per gun, separated by commas.",
        "Row 2, Usage state: Choose one of: Enabled, Disabled.",
        "Row 3, Charge point id: Use 1–48 letters, digits, dots, colons, underscores or hyphens.",
        "Row 3, Number of guns: Enter a whole number from 1 to 8.",
        "Row 3, Gun connector types: Choose one of: GB/T AC, GB/T DC, Type 1 (J1772), Type 2 (Mennekes), CCS1, "
        "CCS2, CHAdeMO, NACS (SAE J3400).",
    ]


def test_an_existing_pile_is_updated_only_when_asked(client, admin, station, other_operator):
    pile = PileFactory(station=station, charge_point_id="HR-0001", name="Old name", manufacturer="Old")
    GunFactory(pile=pile, connector_id=1, connector_type="type2")
    GunFactory(pile=pile, connector_id=2, connector_type="type2")
    theirs = PileFactory(station=StationFactory(area=AreaFactory(operator=other_operator)), charge_point_id="THEIRS-1")
    rows = [row(charge_point_id="hr-0001", name="New name", gun_count=1, connector_types="CCS2")]

    refused = upload(client, filled(client, rows))
    assert errors_of(refused) == ["Row 2, Charge point id: A pile with this charge point id already exists."]

    # Another operator's pile is never updated, whatever the user asks.
    foreign = upload(client, filled(client, [row(charge_point_id="THEIRS-1")]), update=True)
    assert errors_of(foreign) == ["Row 2, Charge point id: A pile with this charge point id already exists."]

    preview = upload(client, filled(client, rows), update=True)
    assert (preview.context["job"].to_create, preview.context["job"].to_update) == (0, 1)
    assert confirm(client, preview).context["job"].status == ImportStatus.DONE
    pile.refresh_from_db()
    assert (pile.name, pile.manufacturer, pile.charge_point_id) == ("New name", "XingBang", "HR-0001")
    assert list(pile.guns.values_list("connector_id", "connector_type")) == [(1, "ccs2")]
    theirs.refresh_from_db()
    assert theirs.name != "Pile THEIRS-1"


def test_an_update_that_removes_a_gun_with_orders_is_an_error(client, admin, station):
    pile = PileFactory(station=station, charge_point_id="HR-0001")
    GunFactory(pile=pile, connector_id=1)
    ChargingOrderFactory(gun=GunFactory(pile=pile, connector_id=2))
    preview = upload(client, filled(client, [row(gun_count=1, connector_types="type2")]), update=True)
    assert errors_of(preview) == ["Row 2, Number of guns: Gun 2 has charging orders and cannot be removed."]
    assert pile.guns.count() == 2


def test_confirm_checks_again_and_imports_nothing_when_the_database_changed(client, admin, station):
    preview = upload(client, filled(client, [row(charge_point_id="HR-0001"), row(charge_point_id="HR-0002")]))
    assert preview.context["job"].status == ImportStatus.CHECKED
    PileFactory(station=StationFactory(area=station.area), charge_point_id="HR-0002")
    response = confirm(client, preview)
    assert response.context["job"].status == ImportStatus.FAILED
    assert errors_of(response) == ["Row 3, Charge point id: A pile with this charge point id already exists."]
    assert "Charging piles changed since the preview: nothing was imported." in page_of(response)
    assert list(Pile.objects.values_list("charge_point_id", flat=True)) == ["HR-0002"]


def test_only_the_person_who_uploaded_a_file_confirms_it(client, admin, station, operator):
    preview = upload(client, filled(client, [row()]))
    job = preview.context["job"]
    colleague = UserFactory(operator=operator, role=Role.OPERATOR_ADMIN)
    client.force_login(colleague)
    seen = client.get(reverse("piles:pile_import_job", args=[job.pk]))
    assert not seen.context["may_confirm"] and f"Only {admin.username}, who uploaded the file" in page_of(seen)
    refused = post_and_follow(client, reverse("piles:pile_import_confirm", args=[job.pk]))
    assert "Only the person who uploaded this file can confirm its import." in page_of(refused)
    assert client.post(reverse("piles:pile_import_confirm", args=[job.pk + 1000])).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and Pile.objects.count() == 0
    client.force_login(admin)
    assert confirm(client, client.get(reverse("piles:pile_import_job", args=[job.pk]))).context["job"].created == 1
    again = post_and_follow(client, reverse("piles:pile_import_confirm", args=[job.pk]))
    assert "cannot be confirmed now" in page_of(again) and Pile.objects.count() == 1


@pytest.mark.parametrize("role", [Role.ANALYST, Role.TECHNICIAN])
def test_roles_that_cannot_add_piles_cannot_import(client, operator, station, role):
    client.force_login(UserFactory(operator=operator, role=role))
    assert client.get(reverse("piles:pile_import_template")).status_code == 403
    assert client.get(reverse("piles:pile_import")).status_code == 403
    content = workbook_bytes(Workbook())
    assert client.post(reverse("piles:pile_import"), {"file": SimpleUploadedFile("p.xlsx", content)}).status_code == 403
    job = ImportJob.objects.create(operator=operator, kind="piles", file_name="x.xlsx")
    assert client.get(reverse("piles:pile_import_job", args=[job.pk])).status_code == 403
    assert client.post(reverse("piles:pile_import_confirm", args=[job.pk])).status_code == 403


def test_the_pile_list_offers_the_template_and_the_import(client, admin):
    page = client.get(reverse("piles:pile_list")).content.decode()
    assert reverse("piles:pile_import_template") in page and reverse("piles:pile_import") in page


def test_checking_a_file_reads_the_database_a_fixed_number_of_times(client, admin, station):
    for n in range(20):
        PileFactory(station=station, charge_point_id=f"HR-{n:04d}", name=f"Pile HR-{n:04d}")
    rows = PILES.read(BytesIO(filled(client, [row(charge_point_id=f"HR-{n:04d}") for n in range(40)])))
    with CaptureQueriesContext(connection) as queries:
        plan = PILES.check(user=admin, rows=rows, update_existing=True, progress=no_progress)
    assert plan.updated == 20 and plan.created == 20 and not plan.errors
    assert len(queries) <= 6


# Anything a person (or a broken export) may type into a cell.
CELL = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(
        ["Harbour Road", "AC", "dc", "CCS2", "Type 2 (Mennekes), CCS2", "0", "1e9", " 7 ", "-1", "2", "x" * 49]
    ),
)


@pytest.mark.django_db
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changed=st.dictionaries(st.sampled_from(KEYS), CELL, max_size=3))
def test_any_row_either_imports_fully_or_changes_nothing(admin_user, station, changed):
    """A random row, through a real workbook: a clean plan imports the pile and its guns; any
    other is refused by the service with nothing written."""
    # A good row with up to three cells changed: rows near the valid ones, on both sides.
    values = dict(zip(KEYS, row(), strict=True)) | changed
    book = Workbook()
    book.active.append([str(column.label) for column in PILES.columns()])
    book.active.append([values[key] for key in KEYS])
    for cell in book.active[2]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
    with transaction.atomic():
        try:
            rows = PILES.read(BytesIO(workbook_bytes(book)))
        except Exception as error:  # a whole-file refusal: only ever a ValidationError
            assert type(error).__name__ == "ValidationError"
            event("refused as a file")
            transaction.set_rollback(True)
            return
        plan = PILES.check(user=admin_user, rows=rows, update_existing=False, progress=no_progress)
        event("imported" if plan.is_valid else "refused by a row check")
        before = (Pile.objects.count(), Gun.objects.count(), AuditEntry.objects.count())
        if plan.is_valid:
            piles_import(user=admin_user, plan=plan)
            pile = Pile.objects.get()
            assert pile.guns.count() == len(plan.rows[0].fields["guns"])
            assert AuditEntry.objects.count() == before[2] + 1
        else:
            with pytest.raises(Exception, match="nothing was imported"):
                piles_import(user=admin_user, plan=plan)
            assert (Pile.objects.count(), Gun.objects.count(), AuditEntry.objects.count()) == before
        transaction.set_rollback(True)


def test_many_piles_are_audited_as_pile_create_audits_one(admin_user, station):
    fields = {
        "station": station,
        "manufacturer": "XingBang",
        "model": "XB-60",
        "rated_power_kw": Decimal("60"),
        "voltage_min": 200,
    }
    fields |= {"voltage_max": 750, "charging_method": "DC", "usage_state": "enabled", "serial_number": ""}
    guns = [
        {"id": None, "connector_id": 1, "connector_type": "ccs2"},
        {"id": None, "connector_id": 2, "connector_type": "type2"},
    ]
    one = pile_create(user=admin_user, guns=guns, name="One", charge_point_id="ONE-1", **fields)
    [many] = piles_create_many(user=admin_user, piles=[(fields | {"name": "Two", "charge_point_id": "ONE-2"}, guns)])
    entry_one, entry_many = (AuditEntry.objects.get(object_id=pile.pk) for pile in (one, many))
    differing = {"Charge point id": None, "Pile name": None}
    assert entry_many.changes | differing == entry_one.changes | differing
    assert entry_many.changes["Guns"] == [None, "1: CCS2, 2: Type 2 (Mennekes)"]
    assert (entry_many.user, entry_many.operator, entry_many.action) == (admin_user, station.area.operator, "create")


def test_a_pile_saved_meanwhile_undoes_every_new_pile(admin_user, station):
    PileFactory(station=station, charge_point_id="LATE-1")
    fields = {"station": station, "manufacturer": "X", "model": "Y", "rated_power_kw": Decimal("7"), "voltage_min": 200}
    fields |= {"voltage_max": 250, "charging_method": "AC"}
    gun = [{"id": None, "connector_id": 1, "connector_type": "type2"}]
    piles = [
        (fields | {"name": "A", "charge_point_id": "NEW-1"}, gun),
        (fields | {"name": "B", "charge_point_id": "late-1"}, gun),
    ]
    with pytest.raises(ValidationError, match="saved meanwhile"):
        piles_create_many(user=admin_user, piles=piles)
    assert list(Pile.objects.values_list("charge_point_id", flat=True)) == ["LATE-1"]
    assert not AuditEntry.objects.filter(action="create", content_type__model="pile").exists()


def filled_with_my_piles(client):
    response = client.get(reverse("piles:pile_import_template"), {"filled": "1"})
    assert response.status_code == 200 and "piles-export.xlsx" in response["Content-Disposition"]
    return load_workbook(BytesIO(response.content))


def piles_as_saved() -> list:
    fields = ["pk", "station", "name", "charge_point_id", "manufacturer", "model", "serial_number"]
    fields += ["rated_power_kw", "voltage_min", "voltage_max", "charging_method", "usage_state"]
    guns = list(Gun.objects.order_by("pile", "connector_id").values_list("pile", "connector_id", "connector_type"))
    return [list(Pile.objects.order_by("pk").values_list(*fields)), guns]


def test_exported_piles_imported_again_change_nothing(client, admin, station, other_operator):
    """Round trip: the template filled with the user's piles, imported with updates, finds
    every pile unchanged and writes nothing, not even an audit entry."""
    north = StationFactory(area=AreaFactory(operator=station.area.operator, name="North"), name="Depot")
    StationFactory(area=AreaFactory(operator=station.area.operator, name="South"), name="Depot")
    for number, (at, kinds) in enumerate([(station, ["ccs2", "gbt_dc"]), (north, ["type2"]), (station, ["ccs1"])]):
        pile = PileFactory(station=at, charge_point_id=f"RT-{number}", rated_power_kw=Decimal("7.4"), serial_number="")
        for connector_id, kind in enumerate(kinds, start=1):
            GunFactory(pile=pile, connector_id=connector_id, connector_type=kind)
    PileFactory(station=StationFactory(area=AreaFactory(operator=other_operator)), charge_point_id="THEIRS-1")
    before, entries = piles_as_saved(), AuditEntry.objects.count()

    book = filled_with_my_piles(client)
    sheet_rows = list(book.worksheets[0].values)
    assert [values[KEYS.index("charge_point_id")] for values in sheet_rows[1:]] == ["RT-1", "RT-0", "RT-2"]
    assert sheet_rows[1][0] == "Depot (North)", "a station whose name repeats is named with its area"
    preview = upload(client, workbook_bytes(book), update=True)
    job = preview.context["job"]
    assert (job.status, job.to_create, job.to_update, job.unchanged) == (ImportStatus.CHECKED, 0, 0, 3)
    assert "importing changes nothing" in page_of(preview) and not preview.context["may_confirm"]
    assert "Import 3 rows" not in page_of(preview)
    refused = post_and_follow(client, reverse("piles:pile_import_confirm", args=[job.pk]))
    assert "cannot be confirmed now" in page_of(refused)
    assert piles_as_saved() == before and AuditEntry.objects.count() == entries
    # Written anyway (a plan's rows that match their piles are not written at all).
    plan = PILES.check(
        user=admin, rows=PILES.read(BytesIO(workbook_bytes(book))), update_existing=True, progress=no_progress
    )
    assert (plan.rows, plan.unchanged) == ([], 3)
    assert piles_import(user=admin, plan=plan).unchanged == 3
    assert piles_as_saved() == before and AuditEntry.objects.count() == entries


def test_a_filled_template_edited_in_excel_changes_only_the_rows_edited(client, admin, station):
    for number in range(3):
        GunFactory(pile=PileFactory(station=station, charge_point_id=f"ED-{number}", name=f"Bay {number}"))
    book = filled_with_my_piles(client)
    sheet = book.worksheets[0]
    sheet.cell(row=3, column=KEYS.index("name") + 1, value="Bay 1 (renamed)")
    sheet.cell(row=4, column=KEYS.index("gun_count") + 1, value=2)
    sheet.cell(row=4, column=KEYS.index("connector_types") + 1, value="Type 2 (Mennekes), CCS2")
    preview = upload(client, workbook_bytes(book), update=True)
    job = preview.context["job"]
    assert (job.to_create, job.to_update, job.unchanged) == (0, 2, 1)
    assert [row[:2] for row in job.preview] == [[3, "update"], [4, "update"]]
    confirm(client, preview)
    assert Pile.objects.get(charge_point_id="ED-1").name == "Bay 1 (renamed)"
    assert Pile.objects.get(charge_point_id="ED-2").guns.count() == 2
    assert AuditEntry.objects.filter(action="update").count() == 2


def test_stations_of_the_same_name_in_two_areas_are_told_apart_by_area(client, admin, station):
    north = StationFactory(area=AreaFactory(operator=station.area.operator, name="North"), name="Depot")
    south = StationFactory(area=AreaFactory(operator=station.area.operator, name="South"), name="Depot")
    listed = [cell.value for cell in template(client)["Lists"]["A"] if cell.value][1:]
    assert listed == ["Depot (North)", "Depot (South)", "Harbour Road"]
    rows = [
        row(station_name="Depot", charge_point_id="D-1"),
        row(station_name="depot (south)", charge_point_id="D-2"),
        row(station_name="Depot (North)", charge_point_id="D-3"),
    ]
    preview = upload(client, filled(client, rows))
    assert errors_of(preview) == [
        "Row 2, Station: Several of your stations are named “Depot”: pick one from the list, which adds its area."
    ]
    preview = upload(client, filled(client, rows[1:]))
    confirm(client, preview)
    assert Pile.objects.get(charge_point_id="D-2").station == south
    assert Pile.objects.get(charge_point_id="D-3").station == north
