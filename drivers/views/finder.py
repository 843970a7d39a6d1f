"""Finding a station: the network's stations on a map and in a list, nearest first, and a
station's own page. Both are public: a visitor may look before signing up."""

import math

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from ..choices import GunAvailability
from ..selectors import (
    StationFound,
    centre_of,
    network_stations,
    station_for_portal,
    stations_by_distance,
    stations_matching_place,
)
from .base import PortalMixin, network_remember

# How often the live counts of guns reload themselves, in milliseconds.
REFRESH_EVERY_MS = 15000
# The map shows the origin with this many of the nearest stations; the list has them all.
MAP_NEAREST = 5


def coordinates(latitude: str | None, longitude: str | None) -> tuple[float, float] | None:
    """A position from the query string, or None when it is not one."""
    try:
        point = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(value) for value in point):
        return None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        return None
    return point


def map_points(found: list[StationFound]) -> list[dict]:
    return [
        {
            "name": item.station.name,
            "address": item.station.address,
            "lat": float(item.station.latitude),
            "lng": float(item.station.longitude),
            "url": reverse("drivers:portal_station", args=[item.station.pk]),
            "available": item.counts[GunAvailability.AVAILABLE],
            "total": item.gun_total,
        }
        for item in found
    ]


class StationFinderView(PortalMixin, TemplateView):
    """The stations of the visitor's or driver's network, nearest first from the phone's
    position (`lat`, `lng`) or a typed place (`q`), by name otherwise; the list reloads itself
    so the free guns stay live."""

    driver_required = False
    template_name = "drivers/station_finder.html"

    def get(self, request, *args, **kwargs):
        if self.network is None:
            return redirect("drivers:network_list")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        params = self.request.GET
        place = params.get("q", "").strip()[:100]
        found = network_stations(self.network)
        origin, notice, problem = None, "", ""
        if "lat" in params or "lng" in params:
            origin = coordinates(params.get("lat"), params.get("lng"))
            if origin is None:
                problem = _("Your position could not be read. The stations are listed by name.")
            else:
                notice = _("Nearest first from your position.")
        elif place:
            matches = stations_matching_place(found, place)
            if matches:
                origin = centre_of(matches)
                notice = _("Nearest first from “%(place)s”.") % {"place": place}
            else:
                problem = _(
                    "No station of %(network)s has “%(place)s” in its name or address. Try a city or a "
                    "street name, or use your location. The stations are listed by name."
                ) % {"network": self.network, "place": place}
        if origin is not None:
            found = stations_by_distance(found, origin)
        return super().get_context_data(
            stations=found,
            place=place,
            origin=origin,
            notice=notice,
            problem=problem,
            currency=self.network.currency,
            map_data={
                "points": map_points(found),
                "origin": origin,
                "focus": MAP_NEAREST if origin is not None else None,
            },
            refresh_every=REFRESH_EVERY_MS,
            **kwargs,
        )


class PortalStationView(PortalMixin, TemplateView):
    """A station's page: where it is, when it opens, the price now, and every gun's state
    (live), each gun leading to its own page to start charging."""

    driver_required = False
    template_name = "drivers/portal_station.html"

    def get_context_data(self, **kwargs):
        found = station_for_portal(self.kwargs["pk"])
        operator = found.station.area.operator
        if self.driver is None and self.network != operator:
            # A visitor who signs up from here joins the station's network.
            network_remember(self.request, operator)
            self.network = operator
        return super().get_context_data(
            found=found,
            station=found.station,
            operator=operator,
            other_network=self.driver is not None and self.driver.operator_id != operator.pk,
            currency=operator.currency,
            refresh_every=REFRESH_EVERY_MS,
            **kwargs,
        )
