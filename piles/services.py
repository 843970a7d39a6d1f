"""Writes of piles and their guns. The web forms, the Excel import, the OCPP gateway and the
demo data all call these functions."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from stations.models import Station

from .choices import UsageState
from .models import Gun, Pile

# The fields of a pile that people set (forms, import); the rest is learnt from the pile.
PILE_FIELDS = [
    "station",
    "name",
    "charge_point_id",
    "manufacturer",
    "model",
    "serial_number",
    "rated_power_kw",
    "voltage_min",
    "voltage_max",
    "charging_method",
    "usage_state",
]
GUN_FIELDS = ["connector_id", "connector_type"]
# Above any real gun number: where a renumbered gun waits while others move.
TEMPORARY_GUN_NUMBER = 30000


def _check_gun_numbers(rows: list[dict]) -> None:
    kept = [row for row in rows if not row.get("DELETE")]
    if not kept:
        raise ValidationError({"guns": _("A pile needs at least one gun.")})
    seen = set()
    for row in kept:
        number = row["connector_id"]
        if number in seen:
            raise ValidationError({"guns": _("Gun number %(number)s is used twice on this pile.") % {"number": number}})
        seen.add(number)


def _guns_apply(pile: Pile, rows: list[dict]) -> None:
    """Create, change and remove a pile's guns from form rows (`id` = existing gun or None,
    `DELETE` = remove it). Removals go first, and renumbered guns pass through free numbers, so
    that guns can swap numbers without tripping the one-number-per-pile constraint."""
    _check_gun_numbers(rows)
    for row in rows:
        gun = row.get("id")
        if gun is not None and gun.pile_id != pile.pk:
            raise ValidationError({"guns": _("A gun of another pile cannot be changed here.")})
    for row in rows:
        gun = row.get("id")
        if gun is not None and row.get("DELETE"):
            if gun.orders.exists():
                message = _("Gun %(number)s has charging orders and cannot be removed.")
                raise ValidationError({"guns": message % {"number": gun.connector_id}})
            gun.delete()
    kept = [row for row in rows if not row.get("DELETE")]
    # Compared with the database: a form may already have set the new number on the instance.
    stored = dict(pile.guns.values_list("pk", "connector_id")) if pile.pk else {}
    renumbered = [row["id"] for row in kept if row.get("id") and stored.get(row["id"].pk) != row["connector_id"]]
    for offset, gun in enumerate(renumbered, start=1):
        gun.connector_id = TEMPORARY_GUN_NUMBER + offset
        gun.save(update_fields=["connector_id"])
    for row in kept:
        gun = row.get("id") or Gun(pile=pile)
        for field in GUN_FIELDS:
            setattr(gun, field, row[field])
        gun.full_clean()
        if gun.pk:
            # Only the fields people set: status and live power belong to the pile's own reports.
            gun.save(update_fields=GUN_FIELDS)
        else:
            gun.save()


@transaction.atomic
def pile_create(*, user: User | None, station: Station, guns: list[dict], **data) -> Pile:
    pile = Pile(station=station)
    for field in PILE_FIELDS:
        if field in data:
            setattr(pile, field, data[field])
    pile.full_clean()
    _check_gun_numbers(guns)
    pile.save()
    _guns_apply(pile, guns)
    return pile


@transaction.atomic
def pile_update(*, user: User | None, pile: Pile, guns: list[dict] | None = None, **data) -> Pile:
    operator_id = pile.station.area.operator_id
    for field in PILE_FIELDS:
        if field in data:
            setattr(pile, field, data[field])
    if pile.station.area.operator_id != operator_id:
        raise ValidationError({"station": _("A pile can only move to a station of its own operator.")})
    pile.full_clean()
    pile.save(update_fields=PILE_FIELDS)
    if guns is not None:
        _guns_apply(pile, guns)
    return pile


@transaction.atomic
def pile_delete(*, user: User | None, pile: Pile) -> None:
    orders = pile.orders.count()
    if orders:
        raise ValidationError(
            _("Pile “%(pile)s” cannot be deleted: it has %(count)d charging order(s). Disable it instead.")
            % {"pile": pile, "count": orders}
        )
    work_orders = pile.work_orders.count()
    if work_orders:
        raise ValidationError(
            _("Pile “%(pile)s” cannot be deleted: it has %(count)d work order(s). Disable it instead.")
            % {"pile": pile, "count": work_orders}
        )
    pile.delete()


@transaction.atomic
def pile_set_usage(*, user: User | None, pile: Pile, usage_state: str) -> Pile:
    pile.usage_state = UsageState(usage_state)
    pile.save(update_fields=["usage_state"])
    return pile
