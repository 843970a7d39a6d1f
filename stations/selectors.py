"""Reads of areas and stations used by more than one page."""

from django.db.models import Count, Q, Sum

from piles.choices import OnlineStatus
from piles.models import Gun, Pile

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


def _status_counts() -> dict:
    """Aggregates counting piles in total and per online status (of `with_online_status()`)."""
    return {
        "total": Count("pk"),
        **{status.value: Count("pk", filter=Q(online_status=status.value)) for status in OnlineStatus},
    }


def pile_status_counts(user, *conditions, **filters) -> dict[str, int]:
    """How many of the user's piles are in each online status, plus `total`."""
    piles = Pile.objects.for_user(user).filter(*conditions, **filters)
    counts = piles.with_online_status().aggregate(**_status_counts())
    return counts


def pile_status_per_station(user, *conditions) -> dict[int, dict[str, int]]:
    """Station id -> how many of its piles are in each online status, plus `total`; stations
    without piles are left out."""
    rows = (
        Pile.objects.for_user(user)
        .filter(*conditions)
        .with_online_status()
        .values("station")
        .annotate(**_status_counts())
    )
    return {row.pop("station"): row for row in rows.order_by()}


def station_map_points(user) -> list[dict]:
    """Every station the user may see with its coordinates, pile counts by online status and
    live power (sum of its guns), for the map."""
    counts = pile_status_per_station(user)
    power = dict(
        Gun.objects.for_user(user)
        .values("pile__station")
        .annotate(kw=Sum("live_power_kw"))
        .order_by()
        .values_list("pile__station", "kw")
    )
    empty = {"total": 0, **{status.value: 0 for status in OnlineStatus}}
    return [
        {
            "id": station.pk,
            "name": station.name,
            "address": station.address,
            "lat": float(station.latitude),
            "lng": float(station.longitude),
            "url": station.get_absolute_url(),
            "live_kw": float(power.get(station.pk) or 0),
            **{key: counts.get(station.pk, empty)[key] for key in empty},
        }
        for station in Station.objects.for_user(user)
    ]
