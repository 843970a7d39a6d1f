import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chargeops.filtersets import BaseFilterSet, LinkedPileFilter, LocalDaysFilter
from stations.models import Station

from .choices import AlarmStatus, FaultCause, Severity, WorkOrderStatus
from .models import Alarm, WorkOrder


def maintenance_people(user):
    """The active technicians of the user's operator (who can be given work orders)."""
    people = User.objects.filter(is_active=True, groups__permissions__codename="claim_workorder").distinct()
    if user is not None and not user.is_superuser:
        people = people.filter(operator=user.operator_id)
    return people.order_by("first_name", "username")


class AlarmFilterSet(BaseFilterSet):
    """Alarms by pile (name or charge point id), message, station, cause, severity, status and
    the local day they occurred on."""

    search_fields = ("pile__name", "pile__charge_point_id", "info", "vendor_error_code")

    station = django_filters.ModelChoiceFilter(
        queryset=Station.objects.all(), field_name="pile__station", label=_("Station")
    )
    pile = LinkedPileFilter()
    cause = django_filters.ChoiceFilter(choices=FaultCause.choices, label=_("Cause"))
    severity = django_filters.MultipleChoiceFilter(
        choices=Severity.choices, label=_("Severity"), widget=forms.CheckboxSelectMultiple
    )
    status = django_filters.MultipleChoiceFilter(
        choices=AlarmStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    occurred = LocalDaysFilter(
        field_name="occurred_at", station_path="pile__station", label=_("Occurred (station's local day)")
    )

    class Meta:
        model = Alarm
        fields = ["q", "station", "pile", "cause", "severity", "status", "occurred"]


class WorkOrderFilterSet(BaseFilterSet):
    """Work orders by number, pile or problem, station, status, maintenance person and the
    local day they were reported on; a technician's own queue (`mine`) and the unclaimed ones
    in their operations areas (`near`)."""

    search_fields = ("number", "pile__name", "pile__charge_point_id", "problem_description")

    station = django_filters.ModelChoiceFilter(
        queryset=Station.objects.all(), field_name="pile__station", label=_("Station")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=WorkOrderStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    assignee = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Maintenance person"))
    queue = django_filters.ChoiceFilter(
        choices=[("mine", _("My work orders")), ("near", _("Unclaimed near me"))],
        method="filter_queue",
        label=_("Queue"),
    )
    reported = LocalDaysFilter(
        field_name="reported_at", station_path="pile__station", label=_("Reported (station's local day)")
    )

    class Meta:
        model = WorkOrder
        fields = ["q", "queue", "station", "status", "assignee", "reported"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["assignee"].queryset = maintenance_people(getattr(self.request, "user", None))

    def filter_queue(self, queryset, name, value):
        user = self.request.user
        if value == "mine":
            return queryset.filter(assignee=user).exclude(status=WorkOrderStatus.CONFIRMED)
        if value == "near":
            unclaimed = queryset.filter(status=WorkOrderStatus.UNACCEPTED)
            areas = user.areas.all()
            # A technician with no operations areas of their own covers the whole network.
            return unclaimed.filter(pile__station__area__in=areas) if areas.exists() else unclaimed
        return queryset
