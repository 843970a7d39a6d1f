"""Every operator-owned model reads through for_user(): with a full network of rows for two
operators, each user sees exactly their own operator's rows of every model, a platform admin
sees all, and a user without an operator sees none."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models import Q
from payments import PaymentStatus

from accounts.models import Role
from accounts.services import role_create
from analytics.models import PileDaily, PileMonthly, StationDaily, StationFaultDaily, StationMonthly
from audit.services import audit_created
from chargeops.models import ImportJob, ScopedModel
from drivers.models import ChargeRequest
from drivers.services import driver_register, top_up_create
from gateway.choices import CommandAction, SecurityEventKind
from gateway.models import Command
from gateway.services import security_event_record
from piles.models import StatusChange

from .factories import (
    AlarmFactory,
    ChargingOrderFactory,
    IdTagFactory,
    PowerSampleFactory,
    TariffPeriodFactory,
    UpgradeTargetFactory,
    UserFactory,
    WorkOrderEventFactory,
)

SCOPED_MODELS = [model for model in apps.get_models() if issubclass(model, ScopedModel)]
# Rows every operator sees besides its own: the built-in roles.
SHARED = {Role: Q(operator__isnull=True)}


def network(operator):
    """One row of every scoped model, all belonging to `operator`."""
    order = ChargingOrderFactory(gun__pile__station__area__operator=operator)
    pile, station = order.pile, order.station
    station.tariff = TariffPeriodFactory(tariff__operator=operator).tariff
    station.save()
    PowerSampleFactory(gun=order.gun, order=order)
    IdTagFactory(operator=operator)
    alarm = AlarmFactory(pile=pile, gun=order.gun)
    WorkOrderEventFactory(work_order__pile=pile, work_order__source_alarm=alarm)
    StationDaily.objects.create(station=station, date=date(2025, 1, 1))
    StationMonthly.objects.create(station=station, date=date(2025, 1, 1))
    PileDaily.objects.create(pile=pile, date=date(2025, 1, 1))
    PileMonthly.objects.create(pile=pile, date=date(2025, 1, 1))
    StationFaultDaily.objects.create(station=station, date=date(2025, 1, 1), cause="other", faults=1)
    StatusChange.objects.create(pile=pile, gun=order.gun, status="Available", at=order.started_at)
    Command.objects.create(pile=pile, action=CommandAction.RESET, payload={"type": "Soft"})
    security_event_record(kind=SecurityEventKind.WRONG_KEY, charge_point_id=pile.charge_point_id)
    audit_created(user=None, obj=pile)
    UpgradeTargetFactory(upgrade__package__operator=operator, pile=pile)
    role_create(
        user=None, operator=operator, name="Shift lead", permissions=Permission.objects.filter(codename="view_pile")
    )
    ImportJob.objects.create(operator=operator, kind="piles", file_name="piles.xlsx")
    driver = driver_register(user=UserFactory(operator=None), operator=operator)
    top_up_create(driver=driver, amount=Decimal("20")).change_status(PaymentStatus.CONFIRMED)
    command = Command.objects.create(pile=pile, action=CommandAction.REMOTE_START, payload={})
    ChargeRequest.objects.create(driver=driver, gun=order.gun, command=command)


def test_every_domain_model_is_scoped():
    names = {model._meta.label for model in SCOPED_MODELS}
    expected = {
        "accounts.Operator", "stations.Area", "stations.Station", "piles.Pile", "piles.Gun", "piles.IdTag",
        "orders.Tariff", "orders.TariffPeriod", "orders.ChargingOrder", "orders.PowerSample", "maintenance.Alarm",
        "maintenance.WorkOrder", "maintenance.WorkOrderEvent", "analytics.StationDaily", "analytics.StationMonthly",
        "analytics.PileDaily", "analytics.PileMonthly",
        "analytics.StationFaultDaily", "piles.StatusChange", "gateway.Command", "gateway.SecurityEvent",
        "accounts.Role", "audit.AuditEntry", "firmware.FirmwarePackage", "firmware.FirmwareUpgrade",
        "firmware.UpgradeTarget", "chargeops.ImportJob", "drivers.Driver", "drivers.LedgerEntry",
        "drivers.ChargeRequest",
    }  # fmt: skip
    assert expected <= names


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m._meta.label)
def test_each_user_sees_exactly_their_operators_rows(model, operator, other_operator, admin_user, platform_admin):
    network(operator)
    network(other_operator)
    other_user = UserFactory(operator=other_operator)
    nobody = UserFactory(operator=None)
    path = model.operator_path

    own = set(model.objects.for_user(admin_user).values_list("pk", flat=True))
    theirs = set(model.objects.for_user(other_user).values_list("pk", flat=True))
    assert own, f"no {model._meta.label} row was made for the operator"
    shared = set(model.objects.filter(SHARED.get(model, Q(pk__in=[]))).values_list("pk", flat=True))
    assert own - shared == set(model.objects.filter(**{path: operator.pk}).values_list("pk", flat=True))
    assert theirs - shared == set(model.objects.filter(**{path: other_operator.pk}).values_list("pk", flat=True))
    assert own & theirs == shared
    assert model.objects.for_user(platform_admin).count() == model.objects.count() == len(own | theirs)
    assert not model.objects.for_user(nobody).exists()
