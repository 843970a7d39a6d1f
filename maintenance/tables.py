import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from chargeops.tables import BadgeColumn, BaseTable, LocalTimeColumn

from .models import Alarm, WorkOrder

NUMBER = {"td": {"class": "number"}, "th": {"class": "number"}}
STATION_TIME = "pile__station__time_zone"


class PileAtStationColumn(tables.Column):
    """A pile with its station beneath it (one column where a table is wide); exported as
    "station / pile"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", _("Pile"))
        kwargs.setdefault("order_by", ("pile__station__name", "pile__name"))
        super().__init__(**kwargs)

    def render(self, value):
        return format_html(
            '<a href="{}">{}</a><div class="cell-note">{}</div>', value.get_absolute_url(), value, value.station
        )

    def value(self, value):
        return f"{value.station} / {value}"


class CauseColumn(tables.Column):
    """The fault's cause with the OCPP error code beneath it."""

    def render(self, record):
        return format_html('{}<div class="cell-note">{}</div>', record.get_cause_display(), record.error_code)

    def value(self, record):
        return f"{record.get_cause_display()} ({record.error_code})"


class AlarmTable(BaseTable):
    """Alarms as PRODUCT.md §10 lists them, with how often each repeated."""

    occurred_at = LocalTimeColumn(
        tz_accessor=STATION_TIME, linkify=lambda record: record.get_absolute_url(), verbose_name=_("Occurred")
    )
    pile = PileAtStationColumn(attrs={"td": {"class": "name-cell"}})
    gun = tables.Column(accessor="gun__connector_id", verbose_name=_("Gun"), default="—", attrs=NUMBER)
    cause = CauseColumn(verbose_name=_("Cause / error code"))
    severity = BadgeColumn()
    info = tables.Column(verbose_name=_("Message"), attrs={"td": {"class": "text-cell"}})
    repeat_count = tables.Column(attrs=NUMBER)
    cleared_at = LocalTimeColumn(tz_accessor=STATION_TIME, default="—", verbose_name=_("Cleared"))
    status = BadgeColumn()

    class Meta(BaseTable.Meta):
        model = Alarm
        fields = (
            "occurred_at",
            "pile",
            "gun",
            "cause",
            "severity",
            "info",
            "repeat_count",
            "cleared_at",
            "status",
        )


class WorkOrderTable(BaseTable):
    """Fault repair work orders as PRODUCT.md §11 lists them; the number opens the Details."""

    number = tables.Column(linkify=True, attrs={"td": {"class": "nowrap"}})
    pile = PileAtStationColumn(verbose_name=_("Faulty pile / station"), attrs={"td": {"class": "name-cell"}})
    problem_description = tables.Column(attrs={"td": {"class": "text-cell"}})
    applicant = tables.Column(default=_("Automatic"))
    reported_at = LocalTimeColumn(tz_accessor=STATION_TIME)
    status = BadgeColumn()
    assignee = tables.Column(default="—")
    status_changed_at = LocalTimeColumn(tz_accessor=STATION_TIME)

    class Meta(BaseTable.Meta):
        model = WorkOrder
        fields = (
            "number",
            "pile",
            "problem_description",
            "applicant",
            "reported_at",
            "status",
            "assignee",
            "status_changed_at",
        )

    def render_problem_description(self, value):
        # Three lines at most in the list; the Details page shows it all.
        return format_html('<div class="clamp" title="{}">{}</div>', value, value)
