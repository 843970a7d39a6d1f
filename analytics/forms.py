from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from chargeops.forms import DayInput, scope_choice_fields, validate_day
from maintenance.choices import FaultCause
from maintenance.filtersets import maintenance_people
from piles.choices import OnlineStatus
from stations.models import Area, Station

from .choices import Figure, Granularity
from .selectors import Period, Scope, user_today

# A statistic covers at most this many days: ten years of daily buckets is already too many
# bars, and the longest range operators ask for.
MAX_DAYS = 3660
# The granularity a range gets when none is chosen: days up to two months, months up to three
# years, years beyond (a chart of at most about 60 days or 36 months).
AUTO_DAYS, AUTO_MONTHS = 62, 1096


class NameChoiceIterator(forms.models.ModelChoiceIterator):
    """A filter's options as (id, name) read straight from the table: every statistics page
    lists all of a network's stations, and a model instance for each costs more than drawing
    the option."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "name")


class ScopeFilterForm(forms.Form):
    """The filter of every statistic: an operations area, a station in it, or the whole network.
    Invalid input is explained on the form and the whole network is shown instead."""

    area = forms.ModelChoiceField(Area.objects.all(), required=False, label=_("Operations area"))
    station = forms.ModelChoiceField(Station.objects.all(), required=False, label=_("Station"))

    def __init__(self, data=None, *, user):
        super().__init__(data or None)
        self.user = user
        self.today = user_today(user)
        # The whole network: its stations, which every statistic reads, are the station
        # options too, and it is the scope when no area or station is chosen.
        self.network = Scope(user)
        scope_choice_fields(self.fields, user)
        areas, stations = self.fields["area"], self.fields["station"]
        areas.empty_label = stations.empty_label = _("All")
        areas.iterator = NameChoiceIterator
        areas.widget.choices = areas.choices
        stations.choices = [
            ("", stations.empty_label),
            *((pk, station.name) for pk, station in self.network.station_objects.items()),
        ]

    def clean(self):
        data = super().clean()
        area, station = data.get("area"), data.get("station")
        if area and station and station.area_id != area.pk:
            self.add_error("station", _("This station is not in the chosen operations area."))
        return data

    def _valid(self, name):
        return self.cleaned_data.get(name) if self.is_bound and self.is_valid() else None

    @property
    def scope(self) -> Scope:
        area, station = self._valid("area"), self._valid("station")
        return Scope(self.user, area=area, station=station) if area or station else self.network


class PileStatusFilterForm(ScopeFilterForm):
    """The pile status analysis: the scope, and one online status to drill down to."""

    status = forms.ChoiceField(
        choices=[("", _("All")), *OnlineStatus.choices], required=False, label=_("Online status")
    )

    @property
    def status_chosen(self) -> str:
        return self._valid("status") or ""


class FigureFilterForm(ScopeFilterForm):
    """A dated statistic: the scope, a range of local days and the granularity of its chart.
    Without a valid range it shows this month up to today. `granular=False` leaves the
    granularity out, for pages that sum the whole range."""

    start = forms.DateField(required=False, label=_("From"), validators=[validate_day], widget=DayInput())
    end = forms.DateField(required=False, label=_("To"), validators=[validate_day], widget=DayInput())
    granularity = forms.ChoiceField(
        choices=[("", _("Automatic")), *Granularity.choices], required=False, label=_("Granularity")
    )

    def __init__(self, data=None, *, user, granular=True):
        super().__init__(data, user=user)
        if not self.is_bound:
            self.initial = {"start": self.default_period().start, "end": self.today}
        elif not (self.data.get("start") or self.data.get("end")):
            # Another parameter alone (a table's sort or page, an area): the fields show the
            # range the page shows, not two empty dates.
            self.data = self.data.copy()
            self.data["start"], self.data["end"] = self.default_period().start.isoformat(), self.today.isoformat()
        if not granular:
            del self.fields["granularity"]
        else:
            # "Automatic" says what it comes to for the range shown.
            fitting = Granularity(self.fitting_granularity()).label
            automatic = _("Automatic (%(granularity)s)") % {"granularity": fitting}
            self.fields["granularity"].choices = [("", automatic), *Granularity.choices]

    def default_period(self) -> Period:
        return Period(self.today.replace(day=1), self.today)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        elif start and end and (end - start).days >= MAX_DAYS:
            self.add_error("end", _("Choose a range of at most %(days)d days.") % {"days": MAX_DAYS})
        return data

    @property
    def period(self) -> Period:
        start, end = self._valid("start"), self._valid("end")
        if start is None and end is None:
            return self.default_period()
        end = end or self.today
        return Period(start or min(end, self.today).replace(day=1), end)

    @property
    def chosen_granularity(self) -> str:
        """The granularity chosen, or the one that fits the range."""
        return self._valid("granularity") or self.fitting_granularity()

    def fitting_granularity(self) -> str:
        days = (self.period.end - self.period.start).days + 1
        return Granularity.DAY if days <= AUTO_DAYS else Granularity.MONTH if days <= AUTO_MONTHS else Granularity.YEAR

    def quick_ranges(self) -> list[tuple[str, date, date]]:
        """Ranges a click away: (label, start, end)."""
        today = self.today
        last_month_end = today.replace(day=1) - timedelta(days=1)
        return [
            (_("Today"), today, today),
            (_("Last 7 days"), today - timedelta(days=6), today),
            (_("Last 30 days"), today - timedelta(days=29), today),
            (_("This month"), today.replace(day=1), today),
            (_("Last month"), last_month_end.replace(day=1), last_month_end),
            (_("This year"), today.replace(month=1, day=1), today),
        ]


class ComparisonFilterForm(FigureFilterForm):
    """Month-on-month and year-on-year: the range, the granularity of its chart over time and
    the figure its charts compare."""

    figure = forms.ChoiceField(choices=Figure, required=False, label=_("Chart"))

    @property
    def chosen_figure(self) -> str:
        return self._valid("figure") or Figure.ORDERS


class FaultFilterForm(FigureFilterForm):
    """Pile fault analysis: the range, the scope and one cause to narrow every figure to."""

    cause = forms.ChoiceField(choices=[("", _("All")), *FaultCause.choices], required=False, label=_("Cause"))

    @property
    def chosen_cause(self) -> str | None:
        return self._valid("cause") or None


class WorkOrderPeopleFilterForm(FigureFilterForm):
    """Work order statistics: the range, the scope, and one maintenance person."""

    person = forms.ModelChoiceField(queryset=None, required=False, label=_("Maintenance person"))

    def __init__(self, data=None, *, user):
        super().__init__(data, user=user, granular=False)
        self.fields["person"].queryset = maintenance_people(user)
        self.fields["person"].empty_label = _("All")

    @property
    def person_chosen(self):
        return self._valid("person")
