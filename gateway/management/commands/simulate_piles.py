import asyncio
import contextlib
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max, Q

from gateway.services import pile_key_set
from gateway.simulator import Behaviour, PileSpec, SimulatedGun, piles_simulate
from orders.choices import OrderStatus
from orders.models import ChargingOrder
from piles.choices import GunStatus, IdTagStatus
from piles.models import IdTag, Pile


def guns_now(pile: Pile) -> list[SimulatedGun]:
    """The pile's guns as the database has them: status, error and the session in progress."""
    sessions = {
        order.gun_id: order
        for order in ChargingOrder.objects.filter(pile=pile, status=OrderStatus.CHARGING).exclude(transaction_id=None)
    }
    guns = []
    for gun in pile.guns.all():
        order = sessions.get(gun.pk)
        meter = order.meter_last_wh or order.meter_start_wh + int(order.energy_kwh * 1000) if order else 1_000_000
        guns.append(
            SimulatedGun(
                gun.connector_id,
                status=GunStatus.CHARGING if order else gun.status,
                error_code=gun.error_code or "NoError",
                transaction_id=order.transaction_id if order else None,
                meter_wh=float(meter),
            )
        )
    return guns


class Command(BaseCommand):
    help = (
        "Run N simulated piles against the OCPP gateway. They take over N piles of the database "
        "that are online now (giving each a new key), carry on from their guns' statuses and "
        "sessions, and then boot, heartbeat, charge with the operator's id tags, sometimes fault "
        "and recover, and answer commands."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--url", default="ws://127.0.0.1:9000/ocpp")
        parser.add_argument("--duration", type=float, default=None, help="Seconds to run (default: until stopped).")
        parser.add_argument("--meter-interval", type=float, default=30.0, help="Seconds between MeterValues.")

    def handle(self, *args, count, url, duration, meter_interval, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        specs = self.piles_take(count, meter_interval)
        if not specs:
            raise CommandError("There are no enabled piles to simulate; load the demo data (seed_demo) first.")
        self.stdout.write(f"Simulating {len(specs)} piles against {url}")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(piles_simulate(url, specs, duration))

    def piles_take(self, count: int, meter_interval: float) -> list[PileSpec]:
        # The piles online now; and, when a previous run's gateway stopped and marked them all
        # disconnected, those last seen together with the latest (the demo's deliberately
        # offline piles went silent hours before it was loaded).
        newest = Pile.objects.aggregate(seen=Max("last_seen_at"))["seen"]
        together = Q(last_seen_at__gte=newest - timedelta(hours=1)) if newest else Q(pk__in=[])
        piles = (
            Pile.objects.filter(Q(connected=True) | together, registered_at__isnull=False)
            .annotate(gun_count=Count("guns"))
            .filter(gun_count__gt=0)
            .select_related("station__area")
            .prefetch_related("guns")
            .order_by("pk")[:count]
        )
        specs = []
        for pile in piles:
            # Cards and app tokens only: a driver portal account pays from its wallet for what it starts.
            tags = IdTag.objects.filter(
                operator_id=pile.station.area.operator_id, status=IdTagStatus.ACCEPTED, driver__isnull=True
            )
            tags = list(tags.values_list("id_tag", flat=True)[:20]) or ["SIMULATOR"]
            behaviour = Behaviour(
                rated_kw=float(pile.rated_power_kw) / pile.gun_count,
                meter_interval=meter_interval,
                session_chance=0.03,
                fault_chance=0.001,
                session_seconds=(600.0, 2400.0),
                id_tags=tags,
            )
            key = pile_key_set(user=None, pile=pile)
            specs.append(
                PileSpec(pile.charge_point_id, key, guns_now(pile), behaviour, pile.firmware_version or "1.0.0")
            )
        return specs
