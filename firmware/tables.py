import django_tables2 as tables
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from chargeops.tables import ActionsColumn, BadgeColumn, BaseTable, LocalTimeColumn
from maintenance.tables import PileAtStationColumn

from .models import FirmwarePackage, FirmwareUpgrade, UpgradeTarget

NUMBER = {"td": {"class": "number"}, "th": {"class": "number"}}


class TitleColumn(tables.Column):
    """The row's own name, linking to its page: a package or an upgrade is named by several
    fields at once."""

    def __init__(self, **kwargs):
        kwargs.setdefault("accessor", tables.A("pk"))
        kwargs.setdefault("linkify", lambda record: record.get_absolute_url())
        super().__init__(**kwargs)

    def render(self, record):
        return str(record)

    def value(self, record):
        return str(record)


class FirmwarePackageTable(BaseTable):
    package = TitleColumn(verbose_name=_("Firmware package"), order_by=("manufacturer", "model", "version"))
    size = tables.Column(verbose_name=_("Size"), attrs=NUMBER)
    checksum = tables.Column()
    upgrade_count = tables.Column(verbose_name=_("Upgrades"), attrs=NUMBER)
    uploaded_by = tables.Column(default="—")
    created_at = LocalTimeColumn(verbose_name=_("Uploaded"), tz_accessor="operator__time_zone")
    actions = ActionsColumn(actions=("delete",))

    class Meta(BaseTable.Meta):
        model = FirmwarePackage
        fields = ("package", "manufacturer", "model", "version", "size", "checksum", "upgrade_count")
        sequence = (*fields, "uploaded_by", "created_at", "actions")

    def render_size(self, value):
        return filesizeformat(value)

    def render_checksum(self, value):
        return format_html('<code title="{}">{}…</code>', value, value[:12])


class FirmwareUpgradeTable(BaseTable):
    upgrade = TitleColumn(verbose_name=_("Upgrade"), order_by=("created_at",))
    started_by = tables.Column(default="—")
    created_at = LocalTimeColumn(verbose_name=_("Started"), tz_accessor="package__operator__time_zone")
    pile_count = tables.Column(verbose_name=_("Piles"), attrs=NUMBER)
    unfinished_count = tables.Column(verbose_name=_("In progress"), attrs=NUMBER)
    confirmed_count = tables.Column(verbose_name=_("Confirmed"), attrs=NUMBER)
    failed_count = tables.Column(verbose_name=_("Failed"), attrs=NUMBER)

    class Meta(BaseTable.Meta):
        model = FirmwareUpgrade
        fields = ("upgrade", "started_by", "created_at")
        sequence = (*fields, "pile_count", "unfinished_count", "confirmed_count", "failed_count")


class UpgradeTargetTable(BaseTable):
    """Each pile of one upgrade and where it stands."""

    pile = PileAtStationColumn(attrs={"td": {"class": "name-cell"}})
    previous_version = tables.Column(default="—")
    status = BadgeColumn()
    reason = tables.Column(default="—", attrs={"td": {"class": "text-cell"}})
    sent_at = LocalTimeColumn(tz_accessor="pile__station__time_zone", default="—")
    status_changed_at = LocalTimeColumn(tz_accessor="pile__station__time_zone")

    class Meta(BaseTable.Meta):
        model = UpgradeTarget
        fields = ("pile", "previous_version", "status", "reason", "sent_at", "status_changed_at")
        empty_text = _("No piles.")
