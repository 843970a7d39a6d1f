"""Table bases: how every list looks, its links and its row actions."""

import zoneinfo
from functools import partial

import django_tables2 as tables
from django.contrib.auth.context_processors import PermWrapper
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableListData
from django_tables2.utils import Accessor, OrderBy

from .templatetags.chargeops import badge_html
from .views import model_permission, model_url


class ActionsColumn(tables.Column):
    """The row's buttons. `actions` are URL actions of the row's model (`edit`, `delete`) shown
    when the user holds the matching permission (and `when(record)` allows them, for rows that
    cannot change: a built-in role); `extra_template` adds model-specific buttons."""

    PERMISSIONS = {"edit": "change", "delete": "delete"}

    def __init__(self, actions=("edit", "delete"), extra_template=None, when=None, **kwargs):
        kwargs.setdefault("verbose_name", _("Actions"))
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("exclude_from_export", True)
        kwargs.setdefault("attrs", {"td": {"class": "actions"}, "th": {"class": "actions"}})
        super().__init__(**kwargs)
        self.actions = actions
        self.extra_template = extra_template
        self.when = when

    def render(self, record, table):
        user = table.request.user
        actions = self.actions if self.when is None or self.when(record) else ()
        buttons = [
            (action, model_url(type(record), action, record.pk))
            for action in actions
            if user.has_perm(model_permission(type(record), self.PERMISSIONS.get(action, action)))
        ]
        # Rendered without the request so that the page's context processors do not run per row;
        # the row's forms get what they need from the request here.
        return render_to_string(
            "chargeops/partials/row_actions.html",
            {
                "record": record,
                "buttons": buttons,
                "extra_template": self.extra_template,
                "perms": PermWrapper(user),
                "request": table.request,
                "csrf_token": get_token(table.request),
            },
        )


class BadgeColumn(tables.Column):
    """A status shown as a coloured badge; the colour follows the raw value. `choices` gives the
    labels of a derived value (a pile's online status) that has no model field choices."""

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = choices

    def label_for(self, value, record, bound_column):
        raw = bound_column.accessor.resolve(record)
        return raw, (self.choices(raw).label if self.choices else value)

    def render(self, value, record, bound_column):
        raw, label = self.label_for(value, record, bound_column)
        return badge_html(raw, label)

    def value(self, value, record, bound_column):
        return str(self.label_for(value, record, bound_column)[1])


class LocalTimeColumn(tables.Column):
    """A time shown in the time zone of the row's station (`tz_accessor` leads to it). Where a
    table is wider than the page, its date and time go on two lines. Where the rows on the page
    are in more than one zone, each time names its zone ("14:05 EST"): rows come in the order
    of the moments they stand for, which local times alone would seem to break."""

    def __init__(self, *args, tz_accessor="station__time_zone", **kwargs):
        super().__init__(*args, **kwargs)
        self.tz_accessor = tables.A(tz_accessor)

    def zone(self, record) -> str:
        # A row with nothing to give its zone (an attempt by an unknown pile) is shown in UTC.
        return self.tz_accessor.resolve(record, quiet=True) or "UTC"

    def render(self, value, record, table):
        local = timezone.localtime(value, zoneinfo.ZoneInfo(self.zone(record)))
        # The date keeps together: a browser would break it after a hyphen. Every part is
        # written by strftime or named by the zone database, with nothing to escape
        # (format_html's escaping cost a page of orders a thousand calls).
        shown = f'<span class="nowrap">{local:%Y-%m-%d}</span> {local:%H:%M}'
        if self.zones_differ(table):
            shown += f' <span class="time-zone">{local.tzname()}</span>'
        return mark_safe(shown)

    def zones_differ(self, table) -> bool:
        """Whether the rows on the table's page are in more than one time zone (worked out
        once: each table has its own copy of its columns)."""
        if not hasattr(self, "_zones_differ"):
            self._zones_differ = len({self.zone(row.record) for row in table.paginated_rows}) > 1
        return self._zones_differ

    def value(self, value, record):
        return timezone.localtime(value, zoneinfo.ZoneInfo(self.zone(record))).replace(tzinfo=None)


class RowList(TableListData):
    """A table's rows given as a list, sorted as django-tables2 sorts them (its columns'
    accessors, the opposite where the column sorts the other way, no value first), with each
    row's value read once per accessor: django-tables2 reads both rows' values at every
    comparison, a millisecond and more for a statistics page's ranking of 600 piles, sorted
    again by each request's order."""

    def order_by(self, aliases):
        accessors = []
        for alias in aliases:
            column = self.table.columns[OrderBy(alias).bare]
            accessors += column.order_by if alias[0] == column.order_by_alias[0] else column.order_by.opposite
        rows = list(self.data)
        try:
            # A stable sort per accessor, the least significant first.
            for order_by in reversed(accessors):
                rows.sort(key=partial(_sort_key, Accessor(order_by.bare)), reverse=order_by.is_descending)
        except TypeError:
            # Values without an order of their own (objects): django-tables2 orders them by type.
            super().order_by(aliases)
        else:
            self.data[:] = rows


def _sort_key(accessor, row):
    """A row's value by `accessor`, no value before any value (as django-tables2 sorts)."""
    value = accessor.resolve(row, quiet=True)
    return (value is not None, value)


class BaseTable(tables.Table):
    """Base of every list's table: the shared template, and the first column links the row."""

    class Meta:
        attrs = {"class": "data-table"}
        empty_text = _("Nothing matches these filters.")

    def __init__(self, data=None, *args, **kwargs):
        if isinstance(data, list):
            data = RowList(data)
        super().__init__(data, *args, **kwargs)
