import json
from decimal import Decimal

from django.utils import timezone

from piles.choices import GunStatus

from .factories import AreaFactory, GunFactory, PileFactory, StationFactory


def test_home_counts_and_maps_only_the_users_network(client, operator, other_operator, admin_user):
    station = StationFactory(area=AreaFactory(operator=operator), name="Hongqiao Hub")
    online = PileFactory(station=station, registered_at=timezone.now(), last_seen_at=timezone.now(), connected=True)
    GunFactory(pile=online, status=GunStatus.CHARGING, live_power_kw=Decimal("41.5"))
    GunFactory(pile=online, status=GunStatus.CHARGING, live_power_kw=Decimal("20"))
    PileFactory(station=station)
    StationFactory(area=AreaFactory(operator=other_operator), name="Elsewhere")
    client.force_login(admin_user)
    response = client.get("/")
    counts = response.context["pile_counts"]
    assert (counts["total"], counts["online"], counts["unregistered"], counts["offline"]) == (2, 1, 1, 0)
    points = json.loads(response.content.decode().split('id="map-points" type="application/json">')[1].split("<")[0])
    assert [(p["name"], p["online"], p["unregistered"], p["live_kw"]) for p in points] == [("Hongqiao Hub", 1, 1, 61.5)]
