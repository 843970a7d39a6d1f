import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.selectors import local_days_condition
from chargeops.filtersets import BaseFilterSet
from stations.models import Area, Station

from .choices import OrderStatus, PaymentMethod
from .models import ChargingOrder


class OrderFilterSet(BaseFilterSet):
    """Orders by number, id tag, pile, area, station, status, payment method and the local day
    they started on."""

    search_fields = ("number", "id_tag_text", "pile__name", "pile__charge_point_id")

    area = django_filters.ModelChoiceFilter(queryset=Area.objects.all(), field_name="station__area", label=_("Area"))
    station = django_filters.ModelChoiceFilter(queryset=Station.objects.all(), label=_("Station"))
    status = django_filters.MultipleChoiceFilter(
        choices=OrderStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    payment_method = django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("Payment method"))
    started = django_filters.DateFromToRangeFilter(
        method="filter_started",
        label=_("Started (station's local day)"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = ChargingOrder
        fields = ["q", "area", "station", "status", "payment_method", "started"]

    def filter_started(self, queryset, name, value):
        if not value or (value.start is None and value.stop is None):
            return queryset
        return queryset.filter(local_days_condition("started_at", value.start, value.stop))
