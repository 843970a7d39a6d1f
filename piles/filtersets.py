import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet
from stations.models import Station

from .choices import OnlineStatus, UsageState
from .models import Pile
from .selectors import pile_models


class PileFilterSet(BaseFilterSet):
    search_fields = ("name", "charge_point_id", "manufacturer", "model", "station__name")

    station = django_filters.ModelChoiceFilter(queryset=Station.objects.all(), label=_("Station"))
    model = django_filters.ChoiceFilter(label=_("Model"), choices=[])
    usage_state = django_filters.ChoiceFilter(choices=UsageState.choices, label=_("Usage state"))
    # Filters the `online_status` annotation of `with_online_status()`.
    online_status = django_filters.MultipleChoiceFilter(
        choices=OnlineStatus.choices, label=_("Online status"), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Pile
        fields = ["q", "station", "model", "usage_state", "online_status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is not None:
            self.filters["model"].extra["choices"] = [(name, name) for name in pile_models(user)]
