from chargeops.views import ObjectListView

from .filtersets import AuditEntryFilterSet
from .models import AuditEntry
from .tables import AuditEntryTable


class AuditEntryListView(ObjectListView):
    """Who changed what and when. The log has no add, edit or delete pages: no one changes it
    through the platform."""

    model = AuditEntry
    filterset_class = AuditEntryFilterSet
    table_class = AuditEntryTable

    def get_queryset(self):
        return super().get_queryset().select_related("operator", "content_type")
