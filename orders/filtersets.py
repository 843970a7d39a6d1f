import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet, LocalDaysFilter
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
    started = LocalDaysFilter(field_name="started_at", label=_("Started (station's local day)"))

    class Meta:
        model = ChargingOrder
        fields = ["q", "area", "station", "status", "payment_method", "started"]
