import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet
from chargeops.forms import DayInput
from piles.models import Pile

from .choices import SecurityEventKind
from .models import SecurityEvent


class SecurityEventFilterSet(BaseFilterSet):
    search_fields = ("charge_point_id", "remote_address", "detail")

    kind = django_filters.MultipleChoiceFilter(
        choices=SecurityEventKind.choices, label=_("Event"), widget=forms.CheckboxSelectMultiple
    )
    pile = django_filters.ModelChoiceFilter(queryset=Pile.objects.all(), label=_("Pile"))
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label=_("From"), widget=DayInput())
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label=_("To"), widget=DayInput())

    class Meta:
        model = SecurityEvent
        fields = ["q", "kind", "pile", "since", "until"]
