"""Reads of areas and stations used by more than one page."""

from django.db.models import Count, Q

from piles.choices import OnlineStatus
from piles.models import Pile

from .models import Area, Station


def areas_with_counts(user):
    """Areas the user may see, with their numbers of stations and piles."""
    return (
        Area.objects.for_user(user)
        .select_related("operator")
        .annotate(station_count=Count("stations", distinct=True), pile_count=Count("stations__piles", distinct=True))
    )


def stations_with_pile_counts(user):
    """Stations the user may see, each annotated with its number of piles."""
    return Station.objects.for_user(user).select_related("area", "created_by").annotate(pile_count=Count("piles"))


def pile_status_counts(user, **filters) -> dict[str, int]:
    """How many of the user's piles are in each online status, plus `total`."""
    counts = (
        Pile.objects.for_user(user)
        .filter(**filters)
        .with_online_status()
        .aggregate(
            total=Count("pk"),
            **{status.value: Count("pk", filter=Q(online_status=status.value)) for status in OnlineStatus},
        )
    )
    return counts
