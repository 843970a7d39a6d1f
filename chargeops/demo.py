"""Demo data for `manage.py seed_demo`: two operators with stations, piles, id tags, a year of
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

import bisect
import math
import random
import sys
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import reset_queries, transaction
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Operator, User
from maintenance.choices import ERROR_CODE_CAUSES, AlarmStatus, ErrorCode, Severity, WorkOrderStatus
from maintenance.models import Alarm, WorkOrder, WorkOrderEvent
from orders.choices import OrderStatus, PaymentMethod
from orders.models import ChargingOrder, PowerSample, Tariff
from orders.services import order_fee_compute, tariff_create, tariff_schedule_set
from piles.choices import ChargingMethod, GunStatus, IdTagStatus, UsageState
from piles.models import Gun, IdTag, Pile
from stations.models import Area, Station

from .demo_catalogue import (
    ABNORMAL_STOPS,
    ALARM_CODES,
    ALARM_TEXTS,
    CLAIM_NOTES,
    COMPLETED_STOPS,
    CONFIRM_NOTES,
    DEMO_PASSWORD,
    FAULT_CODES,
    GUN_ERROR_CODES,
    MANUAL_PROBLEMS,
    OPERATORS,
    VENDOR_CODE_FORMATS,
    OperatorSpec,
    PileModel,
)

BATCH = 5000
HOURS = range(24)
SAMPLE_EVERY = timedelta(minutes=5)
ABNORMAL_SHARE = 0.012
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Scale:
    stations_per_operator: int
    piles_per_station: tuple[int, int]
    history_days: int
    orders: int  # about how many orders the history holds, both operators together
    id_tags_per_operator: int


SCALES = {
    "tiny": Scale(2, (3, 4), 60, 1_200, 8),
    "small": Scale(6, (3, 4), 365, 56_000, 40),
    "medium": Scale(12, (7, 9), 365, 300_000, 150),
    "large": Scale(18, (16, 20), 365, 1_150_000, 400),
}

# Kinds of pile, dealt out per operator so that every online status and usage state shows up.
NORMAL, NEW, UNREGISTERED, OFFLINE, FAULTY, DISABLED = "normal", "new", "unregistered", "offline", "faulty", "disabled"


def demo_loaded() -> bool:
    return Operator.objects.filter(name__in=[spec.name for spec in OPERATORS]).exists()


def demo_logins() -> list["Login"]:
    """The demo's logins as they are in the database, for `make demo` to print every time."""
    names = [spec.name for spec in OPERATORS]
    users = (
        User.objects.filter(Q(operator__name__in=names) | Q(username="admin", operator=None))
        .select_related("operator")
        .prefetch_related("groups")
        .order_by("operator__name", "username")
    )
    return [
        Login(user.username, ", ".join(user.role_names), user.operator.name if user.operator else "—", DEMO_PASSWORD)
        for user in users
    ]


def demo_load(*, scale: str, seed: int, progress: bool = False, now: datetime | None = None) -> "DemoResult":
    """Create the demo data set in one transaction. Check `demo_loaded()` first: the operator
    names are unique, so a second load fails instead of duplicating anything."""
    builder = DemoBuilder(scale=SCALES[scale], seed=seed, now=now or timezone.now(), progress=progress)
    return builder.build()


class DemoConflict(Exception):
    """Existing data stands in the way of the demo data set."""


@dataclass
class Login:
    username: str
    role: str
    operator: str
    password: str


@dataclass
class DemoResult:
    logins: list[Login]
    counts: Counter


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


class Weighted:
    """A weighted choice, its cumulative weights worked out once."""

    def __init__(self, choices):
        choices = list(choices)
        self.values = [value for value, _ in choices]
        self.cum = _cumulative(weight for _, weight in choices)

    def draw(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cum)[0]


COMPLETED = Weighted(COMPLETED_STOPS)
ABNORMAL = Weighted(ABNORMAL_STOPS)
ALARM_CODE_CHOICE = {method: Weighted(codes) for method, codes in ALARM_CODES.items()}
ALARM_DURATION_MINUTES = {
    Severity.WARNING: (1, 30),
    Severity.MINOR: (5, 180),
    Severity.MAJOR: (30, 720),
    Severity.CRITICAL: (60, 2880),
}
WORK_ORDER_STEPS = [
    WorkOrderStatus.UNACCEPTED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.COMPLETED,
    WorkOrderStatus.CONFIRMED,
]


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: the rates here are a few sessions per gun and day.
    limit = math.exp(-lam)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _kw(value: float) -> Decimal:
    return Decimal(round(value * 100)).scaleb(-2)


def _dc_shape(progress: float) -> float:
    """DC power through a session relative to its plateau: ramp up, plateau, taper as the
    battery fills. Its mean over a whole session is DC_SHAPE_MEAN."""
    if progress < 0.1:
        return 0.6 + 4 * progress
    if progress < 0.5:
        return 1.0
    return 1.0 - 1.3 * (progress - 0.5)


DC_SHAPE_MEAN = 0.8175


@dataclass
class OperatorState:
    spec: OperatorSpec
    operator: Operator
    admin: User
    techs: list[User]
    tariff: Tariff
    payments: Weighted
    hours_weekday: list[float]  # cumulative weights of session starts per local hour
    hours_weekend: list[float]
    cards: list[int] = field(default_factory=list)  # pks of accepted RFID card id tags
    apps: list[int] = field(default_factory=list)  # pks of accepted app tokens
    piles: list["PileState"] = field(default_factory=list)
    day_prefix: list[float] = field(default_factory=list)  # running sum of the daily rate factors


@dataclass
class StationState:
    station: Station
    op: OperatorState
    zone: zoneinfo.ZoneInfo
    popularity: float
    piles: list["PileState"] = field(default_factory=list)
    plans: list["GunPlan"] = field(default_factory=list)


@dataclass
class PileState:
    pile: Pile
    model: PileModel
    station: StationState
    lemon: bool  # the odd unreliable pile that raises many more alarms
    kind: str = NORMAL
    since: datetime | None = None  # when it went offline, faulted or was disabled
    fault_code: str = ""
    plans: list["GunPlan"] = field(default_factory=list)

    @property
    def dc(self) -> bool:
        return self.model.method == ChargingMethod.DC


@dataclass
class GunPlan:
    """One gun and where its sessions may fall. Sessions are laid out one after another, so
    they never overlap on a gun."""

    gun: Gun
    pile: PileState
    weight: float  # sessions per day relative to the other guns
    meter_wh: int
    active_until: datetime | None = None  # its sessions end before this (fault, offline, disabled)
    live_minutes: float = 0.0  # > 0: the gun is charging now, since this many minutes
    cut: datetime | None = None  # no session may end after this; set from `now`
    last_stop: datetime | None = None

    @property
    def active_from(self) -> datetime | None:
        return self.pile.pile.registered_at


class DemoBuilder:
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
        return DemoResult(self.logins, self.counts)

    # --- operators, people, tariffs --------------------------------------------------------

    def _user_get_or_create(self, username, *, operator, role, first_name, last_name, password) -> User:
        operator_name = operator.name if operator else "—"
        role_name = str(role.label) if role else "Platform admin"
        user = User.objects.filter(username=username).first()
        if user is not None:
            # Someone already made this login (say, `createsuperuser admin`): keep it as it is, as
            # long as it belongs where the demo would have put it.
            if user.operator_id != (operator.pk if operator else None):
                raise DemoConflict(
                    f"The user “{username}” exists and belongs to another operator; "
                    "rename or remove it before loading the demo data."
                )
            self.logins.append(Login(username, role_name, operator_name, "(unchanged)"))
            return user
        user = User(
            username=username,
            password=password,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@example.com",
            operator=operator,
            is_staff=role is None,
            is_superuser=role is None,
            date_joined=self.window_start - timedelta(days=60),
        )
        user.save()
        if role is not None:
            user.groups.add(Group.objects.get(name=role.value))
        self.counts["users"] += 1
        self.logins.append(Login(username, role_name, operator_name, DEMO_PASSWORD))
        return user

    def _operators_create(self) -> None:
        # One hash for every demo login: hashing is slow on purpose and this password is public.
        password = make_password(DEMO_PASSWORD)
        self._user_get_or_create(
            "admin", operator=None, role=None, first_name="Platform", last_name="Administrator", password=password
        )
        for spec in OPERATORS:
            operator = Operator(name=spec.name, currency=spec.currency, time_zone=spec.time_zone)
            operator.full_clean()
            operator.save()
            users = {
                person.suffix: self._user_get_or_create(
                    f"{spec.user_prefix}-{person.suffix}",
                    operator=operator,
                    role=person.role,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    password=password,
                )
                for person in spec.users
            }
            tariff = tariff_create(user=users["admin"], operator=operator, name=spec.tariff_name)
            # The current prices came in half a year ago (half-way through a short history), so
            # older orders keep the older prices.
            renewed = self.anchor.date() - timedelta(days=min(182, self.scale.history_days // 2))
            for effective_from, rows in (
                (self.window_start.date() - timedelta(days=30), spec.tariff_old),
                (renewed, spec.tariff_new),
            ):
                periods = [
                    {"starts_at": start, "electricity_price": Decimal(price), "service_fee": Decimal(service)}
                    for start, price, service in rows
                ]
                tariff_schedule_set(user=users["admin"], tariff=tariff, effective_from=effective_from, periods=periods)
            self.ops.append(
                OperatorState(
                    spec=spec,
                    operator=operator,
                    admin=users["admin"],
                    techs=[user for suffix, user in users.items() if suffix.startswith("tech")],
                    tariff=Tariff.objects.prefetch_related("periods").get(pk=tariff.pk),
                    payments=Weighted(spec.payments),
                    hours_weekday=_cumulative(spec.hours_weekday),
                    hours_weekend=_cumulative(spec.hours_weekend),
                )
            )
            self.counts["operators"] += 1
            self.counts["tariffs"] += 1

    # --- areas, stations, piles, guns ------------------------------------------------------

    def _network_create(self, rng: random.Random) -> None:
        for op in self.ops:
            spec = op.spec
            sites = spec.sites[: self.scale.stations_per_operator]
            used = {site.area for site in sites}
            areas = {
                name: Area(operator=op.operator, name=name, description=description)
                for name, description in spec.areas
                if name in used
            }
            for area in areas.values():
                area.full_clean()
            Area.objects.bulk_create(areas.values())
            self.counts["areas"] += len(areas)

            models = Weighted((model, model.share) for model in spec.pile_models)
            stations = []
            for index, site in enumerate(sites, start=1):
                station = Station(
                    area=areas[site.area],
                    name=site.name,
                    address=site.address,
                    latitude=Decimal(site.latitude),
                    longitude=Decimal(site.longitude),
                    time_zone=site.time_zone,
                    tariff=op.tariff,
                    created_by=op.admin,
                )
                station.full_clean()
                state = StationState(station, op, zoneinfo.ZoneInfo(site.time_zone), rng.uniform(0.6, 1.4))
                stations.append(state)
                for number in range(1, rng.randint(*self.scale.piles_per_station) + 1):
                    model = models.draw(rng)
                    pile = Pile(
                        station=station,
                        name=f"Pile {number:02d}",
                        charge_point_id=f"{spec.country}-{site.code}{index:02d}-P{number:02d}",
                        manufacturer=model.manufacturer,
                        model=model.model,
                        serial_number=f"{model.serial_prefix}{rng.randrange(10**7, 10**8)}",
                        rated_power_kw=model.rated_kw,
                        voltage_min=model.voltage[0],
                        voltage_max=model.voltage[1],
                        charging_method=model.method,
                        firmware_version=rng.choice(model.firmware),
                    )
                    pile_state = PileState(pile, model, state, lemon=rng.random() < 0.12)
                    state.piles.append(pile_state)
                    op.piles.append(pile_state)
            Station.objects.bulk_create([state.station for state in stations])
            self.stations.extend(stations)
            self.counts["stations"] += len(stations)
            self._pile_kinds_assign(rng, op)
            for pile_state in op.piles:
                self._guns_plan(rng, pile_state)
            if not any(plan.live_minutes for pile_state in op.piles for plan in pile_state.plans):
                # The dashboard should show at least one live session per operator.
                normal = [pile_state for pile_state in op.piles if pile_state.kind == NORMAL]
                self._live_session_plan(rng, normal[0].plans[0])

        piles = [pile_state.pile for op in self.ops for pile_state in op.piles]
        # Foreign keys are left out of the checks: each would cost a query, and the rows they
        # point to were made a moment ago. bulk_create takes their pks from the saved objects.
        for pile in piles:
            pile.full_clean(exclude=["station"], validate_unique=False, validate_constraints=False)
        Pile.objects.bulk_create(piles, batch_size=BATCH)
        guns = [plan.gun for op in self.ops for pile_state in op.piles for plan in pile_state.plans]
        for gun in guns:
            gun.full_clean(exclude=["pile"], validate_unique=False, validate_constraints=False)
        Gun.objects.bulk_create(guns, batch_size=BATCH)
        self.counts["piles"] += len(piles)
        self.counts["guns"] += len(guns)
        self._created_at_backdate()

    def _pile_kinds_assign(self, rng: random.Random, op: OperatorState) -> None:
        total = len(op.piles)
        kinds = (
            [UNREGISTERED] * max(1, total // 30)
            + [OFFLINE] * max(1, total // 14)
            + [FAULTY] * max(1, total // 20)
            + [DISABLED] * max(1, total // 25)
            + [NEW] * (total // 7)
        )
        kinds = (kinds + [NORMAL] * total)[:total]
        rng.shuffle(kinds)
        for state, kind in zip(op.piles, kinds, strict=True):
            state.kind = kind
            pile = state.pile
            if kind == UNREGISTERED:
                continue  # never booted: no registration, no last-seen time
            if kind == NEW:
                # Installed during the year: part of the growth in the history.
                pile.registered_at = self.window_start + self.scale.history_days * rng.uniform(0.25, 0.85) * DAY
            else:
                pile.registered_at = self.window_start - rng.uniform(20, 500) * DAY
            pile.connected = True
            pile.last_seen_at = self.now - timedelta(seconds=rng.randint(5, 240))
            if kind == OFFLINE:
                state.since = self.anchor - timedelta(hours=rng.uniform(2, 60))
                pile.connected = False
                pile.last_seen_at = state.since
            elif kind == FAULTY:
                state.since = self.anchor - timedelta(hours=rng.uniform(4, 40))
                state.fault_code = rng.choice(FAULT_CODES)
            elif kind == DISABLED:
                state.since = self.anchor - rng.uniform(2, 40) * DAY
                pile.usage_state = UsageState.DISABLED

    def _guns_plan(self, rng: random.Random, state: PileState) -> None:
        connectors = state.model.connectors
        faulted = rng.randrange(len(connectors)) if state.kind == FAULTY else None
        for index, connector in enumerate(connectors):
            gun = Gun(pile=state.pile, connector_id=index + 1, connector_type=connector, status=GunStatus.AVAILABLE)
            weight = (1.5 if state.dc else 0.8) * rng.uniform(0.7, 1.3) * (0.8 if index else 1.0)
            # Meters of older piles have run for years; a new pile's starts near zero.
            meter = (
                rng.randint(0, 5000) if state.kind == NEW else rng.randint(50_000, 200_000) * (20 if state.dc else 2)
            )
            plan = GunPlan(gun, state, weight * state.station.op.spec.busyness, meter)
            if state.kind in (UNREGISTERED, DISABLED):
                gun.status = GunStatus.UNAVAILABLE
            if state.kind in (OFFLINE, DISABLED) or index == faulted:
                plan.active_until = state.since
            if index == faulted:
                gun.status = GunStatus.FAULTED
                gun.error_code = state.fault_code
            if state.kind in (NORMAL, NEW) and rng.random() < (0.25 if state.dc else 0.2):
                self._live_session_plan(rng, plan)
            state.plans.append(plan)
            state.station.plans.append(plan)

    def _live_session_plan(self, rng: random.Random, plan: GunPlan) -> None:
        plan.live_minutes = rng.uniform(6, 50) if plan.pile.dc else rng.uniform(10, 150)
        plan.gun.status = GunStatus.CHARGING

    def _created_at_backdate(self) -> None:
        # `auto_now_add` stamped these rows with the time of the run; the demo network is older.
        # `bulk_update` writes the values as they are.
        for op in self.ops:
            op.operator.created_at = self.window_start - 600 * DAY
            op.tariff.created_at = self.window_start - 30 * DAY
        Operator.objects.bulk_update([op.operator for op in self.ops], ["created_at"])
        Tariff.objects.bulk_update([op.tariff for op in self.ops], ["created_at"])
        areas = {}
        for state in self.stations:
            registered = [p.pile.registered_at for p in state.piles if p.pile.registered_at]
            state.station.created_at = min(registered, default=self.anchor) - 14 * DAY
            area = state.station.area
            area.created_at = min(area.created_at, state.station.created_at - 7 * DAY)
            areas[area.pk] = area
        Station.objects.bulk_update([state.station for state in self.stations], ["created_at"])
        Area.objects.bulk_update(list(areas.values()), ["created_at"])
        piles = []
        for op in self.ops:
            for state in op.piles:
                state.pile.created_at = (state.pile.registered_at or self.anchor) - 3 * DAY
                piles.append(state.pile)
        Pile.objects.bulk_update(piles, ["created_at"], batch_size=BATCH)

    # --- id tags ---------------------------------------------------------------------------

    def _id_tags_create(self, rng: random.Random) -> None:
        for op in self.ops:
            spec = op.spec
            tags, seen = [], set()
            for index in range(self.scale.id_tags_per_operator):
                card = index % 10 < 7
                value = ""
                while not value or value in seen:
                    if not card:
                        value = f"{spec.app_prefix}{rng.randrange(10**8):08d}"
                    elif spec.country == "US":
                        value = f"{spec.card_prefix}{rng.getrandbits(48):012X}"
                    else:
                        value = f"{spec.card_prefix}{rng.randrange(10**12):012d}"
                seen.add(value)
                tag = IdTag(operator=op.operator, id_tag=value, holder=rng.choice(spec.holders))
                if index == 0:
                    tag.status = IdTagStatus.BLOCKED
                elif index == 1:
                    tag.status = IdTagStatus.EXPIRED
                    tag.expires_at = self.anchor - rng.randint(5, 60) * DAY
                elif rng.random() < 0.3:
                    tag.expires_at = self.anchor + rng.randint(90, 720) * DAY
                tag.full_clean(exclude=["operator"], validate_unique=False, validate_constraints=False)
                tags.append((tag, card, self.window_start - rng.randint(1, 300) * DAY))
            IdTag.objects.bulk_create([tag for tag, _, _ in tags])
            for tag, card, created_at in tags:
                tag.created_at = created_at
                if tag.status == IdTagStatus.ACCEPTED:
                    (op.cards if card else op.apps).append(tag.pk)
            IdTag.objects.bulk_update([tag for tag, _, _ in tags], ["created_at"])
            self.counts["id tags"] += len(tags)

    # --- charging orders and power samples -------------------------------------------------

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

    def _maintenance_create(self, rng: random.Random) -> None:
        alarms: list[Alarm] = []
        work_orders: list[tuple[WorkOrder, list[WorkOrderEvent], StationState]] = []
        for op in self.ops:
            registered = [state for state in op.piles if state.kind != UNREGISTERED]
            for state in registered:
                for alarm in self._history_alarms(rng, state):
                    alarms.append(alarm)
                    severe = alarm.severity in (Severity.CRITICAL, Severity.MAJOR)
                    if severe and alarm.occurred_at <= self.anchor - 5 * DAY and rng.random() < 0.35:
                        work_orders.append(self._alarm_work_order(rng, op, state, alarm, WorkOrderStatus.CONFIRMED))
            alarms.extend(self._current_alarms(rng, op, work_orders))

            # Repaired in the last days, waiting for the admin to confirm.
            healthy = [state for state in registered if state.kind in (NORMAL, NEW)]
            for state in rng.sample(healthy, min(len(healthy), 1 + len(op.piles) // 25)):
                occurred = self.anchor - rng.uniform(2, 4) * DAY
                alarm = self._alarm(rng, state, rng.choice(FAULT_CODES), occurred, repeats=rng.randint(1, 3))
                alarms.append(alarm)
                work_orders.append(self._alarm_work_order(rng, op, state, alarm, WorkOrderStatus.COMPLETED))

            # Raised by people on site rather than by an alarm, repaired long ago.
            spans = []
            for state in registered:
                start = max(self.window_start, state.pile.registered_at)
                end = min(self.anchor - 5 * DAY, state.since or self.anchor)
                if end > start:
                    spans.append((state, start, end))
            for _ in range(max(1, len(op.piles) // 10) if spans else 0):
                state, start, end = rng.choice(spans)
                problem, resolution = rng.choice(MANUAL_PROBLEMS)
                gun = rng.choice(state.plans).gun.connector_id
                work_orders.append(
                    self._work_order(
                        rng,
                        op,
                        state,
                        reported=start + (end - start) * rng.random(),
                        status=WorkOrderStatus.CONFIRMED,
                        problem=problem.format(gun=gun),
                        resolution=resolution.format(gun=gun),
                    )
                )

        for alarm in alarms:
            alarm.full_clean(
                exclude=["pile", "gun", "acknowledged_by"], validate_unique=False, validate_constraints=False
            )
        Alarm.objects.bulk_create(alarms, batch_size=BATCH)
        self.counts["alarms"] += len(alarms)
        self._work_orders_number(work_orders)
        WorkOrder.objects.bulk_create([work_order for work_order, _, _ in work_orders], batch_size=BATCH)
        events = []
        for work_order, history, _ in work_orders:
            for event in history:
                event.work_order = work_order
                events.append(event)
        WorkOrderEvent.objects.bulk_create(events, batch_size=BATCH)
        self.counts["work orders"] += len(work_orders)
        self.counts["work order events"] += len(events)

    def _alarm(
        self, rng: random.Random, state: PileState, code: str, occurred: datetime, *, repeats: int, gun=None
    ) -> Alarm:
        cause, severity = ERROR_CODE_CAUSES[ErrorCode(code)]
        if gun is None and code in GUN_ERROR_CODES:
            gun = rng.choice(state.plans).gun
        return Alarm(
            pile=state.pile,
            gun=gun,
            error_code=code,
            cause=cause,
            severity=severity,
            vendor_error_code=VENDOR_CODE_FORMATS[state.model.manufacturer].format(n=rng.randint(1, 250)),
            info=ALARM_TEXTS[code][0],
            status=AlarmStatus.OPEN,
            occurred_at=occurred,
            last_occurred_at=occurred + timedelta(minutes=(repeats - 1) * rng.uniform(2, 40)),
            repeat_count=repeats,
        )

    def _history_alarms(self, rng: random.Random, state: PileState) -> list[Alarm]:
        """Alarms over the pile's year, all cleared: a few a year, more on DC piles, and many on
        the odd unreliable pile."""
        start = max(self.window_start, state.pile.registered_at)
        end = min(self.anchor - 3 * DAY, state.since or self.anchor)
        if end <= start:
            return []
        rate = (7 if state.dc else 4) * (4 if state.lemon else 1)
        alarms = []
        for _ in range(_poisson(rng, rate * (end - start).days / 365)):
            code = ALARM_CODE_CHOICE[state.model.method].draw(rng)
            repeats = 1 if rng.random() < 0.7 else rng.randint(2, 9)
            alarm = self._alarm(rng, state, code, start + (end - start) * rng.random(), repeats=repeats)
            alarm.status = AlarmStatus.CLEARED
            lasted = rng.uniform(*ALARM_DURATION_MINUTES[alarm.severity])
            alarm.cleared_at = alarm.last_occurred_at + timedelta(minutes=lasted)
            if alarm.severity in (Severity.CRITICAL, Severity.MAJOR) and rng.random() < 0.7:
                alarm.acknowledged_by = rng.choice(state.station.op.techs)
                acknowledged = alarm.occurred_at + timedelta(minutes=rng.uniform(5, 60))
                alarm.acknowledged_at = min(acknowledged, alarm.cleared_at)
            alarms.append(alarm)
        return alarms

    def _current_alarms(self, rng: random.Random, op: OperatorState, work_orders: list) -> list[Alarm]:
        """Alarms not cleared yet: the fault of each faulty pile (acknowledged once a technician
        has claimed its work order), the weak signal before each offline pile dropped off, and a
        few warnings nobody has looked at. At most one per pile, gun and error code."""
        alarms = []
        faulty = [state for state in op.piles if state.kind == FAULTY]
        for index, state in enumerate(faulty):
            gun = next(plan.gun for plan in state.plans if plan.gun.status == GunStatus.FAULTED)
            alarm = self._alarm(rng, state, state.fault_code, state.since, repeats=rng.randint(1, 6), gun=gun)
            status = WorkOrderStatus.ACCEPTED if index % 2 == 0 else WorkOrderStatus.UNACCEPTED
            work_orders.append(self._alarm_work_order(rng, op, state, alarm, status))
            alarms.append(alarm)
        for state in op.piles:
            if state.kind != OFFLINE:
                continue
            occurred = state.since - timedelta(minutes=rng.uniform(30, 180))
            alarm = self._alarm(rng, state, ErrorCode.WEAK_SIGNAL, occurred, repeats=rng.randint(2, 12))
            alarm.last_occurred_at = state.since - timedelta(minutes=1)
            alarms.append(alarm)
            local = state.since.astimezone(state.station.zone)
            problem = (
                f"Pile offline since {local:%Y-%m-%d %H:%M} local time, after repeated weak-signal alarms. "
                "Check the 4G modem, SIM and antenna."
            )
            reported = state.since + timedelta(minutes=rng.uniform(20, 90))
            work_orders.append(
                self._work_order(
                    rng, op, state, reported=reported, status=WorkOrderStatus.UNACCEPTED, problem=problem, alarm=alarm
                )
            )
        warnings = (ErrorCode.WEAK_SIGNAL, ErrorCode.EV_COMMUNICATION_ERROR, ErrorCode.READER_FAILURE)
        for state in op.piles:
            if state.kind in (NORMAL, NEW) and rng.random() < 0.06:
                occurred = self.anchor - rng.uniform(0.2, 10) * DAY
                alarms.append(self._alarm(rng, state, rng.choice(warnings), occurred, repeats=rng.randint(1, 4)))
        return alarms

    def _alarm_work_order(self, rng: random.Random, op: OperatorState, state: PileState, alarm: Alarm, status: str):
        """A work order raised from an alarm; the alarm is acknowledged when the work order is
        claimed and cleared when it is repaired."""
        gun = alarm.gun.connector_id if alarm.gun else 1
        _info, problem, resolution = ALARM_TEXTS[alarm.error_code]
        work_order = self._work_order(
            rng,
            op,
            state,
            reported=alarm.occurred_at + timedelta(minutes=rng.uniform(5, 30)),
            status=status,
            problem=problem.format(gun=gun),
            resolution=resolution.format(gun=gun),
            alarm=alarm,
        )
        wo, history, _ = work_order
        reached = {event.to_status: event.at for event in history}
        if WorkOrderStatus.ACCEPTED in reached:
            alarm.status = AlarmStatus.ACKNOWLEDGED
            alarm.acknowledged_by = wo.assignee
            alarm.acknowledged_at = reached[WorkOrderStatus.ACCEPTED]
        if WorkOrderStatus.COMPLETED in reached:
            alarm.status = AlarmStatus.CLEARED
            alarm.cleared_at = reached[WorkOrderStatus.COMPLETED]
        return work_order

    def _work_order(
        self,
        rng: random.Random,
        op: OperatorState,
        state: PileState,
        *,
        reported: datetime,
        status: str,
        problem: str,
        resolution: str = "",
        alarm: Alarm | None = None,
    ) -> tuple[WorkOrder, list[WorkOrderEvent], StationState]:
        """A work order and its history as far as `status`: reported by the operator admin,
        claimed and repaired by a technician, confirmed by the admin."""
        tech = rng.choice(op.techs)
        opened = f"Raised from alarm {alarm.error_code}. " if alarm else ""
        history = [
            WorkOrderEvent(
                actor=op.admin, at=reported, from_status="", to_status=WorkOrderStatus.UNACCEPTED, note=opened + problem
            )
        ]
        at = reported
        for previous, step in pairwise(WORK_ORDER_STEPS[: WORK_ORDER_STEPS.index(status) + 1]):
            actor = tech
            if step == WorkOrderStatus.ACCEPTED:
                at += timedelta(minutes=rng.uniform(10, 180))
                note = rng.choice(CLAIM_NOTES)
            elif step == WorkOrderStatus.COMPLETED:
                at += timedelta(hours=rng.uniform(1, 20))
                if alarm is not None:
                    at = max(at, alarm.last_occurred_at + timedelta(minutes=10))
                note = resolution
            else:
                at += timedelta(hours=rng.uniform(1, 30))
                actor, note = op.admin, rng.choice(CONFIRM_NOTES)
            history.append(WorkOrderEvent(actor=actor, at=at, from_status=previous, to_status=step, note=note))
        work_order = WorkOrder(
            pile=state.pile,
            problem_description=problem,
            applicant=op.admin,
            reported_at=reported,
            status=status,
            assignee=tech if status != WorkOrderStatus.UNACCEPTED else None,
            status_changed_at=at,
            source_alarm=alarm,
            resolution=resolution if status in (WorkOrderStatus.COMPLETED, WorkOrderStatus.CONFIRMED) else "",
        )
        return work_order, history, state.station

    def _work_orders_number(self, work_orders) -> None:
        """WO + the station's local date of the report + a running number within that date."""
        per_day: Counter = Counter()
        for work_order, _, station in sorted(work_orders, key=lambda item: item[0].reported_at):
            local = work_order.reported_at.astimezone(station.zone)
            key = f"{local.year:04d}{local.month:02d}{local.day:02d}"
            per_day[key] += 1
            work_order.number = f"WO{key}{per_day[key]:04d}"
            work_order.full_clean(
                exclude=["pile", "applicant", "assignee", "source_alarm"],
                validate_unique=False,
                validate_constraints=False,
            )
