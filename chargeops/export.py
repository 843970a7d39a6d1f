"""Export of a table's rows, with the columns the user sees, to .xlsx or .csv."""

import csv
from datetime import datetime
from decimal import Decimal
from io import BytesIO, StringIO

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An export is written in memory: a network's whole order history would take gigabytes and
# minutes. Past this many rows the filters must narrow it first.
EXPORT_ROWS = 50_000
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


def table_rows(table):
    """Header and rows of a django-tables2 table, as values, without the action columns."""
    columns = [column for column in table.columns if column.column.exclude_from_export is False]
    yield [str(column.header) for column in columns]
    for row in table.rows:
        yield [cell_value(row.get_cell_value(column.name)) for column in columns]


def table_export_response(table, title, export_format: str) -> HttpResponse:
    # A Chinese title keeps its characters (“充电订单-20260101.xlsx”); the header spells such a
    # name so that every browser reads it.
    data = table.data.data
    count = data[: EXPORT_ROWS + 1].count() if isinstance(data, QuerySet) else len(data)
    if count > EXPORT_ROWS:
        message = _("An export holds at most %(rows)s rows, and these filters select more: narrow them first.")
        return HttpResponseBadRequest(message % {"rows": f"{EXPORT_ROWS:,}"}, content_type="text/plain; charset=utf-8")
    filename = f"{slugify(str(title), allow_unicode=True)}-{timezone.localdate():%Y%m%d}"
    if export_format == "csv":
        buffer = StringIO()
        csv.writer(buffer).writerows([csv_safe(value) for value in row] for row in table_rows(table))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
        return response
    if export_format != "xlsx":
        raise Http404("Unknown export format")
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = str(title)[:31]
    for number, row in enumerate(table_rows(table), start=1):
        sheet.append(row)
        # The row just written, by its number: `sheet.max_row` walks every cell written so far,
        # which made an export of tens of thousands of orders take minutes.
        for cell in next(sheet.iter_rows(min_row=number, max_row=number, max_col=max(len(row), 1))):
            if isinstance(cell.value, str):
                # openpyxl stores text starting with "=" as a formula; text must stay text.
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.xlsx")
    return response
