import zoneinfo
from decimal import Decimal

from django import template
from django.template.base import render_value_in_context
from django.utils import formats, numberformat, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from accounts.choices import CURRENCY_UNITS
from chargeops.cells import cell_reader

register = template.Library()


@register.filter
def in_tz(value, time_zone):
    """A datetime as `YYYY-MM-DD HH:MM` in the given time zone (a station's, an operator's),
    UTC where there is none (a platform admin's), or “—”."""
    if not value:
        return "—"
    return timezone.localtime(value, zoneinfo.ZoneInfo(str(time_zone or "UTC"))).strftime("%Y-%m-%d %H:%M")


@register.filter(name="badge")
def badge_html(value, label) -> str:
    """A status as a coloured badge, its colour from the raw value (`{{ value|badge:label }}`,
    chargeops/partials/badge.html). Table cells call it directly: a template per cell costs a
    page of a few hundred badges several milliseconds."""
    return format_html('<span class="badge badge-{}">{}</span>', str(value).lower() or "none", label or "—")


@register.filter
def duration_short(value) -> str:
    """A timedelta as hours and minutes (“1 h 05 min”), or “—”."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    return gettext("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


@register.filter
def currency_unit(currency):
    """An operator's currency as written after an amount in the active language (“USD”, “元”)."""
    return CURRENCY_UNITS.get(currency, currency) if currency else ""


@register.filter
def money(amount, currency=""):
    """An amount with two decimals, its digits grouped as the active language groups them, and
    the currency's word after it; “—” when there is none."""
    if amount is None or amount == "":
        return "—"
    text = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    unit = currency_unit(currency)
    return f"{text} {unit}" if unit else text


@register.filter
def command_summary(value, limit=160):
    """An OCPP request or answer as short `key=value` text for a table cell."""
    if not value:
        return "—"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if item in (None, [], {}):
                continue
            if isinstance(item, list) and item and isinstance(item[0], dict) and "key" in item[0]:
                item = ", ".join(f"{entry['key']}={entry.get('value', '')}" for entry in item)
            parts.append(f"{key}={item}")
        value = "; ".join(parts) or "—"
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@register.filter
def percent(value):
    """A ratio (0.1234) as “12.3 %”, or “—” when there is none."""
    if value is None or value == "":
        return "—"
    return percent_text(f"{value * 100:.1f}")


def percent_text(number) -> str:
    """A number of per cent as the active language writes it: “12.3 %”, Chinese “12.3%”."""
    return gettext("%(percent)s %%") % {"percent": number}


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    """The <tr>s of a django-tables2 table's page: the cells, attributes and localisation of
    django_tables2/table.html, drawn here instead of by three template lookups a cell (a
    statistics page draws several hundred cells), and numbers with their thousands grouped.
    Every value is escaped as the template would (`render_value_in_context`); attributes come
    escaped from `as_html`."""
    number = _number_format()
    columns = [
        (column, cell_reader(table, column), None if _computed_td(table, column) else column.attrs["td"].as_html())
        for column in table.columns
    ]
    html = []
    for row in table.paginated_rows:
        html.append(f"<tr {row.attrs.as_html()}>")
        for column, read, td in columns:
            cell = read(row)
            # As `BoundRow.items()` does: computed cell attributes read them.
            column.current_value, column.current_record = cell, row.record
            if column.localize is not None:
                cell = formats.localize(cell, use_l10n=column.localize)
            elif isinstance(cell, int | float | Decimal) and not isinstance(cell, bool):
                cell = number(cell)
            attrs = column.attrs["td"].as_html() if td is None else td
            html.append(f"<td {attrs}>{render_value_in_context(cell, context)}</td>")
        html.append("</tr>")
    return mark_safe("".join(html))


def _number_format():
    """`formats.number_format(value, force_grouping=True)` with the active language's
    separators read once, not for each of a table's hundreds of numbers."""
    language = get_language()
    decimal, grouping, thousands = (
        formats.get_format(name, language, use_l10n=True)
        for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )
    return lambda value: numberformat.format(
        value, decimal, None, grouping, thousands, force_grouping=True, use_l10n=True
    )


def _computed_td(table, column) -> bool:
    """Whether a column's cell attributes are computed per row (callables of the record)."""
    attrs = [table.attrs.get(key, {}) for key in ("cell", "td")]
    attrs += [column.column.attrs.get(key, {}) for key in ("cell", "td")]
    return any(callable(value) for values in attrs for value in values.values())
