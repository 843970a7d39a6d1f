"""A year of charging orders, the live sessions and their power samples."""

import bisect
import random
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import reset_queries
from tqdm import tqdm

from orders.choices import OrderStatus, PaymentMethod
from orders.models import ChargingOrder, PowerSample
from orders.services import order_fee_compute
from piles.choices import GunStatus
from piles.models import Gun

from .common import (
    ABNORMAL,
    ABNORMAL_SHARE,
    BATCH,
    COMPLETED,
    DAY,
    DC_SHAPE_MEAN,
    HOURS,
    SAMPLE_EVERY,
    GunPlan,
    OperatorState,
    PileState,
    StationState,
    _cumulative,
    _dc_shape,
    _kw,
    _poisson,
)


class SessionsMixin:
    """A year of charging orders, the live sessions and their power samples."""

    def _orders_create(self, rng: random.Random, live_rng: random.Random) -> None:
        first_day = (self.window_start - DAY).date()
        last_day = self.anchor.date() + DAY  # today, in every time zone
        days = [first_day + i * DAY for i in range((last_day - first_day).days + 1)]
        # Later months are busier: the rate grows by 80 % over the history.
        growth = [0.55 + 0.45 * i / (len(days) - 1) for i in range(len(days))]
        plans = [plan for state in self.stations for plan in state.plans]
        for plan in plans:
            plan.cut = self.now
            if plan.live_minutes:
                plan.cut = self.now - timedelta(minutes=plan.live_minutes + 3)
            if plan.active_until is not None:
                plan.cut = min(plan.cut, plan.active_until)
        base = self.scale.orders / self._expected_sessions(days, growth)

        buffer: list[ChargingOrder] = []
        recent: list[tuple[ChargingOrder, GunPlan, float, float]] = []  # these get power samples
        recent_since = self.now - DAY
        bar = tqdm(total=len(days), desc="Charging orders", unit="day", disable=not self.progress, file=sys.stderr)
        for day_index, day in enumerate(days):
            day_orders = []
            for state in self.stations:
                rate = base * growth[day_index] * rng.uniform(0.85, 1.15)
                for order, plan, kw in self._day_sessions(rng, state, day, rate):
                    day_orders.append((order, state))
                    if order.stopped_at > recent_since:
                        recent.append((order, plan, kw, 0.0))
            day_orders.sort(key=lambda item: item[0].started_at)
            for order, state in day_orders:
                self._order_number(order, state)
                buffer.append(order)
            if len(buffer) >= BATCH:
                self._orders_flush(buffer)
            bar.update(1)
            if day_index % 10 == 0:
                bar.set_postfix(orders=f"{self.counts['orders'] + len(buffer):,}")
        bar.close()

        for plan in plans:
            if plan.live_minutes:
                order, kw, planned_minutes = self._live_session_create(live_rng, plan)
                self._order_number(order, plan.pile.station)
                buffer.append(order)
                recent.append((order, plan, kw, planned_minutes))
        self._orders_flush(buffer)
        self._power_samples_create(recent)
        self._gun_states_save(plans)

    def _day_sessions(self, rng: random.Random, state: StationState, day: date, rate: float):
        """The sessions on a station's guns during one of its local days, with their average
        power, placed on the guns: starts follow the operator's hours of the day, on weekends
        too, and the station's popularity and the gun's weight set how many there are."""
        midnight = datetime.combine(day, time(0), tzinfo=state.zone).astimezone(UTC)
        if midnight + DAY <= self.window_start:
            return
        spec = state.op.spec
        rate *= state.popularity * spec.weekday_factor[day.weekday()]
        hours = state.op.hours_weekend if day.weekday() >= 5 else state.op.hours_weekday
        for plan in state.plans:
            if plan.active_from is None or midnight + DAY <= plan.active_from:
                continue
            if plan.active_until is not None and midnight >= plan.active_until:
                continue
            count = _poisson(rng, rate * plan.weight)
            if not count:
                continue
            starts = sorted(h * 3600 + int(rng.random() * 3600) for h in rng.choices(HOURS, cum_weights=hours, k=count))
            for offset in starts:
                order, kw = self._session_draw(rng, plan, midnight + timedelta(seconds=offset))
                if (
                    order.started_at < self.window_start
                    or order.started_at < plan.active_from
                    or order.stopped_at > plan.cut
                ):
                    continue
                self._session_place(plan, order)
                yield order, plan, kw

    def _expected_sessions(self, days: list[date], growth: list[float]) -> float:
        """How many sessions a rate of one per gun and day gives over the history, to scale the
        rate to the scale's order count."""
        for op in self.ops:
            factors = [g * op.spec.weekday_factor[d.weekday()] for d, g in zip(days, growth, strict=True)]
            op.day_prefix = [0.0, *_cumulative(factors)]
        first_day = bisect.bisect_left(days, self.window_start.date())
        end_day = bisect.bisect_right(days, self.anchor.date())
        total = 0.0
        for state in self.stations:
            for plan in state.plans:
                if plan.active_from is None:
                    continue
                first = max(first_day, bisect.bisect_left(days, plan.active_from.date()))
                last = end_day
                if plan.active_until is not None:
                    last = min(last, bisect.bisect_right(days, plan.active_until.date()))
                if last > first:
                    total += plan.weight * state.popularity * (state.op.day_prefix[last] - state.op.day_prefix[first])
        return max(total, 1.0)

    def _session_draw(self, rng: random.Random, plan: GunPlan, started: datetime) -> tuple[ChargingOrder, float]:
        """A finished session on a gun, starting no earlier than a short turnover after the gun's
        last session, and its average power in kW. Not yet placed on the gun's meter."""
        if plan.last_stop is not None:
            started = max(started, plan.last_stop + timedelta(seconds=rng.randint(120, 900)))
        minutes = rng.triangular(15, 60, 32) if plan.pile.dc else rng.triangular(20, 180, 80)
        kw = self._average_power(rng, plan.pile)
        seconds = int(minutes * 60)
        abnormal = rng.random() < ABNORMAL_SHARE
        reason = (ABNORMAL if abnormal else COMPLETED).draw(rng)
        order = self._order_new(
            rng,
            plan,
            started_at=started,
            stopped_at=started + timedelta(seconds=seconds),
            energy_kwh=Decimal(int(kw * seconds / 3.6)).scaleb(-3),
            status=OrderStatus.ABNORMAL if abnormal else OrderStatus.COMPLETED,
            stop_reason=reason,
        )
        return order, kw

    def _session_place(self, plan: GunPlan, order: ChargingOrder) -> None:
        """Put a session on its gun: the gun's meter runs on, and the order is priced."""
        state = plan.pile
        plan.last_stop = order.stopped_at
        order.meter_start_wh = plan.meter_wh
        plan.meter_wh += int(order.energy_kwh.scaleb(3))
        order.meter_stop_wh = plan.meter_wh
        fee = order_fee_compute(
            tariff=state.station.op.tariff,
            started_at=order.started_at,
            stopped_at=order.stopped_at,
            energy_kwh=order.energy_kwh,
            time_zone=state.station.station.time_zone,
        )
        order.electricity_fee, order.service_fee, order.amount = fee.electricity_fee, fee.service_fee, fee.amount

    def _average_power(self, rng: random.Random, state: PileState) -> float:
        """A session's average power in kW: what the pile and the car both manage, less the
        taper of a DC session as the battery fills."""
        rated = float(state.model.rated_kw)
        spec = state.station.op.spec
        if state.dc:
            return min(rated, rng.choice(spec.vehicle_dc_kw)) * rng.uniform(0.5, 0.8)
        return min(rated, rng.choice(spec.vehicle_ac_kw)) * rng.uniform(0.88, 0.97)

    def _order_new(self, rng: random.Random, plan: GunPlan, **fields) -> ChargingOrder:
        """An order on a gun, paid one of the operator's ways."""
        state = plan.pile
        payment, id_tag = self._payment_draw(rng, state.station.op)
        return ChargingOrder(
            station_id=state.station.station.pk,
            pile_id=state.pile.pk,
            gun_id=plan.gun.pk,
            id_tag_id=id_tag,
            payment_method=payment,
            created_at=fields["started_at"],
            **fields,
        )

    def _payment_draw(self, rng: random.Random, op: OperatorState) -> tuple[str, int | None]:
        payment = op.payments.draw(rng)
        if payment == PaymentMethod.RFID_CARD and op.cards:
            return payment, rng.choice(op.cards)
        if payment == PaymentMethod.APP and op.apps:
            return payment, rng.choice(op.apps)
        return payment, None

    def _order_number(self, order: ChargingOrder, state: StationState) -> None:
        """CO + the station's local date of the start + a running number over all orders; the
        running number is the OCPP transaction id too."""
        self.transactions += 1
        order.transaction_id = self.transactions
        local = order.started_at.astimezone(state.zone)
        order.number = f"CO{local.year:04d}{local.month:02d}{local.day:02d}{self.transactions:08d}"

    def _orders_flush(self, buffer: list[ChargingOrder]) -> None:
        if buffer:
            ChargingOrder.objects.bulk_create(buffer, batch_size=BATCH)
            self.counts["orders"] += len(buffer)
            buffer.clear()
            reset_queries()  # with DEBUG on, the query log would keep every batch's SQL

    def _live_session_create(self, rng: random.Random, plan: GunPlan) -> tuple[ChargingOrder, float, float]:
        """The session a Charging gun is in now: started `live_minutes` ago and not stopped. Its
        energy and fees so far come from its power samples. Returns the order, its average power
        and how many minutes the whole session will take."""
        started = self.now - timedelta(minutes=plan.live_minutes)
        planned = plan.live_minutes + (rng.uniform(10, 40) if plan.pile.dc else rng.uniform(20, 90))
        kw = self._average_power(rng, plan.pile)
        order = self._order_new(
            rng,
            plan,
            started_at=started.replace(microsecond=0),
            meter_start_wh=plan.meter_wh,
            status=OrderStatus.CHARGING,
        )
        return order, kw, planned

    def _power_samples_create(self, recent) -> None:
        samples, live = [], []
        for order, plan, kw, planned_minutes in recent:
            samples.extend(self._order_samples(order, plan, kw, planned_minutes))
            if order.status == OrderStatus.CHARGING:
                live.append(order)
            if len(samples) >= BATCH:
                self._samples_flush(samples)
        self._samples_flush(samples)
        ChargingOrder.objects.bulk_update(live, ["energy_kwh", "electricity_fee", "service_fee", "amount"])

    def _samples_flush(self, samples: list[PowerSample]) -> None:
        PowerSample.objects.bulk_create(samples, batch_size=BATCH)
        self.counts["power samples"] += len(samples)
        samples.clear()

    def _order_samples(self, order: ChargingOrder, plan: GunPlan, kw: float, planned_minutes: float) -> list:
        """The gun's power every five minutes through a session. A live order takes its energy
        and fees so far from them, and the gun its live power."""
        rng = random.Random(f"chargeops-demo:{self.seed}:power:{order.number}")
        live = order.status == OrderStatus.CHARGING
        end = self.now if live else order.stopped_at
        total = timedelta(minutes=planned_minutes) if live else order.stopped_at - order.started_at
        rated = float(plan.pile.model.rated_kw)
        capacity = rng.uniform(55, 95)  # kWh of the car's battery
        soc = rng.uniform(8, 45)
        samples, energy, at = [], 0.0, order.started_at
        while at < end:
            progress = (at - order.started_at) / total
            if plan.pile.dc:
                power = min(rated, kw / DC_SHAPE_MEAN * _dc_shape(progress))
            else:
                power = kw * (1.0 if progress < 0.9 else max(0.4, 1.0 - 4 * (progress - 0.9)))
            power *= rng.uniform(0.97, 1.03)
            samples.append(
                PowerSample(
                    gun=plan.gun,
                    order=order,
                    sampled_at=at,
                    power_kw=_kw(power),
                    soc_percent=min(100, round(soc + energy / capacity * 100)),
                )
            )
            energy += power * min(SAMPLE_EVERY, end - at).total_seconds() / 3600
            at += SAMPLE_EVERY
        if live:
            order.energy_kwh = Decimal(round(energy * 1000)).scaleb(-3)
            fee = order_fee_compute(
                tariff=plan.pile.station.op.tariff,
                started_at=order.started_at,
                stopped_at=self.now,
                energy_kwh=order.energy_kwh,
                time_zone=plan.pile.station.station.time_zone,
            )
            order.electricity_fee, order.service_fee, order.amount = fee.electricity_fee, fee.service_fee, fee.amount
            plan.gun.live_power_kw = samples[-1].power_kw if samples else Decimal("0")
        return samples

    def _gun_states_save(self, plans: list[GunPlan]) -> None:
        for plan in plans:
            gun, state = plan.gun, plan.pile
            if plan.live_minutes:
                gun.status_changed_at = (self.now - timedelta(minutes=plan.live_minutes)).replace(microsecond=0)
            elif gun.status in (GunStatus.FAULTED, GunStatus.UNAVAILABLE) and state.since:
                gun.status_changed_at = state.since
            else:
                gun.status_changed_at = plan.last_stop or state.pile.registered_at
        Gun.objects.bulk_update([plan.gun for plan in plans], ["status_changed_at", "live_power_kw"], batch_size=BATCH)

    # --- alarms and work orders ------------------------------------------------------------
