import django_filters
from django import forms
from django.db.models import Q, Value
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet, LinkedPileFilter, LocalDaysFilter
from piles.models import Pile
from stations.models import Area, Station

from .choices import OrderStatus, PaymentMethod
from .models import ChargingOrder

# How many of a long keyword's last characters the trigram index looks up. An order number's
# start (CO and a date) or an id tag's (a card batch) is shared by many orders: the index would
# read every one of them for each trigram of it (16 characters of an order number, at a million
# orders: 15 against 1 ms). Its end, a sequence, tells it from the others.
INDEXED_TAIL = 7


def keyword_in(field: str, value: str) -> Q:
    """The rows whose `field` holds the keyword, in any case: a long keyword's last
    INDEXED_TAIL characters looked up in the index, and all of it tested on the rows found."""
    if len(value) <= INDEXED_TAIL:
        return Q(**{f"{field}__icontains": value})
    whole = GreaterThan(StrIndex(Upper(field), Upper(Value(value))), 0)
    return Q(**{f"{field}__icontains": value[-INDEXED_TAIL:]}) & Q(whole)


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
        condition = Q(pile__any_of=list(piles.order_by().values_list("pk", flat=True)))
        for field in self.search_fields:
            condition |= keyword_in(field, value)
        return condition

    class Meta:
        model = ChargingOrder
        fields = ["q", "area", "station", "pile", "status", "payment_method", "started"]
