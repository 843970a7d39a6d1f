"""The demo builder: runs each part in a fixed order, each with its own random stream."""

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from django.db import transaction

from .common import (
    DemoResult,
    Login,
    OperatorState,
    Scale,
    StationState,
)
from .drivers import DriversMixin
from .maintenance import MaintenanceMixin
from .network import NetworkMixin
from .sessions import SessionsMixin


class DemoBuilder(NetworkMixin, SessionsMixin, MaintenanceMixin, DriversMixin):
    """Builds the whole demo data set in one transaction; each part is a mixin of its own."""

    def __init__(self, *, scale: Scale, seed: int, now: datetime, progress: bool):
        self.scale = scale
        self.seed = seed
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.anchor = datetime.combine(self.now.date(), time(0), tzinfo=UTC)
        self.window_start = self.anchor - timedelta(days=scale.history_days)
        self.progress = progress
        self.counts: Counter = Counter()
        self.logins: list[Login] = []
        self.ops: list[OperatorState] = []
        self.stations: list[StationState] = []
        self.transactions = 0

    def rng(self, phase: str) -> random.Random:
        return random.Random(f"chargeops-demo:{self.seed}:{phase}")

    @transaction.atomic
    def build(self) -> DemoResult:
        self._operators_create()
        self._network_create(self.rng("network"))
        self._id_tags_create(self.rng("id-tags"))
        self._orders_create(self.rng("orders"), self.rng("live"))
        self._maintenance_create(self.rng("maintenance"))
        self._drivers_create(self.rng("drivers"))
        return DemoResult(self.logins, self.counts)
