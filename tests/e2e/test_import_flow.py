"""An operator admin downloads the pile template from the import page, fills it in, uploads
it with a mistake, reads the problem by row and column, uploads the corrected file, confirms
the preview and finds the piles in the list; then exports them filled in and sees that
importing that file again would change nothing."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.choices import Role
from piles.models import Pile

from ..factories import PASSWORD, AreaFactory, OperatorFactory, StationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def downloaded(page, link_text: str):
    with page.expect_download() as download:
        page.click(f"text={link_text}")
    return load_workbook(BytesIO(Path(download.value.path()).read_bytes()))


def saved(book, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    buffer = BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_operator_admin_imports_piles_from_the_template(page, screenshot, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    operator = OperatorFactory(name="Sunrise Charging")
    UserFactory(username="lisa", first_name="Lisa", last_name="Chen", operator=operator, role=Role.OPERATOR_ADMIN)
    StationFactory(area=AreaFactory(operator=operator, name="Nevada"), name="Henderson Civic Center")

    page.goto("/accounts/login/")
    page.fill("#id_username", "lisa")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Charging piles")
    page.click("text=Batch import")
    expect(page).to_have_url(re.compile(r"/piles/import/$"))

    book = downloaded(page, "Download the template")
    sheet = book.worksheets[0]
    assert sheet["A2"].value == "Henderson Civic Center", "the example row names one of the user's stations"
    sheet.delete_rows(2)
    good = ["Henderson Civic Center", "Bay 1", "HND-0001", "XingBang", "XB-60", "", 60, 200, 750, "DC", 2]
    sheet.append([*good, "CCS2, GB/T DC", "Enabled"])
    sheet.append(["Henderson Civic Center", "Bay 2", "HND-0002", "XingBang", "XB-7", "", 7, 200, 250, "AC", 2])
    sheet.cell(row=3, column=12, value="Type 2 (Mennekes)")  # one type for two guns: a mistake

    page.set_input_files("#id_file", str(saved(book, tmp_path, "piles.xlsx")))
    page.click("text=Check file")
    expect(page.locator(".badge-problems")).to_have_text("Has problems")
    problem = page.locator("table tbody tr").first
    expect(problem).to_contain_text("3")
    expect(problem).to_contain_text("Gun connector types")
    expect(problem).to_contain_text("1 connector type(s) for 2 gun(s)")
    expect(page.locator("text=Import 2 rows")).to_have_count(0)
    screenshot("import-01-problems")

    sheet.cell(row=3, column=12, value="Type 2 (Mennekes), Type 2 (Mennekes)")
    page.click("text=Upload a corrected file")
    page.set_input_files("#id_file", str(saved(book, tmp_path, "piles-fixed.xlsx")))
    page.click("text=Check file")
    expect(page.locator(".badge-checked")).to_have_text("Ready to import")
    expect(page.locator(".stat").first).to_contain_text("2")
    screenshot("import-02-preview")
    page.click("text=Import 2 rows")
    expect(page.locator(".message-success")).to_contain_text("Import finished: 2 created, 0 updated, 0 unchanged.")
    screenshot("import-03-done")
    assert sorted(Pile.objects.values_list("charge_point_id", flat=True)) == ["HND-0001", "HND-0002"]

    page.click("text=Go to charging piles")
    expect(page.locator("table")).to_contain_text("HND-0002")
    page.click("text=Batch import")
    expect(page.locator("table")).to_contain_text("piles-fixed.xlsx")
    exported = downloaded(page, "download it filled with them")
    page.set_input_files("#id_file", str(saved(exported, tmp_path, "export.xlsx")))
    page.check("#id_update_existing")
    page.click("text=Check file")
    expect(page.locator("text=importing changes nothing")).to_be_visible()
    expect(page.locator("button:has-text('Import')")).to_have_count(0)
    screenshot("import-04-round-trip")
