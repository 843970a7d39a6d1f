import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet, LinkedPileFilter, LocalDaysFilter
from piles.models import Pile
from stations.models import Area, Station

from .choices import OrderStatus, PaymentMethod
from .models import ChargingOrder


class OrderFilterSet(BaseFilterSet):
    """Orders by number, id tag, pile, area, station, status, payment method and the local day
    they started on."""

    search_fields = ("number", "id_tag_text")

    area = django_filters.ModelChoiceFilter(queryset=Area.objects.all(), field_name="station__area", label=_("Area"))
    station = django_filters.ModelChoiceFilter(queryset=Station.objects.all(), label=_("Station"))
    pile = LinkedPileFilter()
    status = django_filters.MultipleChoiceFilter(
        choices=OrderStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    payment_method = django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("Payment method"))
    started = LocalDaysFilter(field_name="started_at", label=_("Started (station's local day)"))

    def search_condition(self, value: str) -> Q:
        """The keyword in the order number or id tag (a trigram index serves both on
        PostgreSQL), or in the name or charge point id of the order's pile: the matching piles
        are read first, as an OR across the join to the piles would test every order."""
        piles = Pile.objects.for_user(self.request.user).filter(
            Q(name__icontains=value) | Q(charge_point_id__icontains=value)
        )
        return super().search_condition(value) | Q(pile__any_of=list(piles.order_by().values_list("pk", flat=True)))

    class Meta:
        model = ChargingOrder
        fields = ["q", "area", "station", "pile", "status", "payment_method", "started"]
