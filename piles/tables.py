import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from chargeops.tables import ActionsColumn, BadgeColumn, BaseTable
from chargeops.templatetags.chargeops import badge_html

from .choices import OnlineStatus
from .models import Pile


class GunStatusColumn(tables.Column):
    """The status of gun number `number` of the row's pile (guns are prefetched)."""

    def __init__(self, number: int, **kwargs):
        kwargs.setdefault("verbose_name", _("Gun %(number)s") % {"number": number})
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("empty_values", ())
        super().__init__(**kwargs)
        self.number = number

    def gun(self, record):
        return next((gun for gun in record.guns.all() if gun.connector_id == self.number), None)

    def render(self, record):
        gun = self.gun(record)
        if gun is None:
            return "—"
        return badge_html(gun.status, gun.get_status_display())

    def value(self, record):
        gun = self.gun(record)
        return str(gun.get_status_display()) if gun else ""


class PileTable(BaseTable):
    station = tables.Column(linkify=True)
    name = tables.Column(linkify=True, attrs={"td": {"class": "nowrap"}})
    charge_point_id = tables.Column(attrs={"td": {"class": "nowrap"}})
    usage_state = BadgeColumn()
    online_status = BadgeColumn(choices=OnlineStatus, verbose_name=_("Online status"))
    actions = ActionsColumn(extra_template="piles/partials/pile_actions.html")

    class Meta(BaseTable.Meta):
        model = Pile
        fields = (
            "station",
            "name",
            "charge_point_id",
            "manufacturer",
            "model",
            "usage_state",
            "online_status",
        )
        sequence = (*fields, "...", "actions")
