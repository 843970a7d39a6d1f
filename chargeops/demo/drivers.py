"""Demo drivers of the driver portal: verified accounts with wallets that were topped up and
paid some of the network's recent sessions, through the wallet's own services."""

import random
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from payments import PaymentStatus

from accounts.models import User
from drivers.models import LedgerEntry
from drivers.services import driver_register, top_up_create, wallet_orders_charge
from orders.choices import OrderStatus, PaymentMethod
from orders.models import ChargingOrder
from piles.models import IdTag

from .catalogue import DEMO_PASSWORD, DRIVER_LOGIN
from .common import DAY, Login

DRIVERS_PER_OPERATOR = 2
SESSIONS_PER_DRIVER = 6


class DriversMixin:
    def _drivers_create(self, rng: random.Random) -> None:
        password = make_password(DEMO_PASSWORD)
        for op in self.ops:
            domain = op.spec.name.split()[0].lower()
            recent = list(
                ChargingOrder.objects.filter(
                    station__area__operator=op.operator,
                    status=OrderStatus.COMPLETED,
                    payment_method=PaymentMethod.APP,
                    started_at__gte=self.anchor - timedelta(days=30),
                ).order_by("started_at")
            )
            for number in range(1, DRIVERS_PER_OPERATOR + 1):
                email = f"driver{number}@{domain}.example"
                user = User(username=email, email=email, password=password, date_joined=self.anchor - 40 * DAY)
                user.save()
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                driver = driver_register(user=user, operator=op.operator)
                # The same seed gives the same data: the tag from the demo's random stream.
                driver.id_tag.id_tag = f"D{rng.getrandbits(60):015X}"
                IdTag.objects.filter(pk=driver.id_tag_id).update(id_tag=driver.id_tag.id_tag)
                orders = sorted(rng.sample(recent, min(SESSIONS_PER_DRIVER, len(recent))), key=lambda o: o.started_at)
                for order in orders:
                    recent.remove(order)
                ChargingOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
                    id_tag=driver.id_tag, id_tag_text=driver.id_tag.id_tag, payment_method=PaymentMethod.WALLET
                )
                paid_from = self.anchor - 35 * DAY
                self._top_up(driver, Decimal("100.00"), paid_from)
                for order in orders:
                    order.id_tag, order.payment_method = driver.id_tag, PaymentMethod.WALLET
                    if driver.balance < order.amount + 20:
                        self._top_up(driver, Decimal("100.00"), order.started_at - timedelta(hours=1))
                    for entry in wallet_orders_charge(orders=[order]):
                        LedgerEntry.objects.filter(pk=entry.pk).update(created_at=order.stopped_at)
                    driver.refresh_from_db()
                self.logins.append(Login(email, DRIVER_LOGIN, op.operator.name, DEMO_PASSWORD))
                self.counts["drivers"] += 1

    def _top_up(self, driver, amount: Decimal, at) -> None:
        payment = top_up_create(driver=driver, amount=amount)
        payment.change_status(PaymentStatus.CONFIRMED)
        LedgerEntry.objects.filter(top_up=payment).update(created_at=at)
        type(payment).objects.filter(pk=payment.pk).update(created=at, modified=at, captured_amount=amount)
        driver.refresh_from_db()
