import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from chargeops.tables import BadgeColumn, BaseTable, LocalTimeColumn

from .models import SecurityEvent


class SecurityEventTable(BaseTable):
    at = LocalTimeColumn(verbose_name=_("Time"), tz_accessor="operator__time_zone")
    kind = BadgeColumn()
    pile = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = SecurityEvent
        fields = ("at", "kind", "charge_point_id", "pile", "remote_address", "detail")
