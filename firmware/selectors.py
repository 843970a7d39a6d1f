"""Reads of firmware packages and upgrades used by more than one page or service."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from orders.choices import OrderStatus
from orders.models import ChargingOrder
from piles.choices import GunStatus
from piles.models import Gun

from .choices import UPGRADE_UNFINISHED, UpgradeStatus
from .models import FirmwarePackage, FirmwareUpgrade, UpgradeTarget

# A car is plugged in: new firmware would cut its session short.
GUNS_IN_USE = [
    GunStatus.PREPARING,
    GunStatus.CHARGING,
    GunStatus.SUSPENDED_EV,
    GunStatus.SUSPENDED_EVSE,
    GunStatus.FINISHING,
]


def packages_for_list(user):
    return (
        FirmwarePackage.objects.for_user(user)
        .select_related("operator", "uploaded_by")
        .annotate(upgrade_count=Count("upgrades"))
    )


def upgrades_for_list(user):
    """The user's upgrades with their piles counted by how far they got."""
    return (
        FirmwareUpgrade.objects.for_user(user)
        .select_related("package__operator", "started_by")
        .annotate(
            pile_count=Count("targets"),
            confirmed_count=Count("targets", filter=Q(targets__status=UpgradeStatus.CONFIRMED)),
            failed_count=Count("targets", filter=Q(targets__status=UpgradeStatus.FAILED)),
            unfinished_count=Count("targets", filter=Q(targets__status__in=UPGRADE_UNFINISHED)),
        )
    )


def upgrade_status_counts(upgrade: FirmwareUpgrade) -> list[dict]:
    """Each status's label and number of piles, in the order an upgrade goes through them."""
    counts = dict(upgrade.targets.order_by().values_list("status").annotate(n=Count("pk")))
    return [
        {"status": status.value, "label": status.label, "count": counts[status]}
        for status in UpgradeStatus
        if counts.get(status)
    ]


def piles_busy(pile_ids) -> dict[int, str]:
    """Of these piles, those a car is using, each with the reason to say so."""
    reasons = {}
    guns = Gun.objects.filter(pile_id__any_of=pile_ids, status__in=GUNS_IN_USE).order_by("connector_id")
    for pile_id, number, status in guns.values_list("pile_id", "connector_id", "status"):
        reasons.setdefault(
            pile_id, _("Gun %(number)s: %(status)s.") % {"number": number, "status": GunStatus(status).label}
        )
    # A session whose status report went missing still counts.
    orders = ChargingOrder.objects.filter(pile_id__any_of=pile_ids, status=OrderStatus.CHARGING)
    for pile_id, number in orders.values_list("pile_id", "gun__connector_id"):
        reasons.setdefault(pile_id, _("Gun %(number)s has a charging order in progress.") % {"number": number})
    return reasons


def pile_upgrade_latest(pile) -> UpgradeTarget | None:
    """The pile's most recent firmware upgrade, for its page."""
    return (
        UpgradeTarget.objects.filter(pile=pile)
        .select_related("upgrade__package")
        .order_by("-upgrade__created_at", "-pk")
        .first()
    )
