"""factory_boy factories for the domain models, one per model."""

from datetime import time, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Operator, User
from drivers.models import Driver
from firmware.models import FirmwarePackage, FirmwareUpgrade, UpgradeTarget
from maintenance.choices import AlarmStatus, ErrorCode, FaultCause, Severity, WorkOrderStatus
from maintenance.models import Alarm, WorkOrder, WorkOrderEvent
from orders.choices import OrderStatus, PaymentMethod
from orders.models import ChargingOrder, PowerSample, Tariff, TariffPeriod
from piles.choices import ChargingMethod, ConnectorType, GunStatus
from piles.models import Gun, IdTag, Pile
from stations.models import Area, Station

PASSWORD = "correct-horse-battery"


class OperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operator

    name = factory.Sequence(lambda n: f"Operator {n:04d}")
    time_zone = "America/Los_Angeles"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    operator = factory.SubFactory(OperatorFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=Role(extracted).value))
        if create:
            self.save()


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    operator = factory.SubFactory(OperatorFactory)
    name = factory.Sequence(lambda n: f"Area {n:04d}")


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    operator = factory.SubFactory(OperatorFactory)
    name = factory.Sequence(lambda n: f"Tariff {n:04d}")


class TariffPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffPeriod

    tariff = factory.SubFactory(TariffFactory)
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    starts_at = time(0)
    electricity_price = Decimal("0.3000")
    service_fee = Decimal("0.1000")


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    area = factory.SubFactory(AreaFactory)
    name = factory.Sequence(lambda n: f"Station {n:04d}")
    address = factory.Sequence(lambda n: f"{n} Main Street, Las Vegas, NV")
    latitude = Decimal("36.114647")
    longitude = Decimal("-115.172813")
    time_zone = "America/Los_Angeles"


class PileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pile

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"Pile {n:04d}")
    charge_point_id = factory.Sequence(lambda n: f"CP{n:05d}")
    manufacturer = "XingBang"
    model = "XB-11"
    rated_power_kw = Decimal("11.20")
    voltage_min = 200
    voltage_max = 250
    charging_method = ChargingMethod.AC


class GunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gun

    pile = factory.SubFactory(PileFactory)
    connector_id = factory.Sequence(lambda n: n + 1)
    connector_type = ConnectorType.TYPE2
    status = GunStatus.AVAILABLE


class IdTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdTag

    operator = factory.SubFactory(OperatorFactory)
    id_tag = factory.Sequence(lambda n: f"TAG{n:06d}")


class ChargingOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChargingOrder

    gun = factory.SubFactory(GunFactory)
    pile = factory.SelfAttribute("gun.pile")
    station = factory.SelfAttribute("gun.pile.station")
    number = factory.Sequence(lambda n: f"CO{n:010d}")
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    stopped_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(hours=1))
    energy_kwh = Decimal("10.000")
    payment_method = PaymentMethod.APP
    status = OrderStatus.COMPLETED


class PowerSampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PowerSample

    gun = factory.SubFactory(GunFactory)
    sampled_at = factory.LazyFunction(timezone.now)
    power_kw = Decimal("7.00")


class AlarmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alarm

    pile = factory.SubFactory(PileFactory)
    error_code = ErrorCode.GROUND_FAILURE
    cause = FaultCause.GROUND_FAULT
    severity = Severity.CRITICAL
    status = AlarmStatus.OPEN
    occurred_at = factory.LazyFunction(timezone.now)
    last_occurred_at = factory.SelfAttribute("occurred_at")


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    number = factory.Sequence(lambda n: f"WO{n:08d}")
    pile = factory.SubFactory(PileFactory)
    problem_description = "Gun 1 does not start charging"
    reported_at = factory.LazyFunction(timezone.now)
    status = WorkOrderStatus.UNACCEPTED


class WorkOrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrderEvent

    work_order = factory.SubFactory(WorkOrderFactory)
    at = factory.LazyFunction(timezone.now)
    to_status = WorkOrderStatus.UNACCEPTED


class FirmwarePackageFactory(factory.django.DjangoModelFactory):
    """A package row whose file is only named: tests that download it store a real one."""

    class Meta:
        model = FirmwarePackage

    operator = factory.SubFactory(OperatorFactory)
    file = factory.Sequence(lambda n: f"firmware/test/{n}/xb11.bin")
    file_name = "xb11.bin"
    manufacturer = "XingBang"
    model = "XB-11"
    version = factory.Sequence(lambda n: f"2.{n}.0")
    checksum = "0" * 64
    size = 1024


class FirmwareUpgradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FirmwareUpgrade

    package = factory.SubFactory(FirmwarePackageFactory)


class UpgradeTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UpgradeTarget

    upgrade = factory.SubFactory(FirmwareUpgradeFactory)
    pile = factory.SubFactory(PileFactory)


class DriverFactory(factory.django.DjangoModelFactory):
    """A driver portal account in an operator's network, with its own id tag."""

    class Meta:
        model = Driver

    operator = factory.SubFactory(OperatorFactory)
    user = factory.SubFactory(UserFactory, operator=None, email=factory.Sequence(lambda n: f"driver{n}@example.com"))
    id_tag = factory.SubFactory(IdTagFactory, operator=factory.SelfAttribute("..operator"))


def time_of_use_tariff(operator, *, evening=(Decimal("0.60"), Decimal("0.20"))):
    """A tariff in force from 2025: valley 00:00–08:00 at 0.30 + 0.10 per kWh, peak 08:00–20:00
    at 1.00 + 0.50, and the evening from 20:00 at `evening` (electricity, service fee)."""
    from datetime import date, time

    from orders.services import tariff_create, tariff_schedule_set

    tariff = tariff_create(user=None, operator=operator, name="Time of use")
    tariff_schedule_set(
        user=None,
        tariff=tariff,
        effective_from=date(2025, 1, 1),
        periods=[
            {"starts_at": time(0), "electricity_price": Decimal("0.30"), "service_fee": Decimal("0.10")},
            {"starts_at": time(8), "electricity_price": Decimal("1.00"), "service_fee": Decimal("0.50")},
            {"starts_at": time(20), "electricity_price": evening[0], "service_fee": evening[1]},
        ],
    )
    return tariff
