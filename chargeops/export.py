"""Export of a table's rows, with the columns the user sees, to .xlsx or .csv."""

import csv
import unicodedata
from datetime import datetime
from decimal import Decimal
from io import BytesIO, StringIO
from itertools import chain, islice

from django.contrib import messages
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django_tables2.rows import BoundRow
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .cells import cell_reader
from .imports import Progress, no_progress
from .services import export_job_create, progress_reporter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = ("xlsx", "csv")
# An export is written at about 4,000 orders a second to .xlsx. Up to this many rows (about five
# seconds) it is written while the user waits; more are written in the background (`ExportJob`)
# and downloaded from the user's exports.
EXPORT_ROWS_NOW = 20_000
# A spreadsheet holds about a million rows: past this many the filters must narrow it first.
EXPORT_ROWS = 1_000_000
WIDTH_SAMPLE_ROWS, MAX_COLUMN_WIDTH = 200, 60
# A cell starting with one of these runs as a formula in a spreadsheet program.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_value(value):
    """Numbers and dates stay typed (times already in the row's local zone); anything else is
    text without the control characters a spreadsheet file cannot hold."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    text = "" if value is None else str(value)
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def csv_safe(value):
    """In CSV a cell is typed by its text: one that starts like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def shown_width(value) -> int:
    """About how many characters wide a spreadsheet shows a value: a time in its default
    format "2026-11-24 08:30:00", a Chinese character as two."""
    if isinstance(value, datetime):
        return 19
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def text_cell(sheet, text: str, *, font=None) -> WriteOnlyCell:
    """A cell of text that stays text: openpyxl would store text starting with "=" as a
    formula, and "#N/A" as an error."""
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    if font:
        cell.font = font
    return cell


def xlsx_value(sheet, value):
    """`value` as openpyxl should write it: text that it would take for a formula or an error
    in a cell of its own, anything else as it is (a cell for every value would double the time
    of a large export)."""
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        return text_cell(sheet, value)
    return value


def table_rows(table, progress: Progress = no_progress):
    """Header, rows and footer (where the table has one) of a django-tables2 table, as values,
    without the action columns; `progress` is told how many rows went by."""
    columns = [column for column in table.columns if column.column.exclude_from_export is False]
    yield [str(column.header) for column in columns]
    readers = [cell_reader(table, column, export=True) for column in columns]
    data = table.data.data
    # Read in chunks, not kept: a large export's orders would otherwise stay in memory.
    records = data.iterator(chunk_size=2000) if isinstance(data, QuerySet) else data
    for done, record in enumerate(records, start=1):
        row = BoundRow(record, table=table)
        yield [cell_value(read(row)) for read in readers]
        progress(done)
    if table.has_footer():
        # The total row the page shows under the rows.
        yield [cell_value(column.footer) for column in columns]


def table_export_response(request, table, title, export_format: str) -> HttpResponse:
    """The table's rows as a file. Past `EXPORT_ROWS_NOW` rows the export is queued as an
    `ExportJob` and the user sent to their exports; past `EXPORT_ROWS`, back to the page with
    the same filters and a message. The job's own reading of the page (`request.export_job`)
    writes the file into the job."""
    if export_format not in EXPORT_FORMATS:
        raise Http404("Unknown export format")
    data = table.data.data
    count = data[: EXPORT_ROWS + 1].count() if isinstance(data, QuerySet) else len(data)
    if count > EXPORT_ROWS:
        message = _("An export holds at most %(rows)s rows, and these filters select more: narrow them first.")
        messages.error(request, message % {"rows": f"{EXPORT_ROWS:,}"})
        query = request.GET.copy()
        for name in ("export", "table"):
            query.pop(name, None)
        return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)
    job = getattr(request, "export_job", None)
    if job is None and count > EXPORT_ROWS_NOW:
        title = capfirst(str(title))
        export_job_create(user=request.user, title=title, path=request.get_full_path(), export_format=export_format)
        message = _("The %(rows)s rows of “%(title)s” are being written: the file will be here when it is ready.")
        messages.info(request, message % {"rows": f"{count:,}", "title": title})
        return redirect("export_jobs")
    progress = no_progress if job is None else progress_reporter(job, "writing", count)
    name, content, content_type = export_file(table, title, export_format, progress)
    if job is not None:
        job.file_name, job.row_count = name, count
        job.file.save(name, ContentFile(content), save=False)
        return HttpResponse(status=204)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def export_file(table, title, export_format: str, progress: Progress = no_progress) -> tuple[str, bytes, str]:
    """The table's rows as a file: its name, content and content type."""
    # A Chinese title keeps its characters (“充电订单-20260101.xlsx”); the response's header
    # spells such a name so that every browser reads it.
    name = f"{slugify(str(title), allow_unicode=True)}-{timezone.localdate():%Y%m%d}.{export_format}"
    if export_format == "csv":
        buffer = StringIO()
        csv.writer(buffer).writerows([csv_safe(value) for value in row] for row in table_rows(table, progress))
        # With a byte order mark, by which Excel reads the file as UTF-8 (Chinese names).
        return name, buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    # Written row by row to a temporary file, not kept as cells in memory.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(title)[:31])
    sheet.freeze_panes = "A2"
    rows = table_rows(table, progress)
    header = next(rows)
    # Columns as wide as their header and first rows: a spreadsheet's default width shows a
    # time as "########". A write-only sheet takes its widths before its first row.
    first = list(islice(rows, WIDTH_SAMPLE_ROWS))
    for index, values in enumerate(zip(header, *first, strict=True), start=1):
        width = max(shown_width(value) for value in values)
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_COLUMN_WIDTH)
    sheet.append([text_cell(sheet, text, font=Font(bold=True)) for text in header])
    for row in chain(first, rows):
        sheet.append([xlsx_value(sheet, value) for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return name, buffer.getvalue(), XLSX_TYPE
