"""How a django-tables2 table's cells are read, for a page (`table_rows`) and for an export:
what `BoundRow.get_cell` and `BoundRow.get_cell_value` return, with what they work out for
every cell (the accessor, the render or value method, the link, the column itself by its name)
worked out once per column. django-tables2's way costs tens of microseconds a cell: a page
draws hundreds of cells, an export of a month of orders hundreds of thousands."""

import inspect
from functools import partialmethod

import django_tables2 as tables
from django.db import models
from django.utils.hashable import make_hashable
from django.utils.html import format_html
from django_tables2.columns import ManyToManyColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import Accessor, signature


def cell_reader(table, column, *, export: bool = False):
    """A function of a row that reads `column`'s cell: its HTML content as the page shows it,
    or with `export` its value as an export holds it (the column's value method, no link, None
    when empty). Link and many-to-many columns, which django-tables2 treats specially, keep its
    way."""
    if isinstance(column.column, BaseLinkColumn | ManyToManyColumn):
        name = column.name
        return (lambda row: row.get_cell_value(name)) if export else (lambda row: row.get_cell(name))
    value_of, empty = _value_reader(table, column), column.column.empty_values
    default = None if export else column.default
    if _plain(table, column):
        # A bare column shows its value as it is.
        def plain(row):
            value = value_of(row.record)
            return default if value in empty else value

        return plain
    render = _caller(column.value if export else column.render)
    link = None if export else _link_writer(column.link)

    def rendered(row):
        value = value_of(row.record)
        if value in empty:
            return default
        arguments = {
            "value": value,
            "record": row.record,
            "column": column.column,
            "bound_column": column,
            "bound_row": row,
            "table": table,
        }
        content = render(arguments)
        return link(content, **arguments) if link else content

    return rendered


def _caller(fn):
    """`call_with_appropriate(fn, arguments)` of django-tables2, with `fn`'s signature read
    once rather than at every cell (inspecting it cost a cell more than drawing it): `fn`
    called with the arguments it names, or with all of them if it takes `**kwargs`; None
    where it names one that is not there."""
    names, catch_all = signature(fn)
    if catch_all:
        return lambda arguments: fn(**arguments)

    def call(arguments):
        if any(name not in arguments for name in names):
            return None
        return fn(**{name: arguments[name] for name in names})

    return call


def _link_writer(link):
    """A column's link around a cell's content, as django-tables2's `LinkTransform` writes it:
    an `<a href>` alone, where the column gives the link no attributes of its own, is written
    here (django-tables2 computes and joins attributes for each cell)."""
    if not link or link.attrs:
        return link
    # A callable link (`linkify=lambda record: ...`) is called as the cell's render is.
    compose = _caller(link.url) if callable(link.url) else (lambda arguments: link.compose_url(**arguments))

    def linked(content, **arguments):
        href = compose(arguments)
        return content if href is None else format_html('<a href="{}">{}</a>', href, content)

    return linked


def _value_reader(table, column):
    """A column's value of a record: what its accessor reaches, or for a model field with
    choices its display name (django-tables2's `get_FOO_display()`)."""
    accessor = Accessor(column.accessor)
    model = getattr(table.data, "model", None) or table._meta.model
    field = accessor.get_field(model) if model is not None else None
    if not getattr(field, "choices", None):
        return lambda record: accessor.resolve(record, quiet=True)
    if isinstance(inspect.getattr_static(field.model, f"get_{field.name}_display", None), partialmethod):
        # Django's own `get_FOO_display` makes a dict of the translated labels at every call.
        labels = {make_hashable(value): str(label) for value, label in field.flatchoices}
    else:
        labels = None

    def display(record):
        owner, name = accessor.penultimate(record)
        if not isinstance(owner, models.Model):
            return accessor.resolve(record, quiet=True)
        if labels is not None:
            value = getattr(owner, name)
            return labels.get(make_hashable(value), value)
        shown = getattr(owner, f"get_{name}_display", None)
        return shown() if shown else accessor.resolve(record, quiet=True)

    return display


def _plain(table, column) -> bool:
    """Whether a column shows its value as it is: a bare `Column`, neither linked nor rendered
    nor valued by a method of the table."""
    return (
        type(column.column) is tables.Column
        and not column.column.link
        and not any(getattr(table, f"{kind}_{column.name}", None) for kind in ("render", "value"))
    )
