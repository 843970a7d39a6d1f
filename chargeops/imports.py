"""The generic batch import from an Excel template, written once for every kind of object.

A kind of object (piles) declares an `Importer`: its model, its template's columns, how a row
is checked and how a checked plan is written through its services. Everything else is here or
in the shared job, tasks and pages (`ImportJob`, `chargeops.services`, `chargeops.tasks`,
`ImportStartView` and its siblings): the template workbook with its drop-down lists and
instructions, the refusal of anything that is not a filled-in template, reading the rows,
parsing cells, and the plan of what would be created, updated or left as it is.

A workbook that cannot be a filled-in template (not an .xlsx, too large, headers missing or
renamed, formulas, no rows, too many rows) is refused as a whole with a ValidationError.
Otherwise every row is checked and every problem is reported as (row, column, message), so
that people fix the file once instead of once per error.
"""

import functools
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

# What an upload may be: a filled-in template of 10,000 rows is well under a megabyte packed and
# a few megabytes unpacked. The unpacked cap is what stops a zip bomb, and it is checked on the
# sizes the archive declares before anything is unpacked (zipfile stops reading a member at its
# declared size, so a member cannot lie its way past it).
IMPORT_MAX_FILE_BYTES = 10 * 1024 * 1024
IMPORT_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
# The parts every .xlsx has; a renamed CSV or an arbitrary zip lacks them.
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")

# A progress callback: how many of a phase's steps are done.
Progress = Callable[[int], None]


def no_progress(done: int) -> None:
    """The progress callback of a caller that shows none."""


@dataclass(frozen=True)
class ImportColumn:
    """A column of a template. `choices` become the cell's drop-down list (strict unless
    `free_text`: a cell of several values separated by commas); `validation` is an Excel
    data validation (`type`, `operator`, `formula1`…) that warns while the sheet is filled in."""

    key: str
    label: str
    help: str
    required: bool = True
    choices: list[str] | None = None
    free_text: bool = False
    validation: dict | None = None


@dataclass
class ImportRow:
    """A checked row: the fields for the services and the object it updates (None: a new one)."""

    number: int
    fields: dict
    target: object = None


@dataclass
class ImportPlan:
    """What an import would do: the rows to write, how many rows already match their object,
    and every problem as (row, column, message)."""

    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows or self.unchanged)

    @property
    def bad_rows(self) -> int:
        return len({number for number, _column, _message in self.errors})

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.target is None)

    @property
    def updated(self) -> int:
        return sum(1 for row in self.rows if row.target is not None)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int = 0


class Importer:
    """One kind of object imported from an Excel template. A subclass sets `kind` (its name in
    URLs and jobs) and `model`, and writes `columns`, `example`, `check`, `write` and
    `preview_row`; `register` makes it known to the background job."""

    kind: str = ""
    model = None
    # Shown in the preview's table of good rows; `preview_row` gives a row's cells.
    preview_headers: list[str] = []
    # The upload form's choice to change existing objects, where a row names one.
    update_label = ""
    update_help = ""

    # --- What a subclass says -----------------------------------------------------------

    def columns(self, *, user=None) -> list[ImportColumn]:
        """The template's columns, in order, labelled in the active language. With a user: the
        drop-down lists hold what that user may choose (their stations)."""
        raise NotImplementedError

    def example(self, *, user) -> dict:
        """The template's example row, which imports as it is."""
        raise NotImplementedError

    def notes(self) -> list[str]:
        """Instructions beyond the shared ones."""
        return []

    def check(self, *, user, rows: list[tuple[int, dict]], update_existing: bool, progress: Progress) -> ImportPlan:
        """Every row checked as the model's form and services would, against the other rows
        and the database; nothing is written."""
        raise NotImplementedError

    def write(self, *, user, plan: ImportPlan, progress: Progress) -> ImportResult:
        """Write a valid plan through the services: every row or, on any refusal, none."""
        raise NotImplementedError

    def preview_row(self, row: ImportRow) -> list:
        raise NotImplementedError

    def export_rows(self, *, user, limit: int) -> list[dict]:
        """The user's objects as template rows: a template filled with them, which imported
        with updates changes nothing. A kind that offers no such file leaves this out."""
        raise NotImplementedError

    # --- What is shared -------------------------------------------------------------------

    @property
    def can_export(self) -> bool:
        return type(self).export_rows is not Importer.export_rows

    @property
    def noun(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def noun_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def permission(self, action: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.{action}_{opts.model_name}"

    def url_name(self, page: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}:{opts.model_name}_{page}"

    def template_build(self, *, user, rows: list[dict] | None = None) -> bytes:
        """The .xlsx to fill in: the sheet with an example row (or `rows`) and drop-down lists,
        the instructions, and a hidden sheet holding the lists' values (a list typed into a
        validation may not exceed 255 characters; an operator's station names do)."""
        columns = self.columns(user=user)
        keys = [column.key for column in columns]
        last_row = settings.IMPORT_MAX_ROWS + 1
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = self.noun_plural.capitalize()[:31]
        sheet.append([column.label for column in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E5E7EB")
        sheet.freeze_panes = "A2"
        if rows is None:
            example = self.example(user=user)
            sheet.append([example.get(key, "") for key in keys])
            for cell in sheet[2]:
                cell.font = Font(italic=True, color="6B7280")
        for values in rows or []:
            sheet.append([values.get(key, "") for key in keys])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                text_cell(cell)
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(14, len(column.label) + 4)

        lists = workbook.create_sheet(_("Lists"))
        lists.sheet_state = "hidden"
        listed = [column for column in columns if column.choices is not None]
        for list_index, column in enumerate(listed, start=1):
            letter = get_column_letter(list_index)
            lists.cell(row=1, column=list_index, value=column.label)
            for row, item in enumerate(column.choices, start=2):
                text_cell(lists.cell(row=row, column=list_index, value=item))
            if not column.choices:
                continue
            validation = DataValidation(
                type="list",
                formula1=f"'{lists.title}'!${letter}$2:${letter}${len(column.choices) + 1}",
                allow_blank=True,
            )
            # A cell of several values separated by commas would fail a strict list: the list
            # offers the names, and the import checks the cell.
            validation.showErrorMessage = not column.free_text
            validation.error = _("Pick a value from the list.")
            target = get_column_letter(keys.index(column.key) + 1)
            validation.add(f"{target}2:{target}{last_row}")
            sheet.add_data_validation(validation)
        for column in columns:
            if column.validation:
                validation = DataValidation(**column.validation)
                validation.showErrorMessage = True
                validation.error = column.help
                target = get_column_letter(keys.index(column.key) + 1)
                validation.add(f"{target}2:{target}{last_row}")
                sheet.add_data_validation(validation)

        instructions = workbook.create_sheet(_("Instructions"), index=1)
        notes = [
            _("One row per %(noun)s, on the first sheet. Keep the header row as it is; replace the example row.")
            % {"noun": self.noun},
            _("At most %(count)s rows per file. Enter values, not formulas.")
            % {"count": f"{settings.IMPORT_MAX_ROWS:,}"},
            _("Every row is checked before anything is saved: if any row is wrong, no row is imported."),
            *self.notes(),
        ]
        instructions.append([_("How to fill in the template")])
        instructions["A1"].font = Font(bold=True, size=13)
        for note in notes:
            instructions.append([note])
        instructions.append([])
        instructions.append([_("Column"), _("Required"), _("What to enter")])
        header_row = instructions.max_row
        for cell in instructions[header_row]:
            cell.font = Font(bold=True)
        for column in columns:
            instructions.append([column.label, _("yes") if column.required else _("no"), column.help])
        for column in listed:
            if column.free_text:
                instructions.append([])
                instructions.append([column.label, "", ", ".join(column.choices)])
        instructions.column_dimensions["A"].width = 28
        instructions.column_dimensions["B"].width = 10
        instructions.column_dimensions["C"].width = 90
        for row in instructions.iter_rows(min_row=header_row):
            row[2].alignment = Alignment(wrap_text=True, vertical="top")

        buffer = BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def read(self, file: IO[bytes], progress: Progress = no_progress) -> list[tuple[int, dict]]:
        """The data rows of an uploaded workbook's first sheet, as (row number in the sheet,
        {column key: cell value}), or a ValidationError that refuses the whole file."""
        package_check(file)
        try:
            # Not data_only: a formula must be seen (and refused), not its cached result trusted.
            workbook = load_workbook(file, read_only=True, data_only=False)
        except Exception as error:  # openpyxl raises whatever its parsers raise on a broken part.
            raise ValidationError(_("The workbook cannot be read: it is damaged or not an .xlsx file.")) from error
        try:
            return self._sheet_rows(workbook.worksheets[0], progress)
        finally:
            workbook.close()

    def _header_keys(self) -> dict[str, str]:
        """Header text (casefolded) → column key, in every language the site speaks: a template
        downloaded in one language is accepted by someone using another."""
        keys = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                keys.update({str(column.label).casefold(): column.key for column in self.columns()})
        return keys

    def _sheet_rows(self, sheet, progress: Progress) -> list[tuple[int, dict]]:
        limit = settings.IMPORT_MAX_ROWS
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ValidationError(_("The first sheet is empty. Download the template and fill it in."))
        header = [str(value).strip() if value is not None else "" for value in header]
        while header and not header[-1]:
            header.pop()
        known = self._header_keys()
        keys, unknown = [], []
        for text in header:
            key = known.get(text.casefold())
            if text and key is None:
                unknown.append(text)
            keys.append(key)
        labels = {column.key: column.label for column in self.columns()}
        missing = [label for key, label in labels.items() if key not in keys]
        twice = sorted({labels[key] for key in keys if key and keys.count(key) > 1})
        problems = []
        if missing:
            problems.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        if unknown:
            problems.append(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
        if twice:
            problems.append(_("Columns given twice: %(columns)s.") % {"columns": ", ".join(twice)})
        if problems:
            problems.append(_("Keep the header row of the template as it is."))
            raise ValidationError(" ".join(problems))

        data = []
        for number, values in enumerate(rows, start=2):
            values = values[: len(keys)]
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
                continue
            for key, value in zip(keys, values, strict=False):
                if isinstance(value, str) and value.startswith("="):
                    raise ValidationError(
                        _("Row %(row)s, %(column)s holds a formula (%(formula)s). Enter values only, not formulas.")
                        % {"row": number, "column": labels[key], "formula": value[:40]}
                    )
            if len(data) == limit:
                raise ValidationError(
                    _("The file has more than %(count)s %(noun)s rows. Split it into several files.")
                    % {"count": f"{limit:,}", "noun": self.noun}
                )
            data.append((number, dict(zip(keys, values, strict=False))))
            progress(len(data))
        if not data:
            raise ValidationError(_("The sheet has no %(noun)s rows below the header.") % {"noun": self.noun})
        return data


# --- The importers ----------------------------------------------------------------------------

_importers: dict[str, Importer] = {}


def register(importer_class: type[Importer]) -> type[Importer]:
    """Make an importer known by its `kind` (a class decorator in `<app>/importer.py`)."""
    _importers[importer_class.kind] = importer_class()
    return importer_class


def importer_for(kind: str) -> Importer:
    if kind not in _importers:
        # A Celery worker has not imported the apps' importers by the time a job arrives.
        autodiscover_modules("importer")
    return _importers[kind]


# --- Files and cells --------------------------------------------------------------------------


def package_check(file: IO[bytes]) -> None:
    """Refuse what cannot be an .xlsx before any of it is parsed: too large, not a zip with a
    workbook's parts, or unpacking to far more than any template (a zip bomb)."""
    size = getattr(file, "size", None)
    if size is not None and size > IMPORT_MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s MB.") % {"size": IMPORT_MAX_FILE_BYTES // (1024 * 1024)}
        )
    file.seek(0)
    refusal = ValidationError(_("This is not an Excel workbook (.xlsx). Download the template and fill it in."))
    if not zipfile.is_zipfile(file):
        raise refusal
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise refusal from error
    names = {member.filename for member in members}
    if not all(part in names for part in XLSX_PARTS):
        raise refusal
    if sum(member.file_size for member in members) > IMPORT_MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("The workbook unpacks to more than %(size)s MB; an import file is far smaller.")
            % {"size": IMPORT_MAX_UNPACKED_BYTES // (1024 * 1024)}
        )
    file.seek(0)


def text_cell(cell) -> None:
    """Keep a text cell text: openpyxl stores text starting with "=" as a formula, and a
    station's name must stay a name."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_number(value, *, whole: bool):
    """A cell's number (a Decimal, or an int when `whole`); ValueError when it is none."""
    if isinstance(value, bool):
        raise ValueError
    try:
        number = Decimal(cell_text(value))
    except InvalidOperation as error:
        raise ValueError from error
    # Far beyond anything imported, and small enough that converting it costs nothing.
    if not number.is_finite() or abs(number) >= 10**12:
        raise ValueError
    if whole:
        if number != number.to_integral_value():
            raise ValueError
        return int(number)
    return number


def cell_choice(value, choices) -> str:
    """A choice given by its value or its label, in any case and any language the site speaks
    (as the headers are); ValueError when it is none."""
    text = cell_text(value).casefold()
    try:
        return _choice_names(choices)[text]
    except KeyError:
        raise ValueError from None


@functools.cache
def _choice_names(choices) -> dict[str, str]:
    """Casefolded value and labels in every language → value, once per choices class: a cell
    is looked up, not the catalogues read again for each of 10,000 rows."""
    names = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.update({str(choice.label).casefold(): choice.value for choice in choices})
    names.update({str(choice.value).casefold(): choice.value for choice in choices})
    return names


def choice_message(choices) -> str:
    return _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(choice.label) for choice in choices)}
