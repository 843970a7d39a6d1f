"""Reads of piles and guns used by more than one page."""

from django.db.models import Max

from .models import Pile


def piles_for_list(user):
    """The user's piles with their online status, station and guns loaded for a table."""
    return Pile.objects.for_user(user).with_online_status().select_related("station").prefetch_related("guns")


def max_gun_number(user) -> int:
    return Pile.objects.for_user(user).aggregate(n=Max("guns__connector_id"))["n"] or 0


def pile_models(user) -> list[str]:
    return list(Pile.objects.for_user(user).order_by("model").values_list("model", flat=True).distinct())
