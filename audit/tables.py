from collections import defaultdict

import django_tables2 as tables
from django.contrib.contenttypes.models import ContentType
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from chargeops.tables import BadgeColumn, BaseTable, LocalTimeColumn

from .filtersets import type_name
from .models import AuditEntry


class ObjectTypeColumn(tables.Column):
    """The type of object by the name people know it by (“Charging station”)."""

    def render(self, value):
        return type_name(value)

    def value(self, value):
        return type_name(value)


class ObjectColumn(tables.Column):
    """The object as it was named, linked to its page while it still exists."""

    def render(self, value, record, table):
        url = table.object_urls().get((record.content_type_id, record.object_id))
        return format_html('<a href="{}">{}</a>', url, value) if url else value

    def value(self, value):
        return value


class ChangesColumn(tables.Column):
    """One change a line; one cell of lines in the export."""

    def render(self, record):
        return format_html_join("", "<div>{}</div>", ((line,) for line in record.change_lines))

    def value(self, record):
        return "\n".join(record.change_lines)


class AuditEntryTable(BaseTable):
    """The audit log: newest first, times in the operator's time zone."""

    at = LocalTimeColumn(tz_accessor="operator__time_zone")
    username = tables.Column(verbose_name=_("User"), default=_("System"))
    action = BadgeColumn()
    content_type = ObjectTypeColumn(orderable=False)
    object_repr = ObjectColumn()
    changes = ChangesColumn(orderable=False, empty_values=(), attrs={"td": {"class": "changes"}})

    class Meta(BaseTable.Meta):
        model = AuditEntry
        fields = ("at", "username", "action", "content_type", "object_repr", "changes")

    def object_urls(self) -> dict[tuple[int, int], str]:
        """The pages of this page's objects that still exist, by (type id, object id): one
        query per type of object on the page."""
        if getattr(self, "_object_urls", None) is None:
            wanted = defaultdict(set)
            for row in self.paginated_rows:
                wanted[row.record.content_type_id].add(row.record.object_id)
            self._object_urls = {}
            for type_id, ids in wanted.items():
                model = ContentType.objects.get_for_id(type_id).model_class()
                if model is None or not hasattr(model, "get_absolute_url"):
                    continue
                for obj in model._base_manager.filter(pk__in=ids):
                    self._object_urls[(type_id, obj.pk)] = obj.get_absolute_url()
        return self._object_urls
