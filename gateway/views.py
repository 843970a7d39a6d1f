from chargeops.views import ObjectListView

from .filtersets import SecurityEventFilterSet
from .models import SecurityEvent
from .tables import SecurityEventTable


class SecurityEventListView(ObjectListView):
    """Refused and replaced pile connections and key changes, for the operator to review."""

    model = SecurityEvent
    filterset_class = SecurityEventFilterSet
    table_class = SecurityEventTable

    def get_queryset(self):
        return super().get_queryset().select_related("pile", "operator")
