"""Reads of areas and stations used by more than one page."""

from collections.abc import Iterable

from django.db.models import Count, Sum

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


def _no_piles() -> dict[str, int]:
    return {"total": 0, **dict.fromkeys(OnlineStatus.values, 0)}


def _counted_by_status(piles, *, live_power: bool = False) -> dict:
    """Station id -> how many of `piles` are in each online status, plus `total` (and, if
    asked, `live_kw`: the sum of its guns' live power): grouped by station and status in the
    database, so that the status rule is written into the query once (a count filtered per
    status would repeat it four times)."""
    counts: dict = {}
    # With the power, each pile comes once per gun: its count is of distinct piles.
    sums = {"n": Count("pk", distinct=True), "kw": Sum("guns__live_power_kw")} if live_power else {"n": Count("pk")}
    rows = piles.with_online_status().values_list("station", "online_status").annotate(**sums).order_by()
    for station, status, n, *power in rows:
        station_counts = counts.setdefault(station, _no_piles())
        station_counts[status] += n
        station_counts["total"] += n
        if live_power:
            station_counts["live_kw"] = station_counts.get("live_kw", 0) + (power[0] or 0)
    return counts


def pile_status_counts(user, *conditions, **filters) -> dict[str, int]:
    """How many of the user's piles are in each online status, plus `total`."""
    return pile_status_totals(_counted_by_status(Pile.objects.for_user(user).filter(*conditions, **filters)))


def pile_status_totals(per_station: dict[int, dict[str, int]]) -> dict[str, int]:
    """The counts of `pile_status_per_station` summed over its stations."""
    totals = _no_piles()
    for station_counts in per_station.values():
        for key, n in station_counts.items():
            totals[key] += n
    return totals


def pile_status_per_station(user, *conditions) -> dict[int, dict[str, int]]:
    """Station id -> how many of its piles are in each online status, plus `total`; stations
    without piles are left out."""
    return _counted_by_status(Pile.objects.for_user(user).filter(*conditions))


def station_map_points(user, stations: Iterable[Station]) -> list[dict]:
    """The user's stations (every station the user may see, read by the caller) with their
    coordinates, pile counts by online status and live power (sum of its guns), for the map."""
    counts = _counted_by_status(Pile.objects.for_user(user), live_power=True)
    empty = _no_piles()
    return [
        {
            "id": station.pk,
            "name": station.name,
            "address": station.address,
            "lat": float(station.latitude),
            "lng": float(station.longitude),
            "url": station.get_absolute_url(),
            "live_kw": float(counts.get(station.pk, {}).get("live_kw") or 0),
            **{key: counts.get(station.pk, empty)[key] for key in empty},
        }
        for station in stations
    ]
