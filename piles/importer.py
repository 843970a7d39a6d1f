"""The batch import of piles from an Excel workbook: the template, reading an uploaded workbook,
and checking its rows. Nothing here writes to the database; `services.piles_import` writes a
checked ImportPlan.

A workbook that cannot be a filled-in template (not an .xlsx, too large, headers missing or
renamed, formulas, no rows, too many rows) is refused as a whole with a ValidationError.
Otherwise every row is checked and every problem is reported as (row, column, message), so that
people fix the file once instead of once per error.

The web request runs all of this for now (10,000 rows take a few seconds). The seam for a
background run with a progress bar: the uploaded file is kept under a token
(`import_file_store`), and `import_file_open` + `pile_sheet_read` + `import_rows_validate` +
`piles_import` need nothing but the user and that token, which a Celery task can be given.
"""

import re
import secrets
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import IO

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.models import User
from orders.models import ChargingOrder
from stations.models import Station

from .choices import ChargingMethod, ConnectorType, UsageState
from .forms import GunFormSet
from .models import Gun, Pile

# What an upload may be: a filled-in template of 10,000 rows is well under a megabyte packed and
# a few megabytes unpacked. The unpacked cap is what stops a zip bomb, and it is checked on the
# sizes the archive declares before anything is unpacked (zipfile stops reading a member at its
# declared size, so a member cannot lie its way past it).
IMPORT_MAX_FILE_BYTES = 10 * 1024 * 1024
IMPORT_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
# The parts every .xlsx has; a renamed CSV or an arbitrary zip lacks them.
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
MAX_GUNS = GunFormSet.max_num
# Where an upload waits between the preview and the confirmation, per user.
STORED_IMPORTS = "imports/piles"
TOKEN_RE = re.compile(r"^[0-9a-f]{32}\Z")


@dataclass(frozen=True)
class ImportColumn:
    key: str
    label: str
    help: str
    required: bool = True


def pile_label(name: str) -> str:
    return str(capfirst(Pile._meta.get_field(name).verbose_name))


def import_columns() -> list[ImportColumn]:
    """The template's columns, in order, labelled in the active language."""
    return [
        ImportColumn("station", pile_label("station"), _("The name of one of your stations (pick from the list).")),
        ImportColumn("name", pile_label("name"), _("Unique within the station.")),
        ImportColumn(
            "charge_point_id",
            pile_label("charge_point_id"),
            _("The pile's OCPP identity: 1–48 letters, digits, dots, colons, underscores or hyphens. Unique."),
        ),
        ImportColumn("manufacturer", pile_label("manufacturer"), ""),
        ImportColumn("model", pile_label("model"), ""),
        ImportColumn("serial_number", pile_label("serial_number"), _("May be left empty."), required=False),
        ImportColumn("rated_power_kw", pile_label("rated_power_kw"), _("A number greater than zero, e.g. 7 or 60.5.")),
        ImportColumn("voltage_min", pile_label("voltage_min"), _("A whole number of volts.")),
        ImportColumn("voltage_max", pile_label("voltage_max"), _("A whole number, not below the minimum voltage.")),
        ImportColumn("charging_method", pile_label("charging_method"), _("AC or DC (pick from the list).")),
        ImportColumn("gun_count", _("Number of guns"), _("1 to %(max)s.") % {"max": MAX_GUNS}),
        ImportColumn(
            "connector_types",
            _("Gun connector types"),
            _("One connector type per gun, in gun order, separated by commas, e.g. “CCS2, CCS2”."),
        ),
        ImportColumn(
            "usage_state",
            pile_label("usage_state"),
            _("Enabled or Disabled (pick from the list); empty means Enabled."),
            required=False,
        ),
    ]


def column_label(key: str) -> str:
    return next(column.label for column in import_columns() if column.key == key)


# --- The template ---------------------------------------------------------------------------


def pile_template_build(*, user: User) -> bytes:
    """The .xlsx to fill in: the pile sheet with an example row and drop-down lists, the
    instructions, and a hidden sheet holding the lists' values (a list typed into a validation
    may not exceed 255 characters; an operator's station names do)."""
    columns = import_columns()
    stations = list(Station.objects.for_user(user).order_by("name").values_list("name", flat=True).distinct())
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Piles")
    sheet.append([column.label for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E5E7EB")
    sheet.freeze_panes = "A2"
    example = {
        "station": stations[0] if stations else _("Station name"),
        "name": _("Pile 01"),
        "charge_point_id": "EXAMPLE-0001",
        "manufacturer": "XingBang",
        "model": "XB-7",
        "serial_number": "",
        "rated_power_kw": 7,
        "voltage_min": 200,
        "voltage_max": 250,
        "charging_method": str(ChargingMethod.AC.label),
        "gun_count": 1,
        "connector_types": str(ConnectorType.TYPE2.label),
        "usage_state": str(UsageState.ENABLED.label),
    }
    sheet.append([example[column.key] for column in columns])
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="6B7280")
        if isinstance(cell.value, str):
            # openpyxl stores text starting with "=" as a formula; a station's name must stay text.
            cell.data_type = "s"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(column.label) + 4)

    lists = workbook.create_sheet(_("Lists"))
    lists.sheet_state = "hidden"
    values = {
        "station": stations,
        "charging_method": [str(choice.label) for choice in ChargingMethod],
        "usage_state": [str(choice.label) for choice in UsageState],
        "connector_types": [str(choice.label) for choice in ConnectorType],
    }
    last_row = settings.IMPORT_MAX_ROWS + 1
    for list_index, (key, items) in enumerate(values.items(), start=1):
        letter = get_column_letter(list_index)
        lists.cell(row=1, column=list_index, value=column_label(key))
        for row, item in enumerate(items, start=2):
            lists.cell(row=row, column=list_index, value=item).data_type = "s"
        if not items:
            continue
        target = get_column_letter([column.key for column in columns].index(key) + 1)
        validation = DataValidation(
            type="list", formula1=f"'{lists.title}'!${letter}$2:${letter}${len(items) + 1}", allow_blank=True
        )
        # Several guns' types go in one cell, which a strict list would refuse: the list offers
        # the names, and the import checks the cell.
        validation.showErrorMessage = key != "connector_types"
        validation.error = _("Pick a value from the list.")
        validation.add(f"{target}2:{target}{last_row}")
        sheet.add_data_validation(validation)
    numbers = {
        "rated_power_kw": DataValidation(type="decimal", operator="greaterThan", formula1="0"),
        "voltage_min": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0"),
        "voltage_max": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0"),
        "gun_count": DataValidation(type="whole", operator="between", formula1="1", formula2=str(MAX_GUNS)),
    }
    for key, validation in numbers.items():
        target = get_column_letter([column.key for column in columns].index(key) + 1)
        validation.showErrorMessage = True
        validation.error = next(column.help for column in columns if column.key == key)
        validation.add(f"{target}2:{target}{last_row}")
        sheet.add_data_validation(validation)

    instructions = workbook.create_sheet(_("Instructions"), index=1)
    notes = [
        _("One row per pile, on the first sheet. Keep the header row as it is; replace the example row."),
        _("At most %(count)s rows per file. Enter values, not formulas.") % {"count": f"{settings.IMPORT_MAX_ROWS:,}"},
        _("Every row is checked before anything is saved: if any row is wrong, no row is imported."),
        _(
            "A charge point id that one of your piles already has is an error, unless you tick "
            "“Update piles that already exist” when uploading: then that pile is changed."
        ),
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
    instructions.append([])
    instructions.append([_("Connector types"), "", ", ".join(values["connector_types"])])
    instructions.column_dimensions["A"].width = 28
    instructions.column_dimensions["B"].width = 10
    instructions.column_dimensions["C"].width = 90
    for row in instructions.iter_rows(min_row=header_row):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Reading an upload ----------------------------------------------------------------------


@dataclass
class ImportSheet:
    """The data rows of an uploaded pile sheet: (row number in the sheet, {column key: cell value})."""

    rows: list[tuple[int, dict]]


def _header_keys() -> dict[str, str]:
    """Header text (casefolded) → column key, in every language the site speaks: a template
    downloaded in one language is accepted by someone using another."""
    keys = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.update({str(column.label).casefold(): column.key for column in import_columns()})
    return keys


def _check_package(file: IO[bytes]) -> None:
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


def pile_sheet_read(file: IO[bytes]) -> ImportSheet:
    """The pile rows of an uploaded workbook (its first sheet), or a ValidationError that
    refuses the whole file."""
    _check_package(file)
    try:
        # Not data_only: a formula must be seen (and refused), not its cached result trusted.
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises whatever its parsers raise on a broken part.
        raise ValidationError(_("The workbook cannot be read: it is damaged or not an .xlsx file.")) from error
    try:
        return _sheet_rows(workbook.worksheets[0])
    finally:
        workbook.close()


def _sheet_rows(sheet) -> ImportSheet:
    limit = settings.IMPORT_MAX_ROWS
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ValidationError(_("The first sheet is empty. Download the template and fill it in."))
    header = [str(value).strip() if value is not None else "" for value in header]
    while header and not header[-1]:
        header.pop()
    known = _header_keys()
    keys, unknown = [], []
    for text in header:
        key = known.get(text.casefold())
        if text and key is None:
            unknown.append(text)
        keys.append(key)
    labels = {column.key: column.label for column in import_columns()}
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
                _("The file has more than %(count)s pile rows. Split it into several files.") % {"count": f"{limit:,}"}
            )
        data.append((number, dict(zip(keys, values, strict=False))))
    if not data:
        raise ValidationError(_("The sheet has no pile rows below the header."))
    return ImportSheet(rows=data)


# --- Checking the rows ----------------------------------------------------------------------


@dataclass
class ImportRow:
    """A checked row: the pile's fields for the services, its guns (None: leave an existing
    pile's guns as they are) and the pile it updates (None: a new pile)."""

    number: int
    fields: dict
    guns: list[dict] | None
    pile: Pile | None = None


@dataclass
class ImportPlan:
    """What an import would do: the good rows, and every problem as (row, column, message)."""

    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def bad_rows(self) -> int:
        return len({number for number, _column, _message in self.errors})

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.pile is None)

    @property
    def updated(self) -> int:
        return sum(1 for row in self.rows if row.pile is not None)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value, *, whole: bool):
    if isinstance(value, bool):
        raise ValueError
    try:
        number = Decimal(_text(value))
    except InvalidOperation as error:
        raise ValueError from error
    # Far beyond any pile, and small enough that converting it costs nothing.
    if not number.is_finite() or abs(number) >= 10**12:
        raise ValueError
    if whole:
        if number != number.to_integral_value():
            raise ValueError
        return int(number)
    return number


def _choice(value, choices) -> str:
    """A choice given by its value or its label, in any case."""
    text = _text(value).casefold()
    for choice in choices:
        if text in (str(choice.value).casefold(), str(choice.label).casefold()):
            return choice.value
    raise ValueError


def _choice_message(choices) -> str:
    return _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(choice.label) for choice in choices)}


def _existing_piles(user: User, charge_point_ids: list[str]) -> tuple[dict[str, Pile], set[int]]:
    """Piles with these charge point ids (any case), of any operator, and which are the user's."""
    lowered = sorted({cp.casefold() for cp in charge_point_ids if cp})
    existing, own = {}, set()
    for start in range(0, len(lowered), 2000):
        chunk = lowered[start : start + 2000]
        piles = Pile.objects.annotate(cp=Lower("charge_point_id")).filter(cp__in=chunk)
        for pile in piles.select_related("station__area"):
            existing[pile.cp] = pile
    if existing:
        own = set(
            Pile.objects.for_user(user).filter(pk__in=[p.pk for p in existing.values()]).values_list("pk", flat=True)
        )
    return existing, own


def import_rows_validate(*, user: User, rows: list[tuple[int, dict]], update_existing: bool) -> ImportPlan:
    """Check every row as the pile form would (the model's own validation), and against the
    other rows and the database: charge point ids unique regardless of case, pile names unique
    per station. A row whose charge point id is one of the user's piles updates that pile when
    `update_existing`, and is an error otherwise. The database is read in a few queries for the
    whole file, not per row."""
    plan = ImportPlan()
    labels = {column.key: column.label for column in import_columns()}
    # A row's problems are listed in the order of the sheet's columns.
    order = {key: index for index, key in enumerate(labels)}
    stations: dict[str, list[Station]] = {}
    for station in Station.objects.for_user(user).select_related("area"):
        stations.setdefault(station.name.casefold(), []).append(station)
    existing, own = _existing_piles(user, [_text(values.get("charge_point_id")) for _n, values in rows])
    # Guns of the piles the file would update, and whether orders keep them from being removed.
    guns: dict[int, list[Gun]] = {}
    if update_existing and own:
        has_orders = Exists(ChargingOrder.objects.filter(gun=OuterRef("pk")))
        for gun in Gun.objects.filter(pile__in=own).annotate(has_orders=has_orders).order_by("connector_id"):
            guns.setdefault(gun.pile_id, []).append(gun)
    names_in_db: dict[tuple[int, str], int] = {}
    station_ids = {station.pk for group in stations.values() for station in group}
    for station_id, name, pk in Pile.objects.filter(station__in=station_ids).values_list("station_id", "name", "pk"):
        names_in_db[(station_id, name)] = pk
    seen_ids: dict[str, int] = {}
    seen_names: dict[tuple[int, str], int] = {}

    for number, values in rows:
        errors: dict[str, str] = {}
        data = {}
        for key in ("name", "charge_point_id", "manufacturer", "model", "serial_number"):
            data[key] = _text(values.get(key))

        station_name = _text(values.get("station"))
        matches = stations.get(station_name.casefold(), [])
        if not station_name:
            errors["station"] = _("Enter a station.")
        elif not matches:
            errors["station"] = _("No such station: “%(name)s”.") % {"name": station_name}
        elif len(matches) > 1:
            errors["station"] = _("Several of your stations are named “%(name)s”; rename one of them first.") % {
                "name": station_name
            }
        else:
            data["station"] = matches[0]

        for key, whole in (("rated_power_kw", False), ("voltage_min", True), ("voltage_max", True)):
            try:
                data[key] = _number(values.get(key), whole=whole)
            except ValueError:
                errors[key] = _("Enter a whole number.") if whole else _("Enter a number.")
        try:
            data["charging_method"] = _choice(values.get("charging_method"), ChargingMethod)
        except ValueError:
            errors["charging_method"] = _choice_message(ChargingMethod)
        if _text(values.get("usage_state")):
            try:
                data["usage_state"] = _choice(values.get("usage_state"), UsageState)
            except ValueError:
                errors["usage_state"] = _choice_message(UsageState)
        else:
            data["usage_state"] = UsageState.ENABLED

        connector_types = []
        try:
            gun_count = _number(values.get("gun_count"), whole=True)
            if not 1 <= gun_count <= MAX_GUNS:
                raise ValueError
        except ValueError:
            errors["gun_count"] = _("Enter a whole number from 1 to %(max)s.") % {"max": MAX_GUNS}
            gun_count = None
        types_text = _text(values.get("connector_types"))
        try:
            connector_types = [_choice(part, ConnectorType) for part in re.split(r"[,;\n]", types_text) if part.strip()]
        except ValueError:
            errors["connector_types"] = _choice_message(ConnectorType)
        else:
            if not connector_types:
                errors["connector_types"] = _("Enter one connector type per gun.")
            elif gun_count is not None and len(connector_types) != gun_count:
                errors["connector_types"] = _(
                    "%(types)s connector type(s) for %(guns)s gun(s): give one per gun, separated by commas."
                ) % {"types": len(connector_types), "guns": gun_count}

        # The model's own checks (lengths, the charge point id's characters, ranges). What needs
        # the database (the station, found above; the constraints) is checked for the whole file
        # at once, not with a query or three per row.
        pile = Pile(**data)
        try:
            pile.full_clean(exclude=[*errors, "station"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, " ".join(messages))
        if "voltage_min" not in errors and "voltage_max" not in errors and data["voltage_min"] > data["voltage_max"]:
            errors["voltage_max"] = _("The minimum voltage must not exceed the maximum voltage.")

        target = None
        charge_point_id = data["charge_point_id"]
        if charge_point_id and "charge_point_id" not in errors:
            folded = charge_point_id.casefold()
            if folded in seen_ids:
                errors["charge_point_id"] = _("“%(id)s” is also on row %(row)s.") % {
                    "id": charge_point_id,
                    "row": seen_ids[folded],
                }
            else:
                seen_ids[folded] = number
                target = existing.get(folded)
                if target is not None and not (update_existing and target.pk in own):
                    errors["charge_point_id"] = _("A pile with this charge point id already exists.")
                    target = None
        if "station" in data and data["name"] and "name" not in errors:
            place = (data["station"].pk, data["name"])
            holder = names_in_db.get(place)
            if place in seen_names:
                errors["name"] = _("Row %(row)s has a pile of this name at this station too.") % {
                    "row": seen_names[place]
                }
            elif holder is not None and (target is None or holder != target.pk):
                errors["name"] = _("This station already has a pile with this name.")
            seen_names[place] = number

        gun_rows = None
        if target is None:
            gun_rows = [
                {"id": None, "connector_id": index, "connector_type": kind}
                for index, kind in enumerate(connector_types, start=1)
            ]
        elif "connector_types" not in errors and "gun_count" not in errors:
            current = guns.get(target.pk, [])
            if [(gun.connector_id, gun.connector_type) for gun in current] != list(enumerate(connector_types, start=1)):
                gun_rows, refusal = _guns_change(current, connector_types)
                if refusal:
                    errors["gun_count"] = refusal

        for key, message in sorted(errors.items(), key=lambda item: order.get(item[0], len(order))):
            column = labels.get(key) or (_("Row") if key == NON_FIELD_ERRORS else capfirst(key))
            plan.errors.append((number, column, message))
        if not errors:
            fields = dict(data)
            if target is not None:
                # The pile's identity, matched regardless of case, stays as the pile knows it.
                del fields["charge_point_id"]
            plan.rows.append(ImportRow(number=number, fields=fields, guns=gun_rows, pile=target))
    return plan


def _guns_change(current: list[Gun], connector_types: list[str]) -> tuple[list[dict], str | None]:
    """Gun rows (as the pile form gives them to `pile_update`) that make a pile's guns number
    1..N with these types, and the reason it cannot be done: a removed gun has orders."""
    by_number = {gun.connector_id: gun for gun in current}
    rows = [
        {"id": by_number.get(index), "connector_id": index, "connector_type": kind}
        for index, kind in enumerate(connector_types, start=1)
    ]
    for gun in current:
        if gun.connector_id > len(connector_types):
            if gun.has_orders:
                return rows, _("Gun %(number)s has charging orders and cannot be removed.") % {
                    "number": gun.connector_id
                }
            rows.append(
                {"id": gun, "connector_id": gun.connector_id, "connector_type": gun.connector_type, "DELETE": True}
            )
    return rows, None


# --- The upload between preview and confirmation --------------------------------------------
# In the default storage (shared by every web worker), under a random token and the user's id:
# another user's token names no file of theirs.


def _stored_name(user: User, token: str) -> str:
    if not TOKEN_RE.match(token or ""):
        raise ValidationError(_("This import is unknown or has expired. Upload the file again."))
    return f"{STORED_IMPORTS}/{user.pk}/{token}.xlsx"


def import_file_store(*, user: User, file: IO[bytes]) -> str:
    """Keep an upload until it is confirmed; returns its token."""
    token = secrets.token_hex(16)
    file.seek(0)
    default_storage.save(_stored_name(user, token), ContentFile(file.read()))
    return token


def import_file_open(*, user: User, token: str) -> BytesIO:
    name = _stored_name(user, token)
    if not default_storage.exists(name):
        raise ValidationError(_("This import is unknown or has expired. Upload the file again."))
    with default_storage.open(name, "rb") as stored:
        return BytesIO(stored.read())


def import_file_discard(*, user: User, token: str) -> None:
    name = _stored_name(user, token)
    if default_storage.exists(name):
        default_storage.delete(name)
