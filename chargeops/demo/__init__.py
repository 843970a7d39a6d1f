"""Demo data for `manage.py seed_demo`: two operators with stations, piles, id tags, 13 months of
charging orders, power samples, alarms and work orders, fast enough for `make demo`.

Determinism: each phase draws from its own `random.Random`, seeded from the seed and the phase
name, in a fixed order. Times are laid out around `anchor`, today's midnight UTC. Only the last
hours (orders that would end after now, the live sessions, power samples) depend on the time of
the run, and they only ever drop sessions, never change what a random stream draws: the history
up to yesterday, the alarms and the work orders are the same in every run with the same seed on
the same day.

Orders go in with `bulk_create` in batches, day by day, so even the large scale holds no more than
a batch and a day of orders in memory. Fees come from `order_fee_compute`, the function that
prices live orders.
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from accounts.models import Operator, User
from analytics.services import rollups_rebuild
from orders.services import transaction_ids_resync

from .builder import DemoBuilder
from .catalogue import DEMO_PASSWORD, DRIVER_LOGIN, OPERATORS
from .common import SCALES, DemoConflict, DemoResult, Login

__all__ = ["SCALES", "DemoConflict", "DemoResult", "Login", "demo_load", "demo_loaded", "demo_logins"]


def demo_loaded() -> bool:
    return Operator.objects.filter(name__in=[spec.name for spec in OPERATORS]).exists()


def demo_logins() -> list["Login"]:
    """The demo's logins as they are in the database, for `make demo` to print every time."""
    names = [spec.name for spec in OPERATORS]
    users = (
        User.objects.filter(
            Q(operator__name__in=names) | Q(username="admin", operator=None) | Q(driver__operator__name__in=names)
        )
        .select_related("operator", "driver__operator")
        .prefetch_related("groups")
        .order_by("operator__name", "username")
    )
    return [
        Login(user.username, DRIVER_LOGIN, user.driver.operator.name, DEMO_PASSWORD)
        if user.is_driver
        else Login(
            user.username, ", ".join(user.role_names), user.operator.name if user.operator else "—", DEMO_PASSWORD
        )
        for user in users
    ]


def demo_load(*, scale: str, seed: int, progress: bool = False, now: datetime | None = None) -> "DemoResult":
    """Create the demo data set in one transaction. Check `demo_loaded()` first: the operator
    names are unique, so a second load fails instead of duplicating anything."""
    builder = DemoBuilder(scale=SCALES[scale], seed=seed, now=now or timezone.now(), progress=progress)
    result = builder.build()
    transaction_ids_resync()  # the demo's orders carry their own transaction ids
    rollups_rebuild(now=now)  # the dashboard reads roll-ups: they are complete from the start
    return result
