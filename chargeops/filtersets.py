"""The FilterSet base: every list's keyword box searches `search_fields`."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Operator
from analytics.selectors import local_days_condition
from analytics.services import day_bounds
from piles.models import Pile

from .forms import DayInput, validate_day


class BaseFilterSet(django_filters.FilterSet):
    """A `q` keyword search over `search_fields`, plus whatever filters the subclass declares.
    Related-object choices are narrowed to the user's operator."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(method="search", label=_("Keyword"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is not None:
            for filter_ in self.filters.values():
                # ModelChoiceFilter keeps its choices on `.queryset` and builds the field from it.
                queryset = getattr(filter_, "queryset", None)
                if queryset is not None and hasattr(queryset, "for_user"):
                    filter_.queryset = queryset.for_user(user)

    def linked_filters(self) -> list[dict]:
        """The objects a link chose rather than the bar (hidden filters it names, such as a
        pile): each one's label, its name or why it is wrong, and the query without it."""
        linked = []
        for field in self.form.hidden_fields():
            if not self.data.get(field.name):
                continue
            chosen = None if field.errors else self.linked_name(field.name, self.form.cleaned_data.get(field.name))
            if chosen is None and not field.errors:
                continue
            query = self.data.copy()
            for name in (field.name, "page"):
                query.pop(name, None)
            linked.append({"label": field.label, "chosen": chosen, "errors": field.errors, "query": query.urlencode()})
        return linked

    def linked_name(self, name: str, value) -> str | None:
        """How the bar names the value of hidden filter `name`: a model choice by its label;
        None leaves the filter unshown."""
        field = self.form.fields[name]
        if value is None or not hasattr(field, "label_from_instance"):
            return None
        return field.label_from_instance(value)

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(self.search_condition(value)) if value else queryset

    def search_condition(self, value: str) -> Q:
        """The rows with the keyword in any of `search_fields`."""
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return condition


class PileChoiceField(django_filters.fields.ModelChoiceField):
    """A pile, named with its station (piles of a network share names: "Pile 01")."""

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.station}"


class LinkedPileFilter(django_filters.ModelChoiceFilter):
    """A pile chosen by a link (a pile's count on a statistics page): not offered in the bar,
    which would list every pile of the network, but shown above the list by its name and
    station (`BaseFilterSet.linked_filters`)."""

    field_class = PileChoiceField

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Pile.objects.select_related("station"))
        super().__init__(widget=forms.HiddenInput, label=_("Pile"), **kwargs)


class DayRangeWidget(django_filters.widgets.DateRangeWidget):
    """The two days of a range, each a `DayInput`."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets = [DayInput(), DayInput()]


class DayRangeField(django_filters.fields.DateRangeField):
    """Two days, each between FIRST_DAY and LAST_DAY."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields:
            field.validators.append(validate_day)


class LocalDaysFilter(django_filters.DateFromToRangeFilter):
    """A range of days of a time field (`field_name`), each row's days in the time zone of the
    station it reaches by `station_path`; either end may be left open."""

    field_class = DayRangeField

    def __init__(self, *, station_path: str = "station", **kwargs):
        kwargs.setdefault("widget", DayRangeWidget())
        super().__init__(**kwargs)
        self.station_path = station_path

    def filter(self, qs, value):
        if not value or (value.start is None and value.stop is None):
            return qs
        return qs.filter(local_days_condition(self.field_name, value.start, value.stop, self.station_path))


class OperatorDaysFilter(LocalDaysFilter):
    """A range of days of a time field, each row's days in the time zone of the operator it
    reaches by `station_path` (audit entries, drivers); rows of no operator (the platform's own
    audit entries) by UTC days."""

    def filter(self, qs, value):
        if not value or (value.start is None and value.stop is None):
            return qs
        user = self.parent.request.user
        zones = Operator.objects.for_user(user).order_by().values_list("time_zone", flat=True).distinct()
        condition = local_days_condition(self.field_name, value.start, value.stop, self.station_path, zones)
        platform = Q(operator__isnull=True)
        if value.start is not None:
            platform &= Q(**{f"{self.field_name}__gte": day_bounds(value.start, "UTC")[0]})
        if value.stop is not None:
            platform &= Q(**{f"{self.field_name}__lt": day_bounds(value.stop, "UTC")[1]})
        return qs.filter(condition | platform)
