import django_filters
from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet

from .models import Area, Station


class AreaFilterSet(BaseFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = Area
        fields = ["q"]


class StationFilterSet(BaseFilterSet):
    search_fields = ("name", "address", "area__name")

    area = django_filters.ModelChoiceFilter(queryset=Area.objects.all(), label=_("Operations area"))

    class Meta:
        model = Station
        fields = ["q", "area"]
