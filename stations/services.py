"""Writes of operations areas and charging stations. Every caller (forms, import, gateway,
demo data) goes through these functions."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Operator, User
from audit.services import audit_changes, audit_created, audit_deleted
from chargeops.models import fields_set

from .models import Area, Station

AREA_FIELDS = ("name", "description")
STATION_FIELDS = ("area", "name", "address", "latitude", "longitude", "time_zone", "tariff", "opening_hours")


def _same_operator(operator_id, *related) -> None:
    for obj in related:
        if obj is not None and obj.get_operator().pk != operator_id:
            raise ValidationError(_("%(obj)s belongs to another operator.") % {"obj": obj})


@transaction.atomic
def area_create(*, user: User | None, operator: Operator | None = None, name: str, description: str = "") -> Area:
    operator = operator or user.operator
    if operator is None:
        raise ValidationError(_("Choose the operator the area belongs to."))
    area = Area(operator=operator, name=name, description=description)
    area.full_clean()
    area.save()
    audit_created(user=user, obj=area)
    return area


@transaction.atomic
def area_update(*, user: User | None, area: Area, **data) -> Area:
    with audit_changes(user=user, obj=area):
        fields_set(area, AREA_FIELDS, data)
        area.full_clean()
        area.save()
    return area


@transaction.atomic
def area_delete(*, user: User | None, area: Area) -> None:
    count = area.stations.count()
    if count:
        raise ValidationError(
            _("Area “%(area)s” still has %(count)d station(s); move them to another area first.")
            % {"area": area, "count": count}
        )
    audit_deleted(user=user, obj=area)
    area.delete()


@transaction.atomic
def stations_move(*, user: User | None, stations, area: Area) -> int:
    """Move stations to another area of the same operator; returns how many moved."""
    stations = list(stations)
    _same_operator(area.operator_id, *stations)
    for station in stations:
        with audit_changes(user=user, obj=station):
            station.area = area
            station.full_clean()
            station.save(update_fields=["area"])
    return len(stations)


@transaction.atomic
def station_create(*, user: User | None, area: Area, **data) -> Station:
    _same_operator(area.operator_id, data.get("tariff"))
    station = Station(area=area, created_by=user)
    fields_set(station, STATION_FIELDS, data)
    station.full_clean()
    station.save()
    audit_created(user=user, obj=station)
    return station


@transaction.atomic
def station_update(*, user: User | None, station: Station, **data) -> Station:
    operator_id = station.area.operator_id
    with audit_changes(user=user, obj=station):
        fields_set(station, STATION_FIELDS, data)
        _same_operator(operator_id, station.area, station.tariff)
        station.full_clean()
        station.save()
    return station


@transaction.atomic
def station_delete(*, user: User | None, station: Station) -> None:
    piles = station.piles.count()
    orders = station.orders.count()
    if piles or orders:
        reasons = []
        if piles:
            reasons.append(_("%(count)d pile(s)") % {"count": piles})
        if orders:
            reasons.append(_("%(count)d charging order(s)") % {"count": orders})
        raise ValidationError(
            _("Station “%(station)s” cannot be deleted: it still has %(what)s.")
            % {"station": station, "what": _(" and ").join(reasons)}
        )
    audit_deleted(user=user, obj=station)
    station.delete()
