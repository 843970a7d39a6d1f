"""Scales, state and helpers shared by the demo builder's parts."""

import math
import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from accounts.models import Operator, User
from maintenance.choices import Severity, WorkOrderStatus
from orders.models import Tariff
from piles.choices import ChargingMethod
from piles.models import Gun, Pile
from stations.models import Station

from .catalogue import (
    ABNORMAL_STOPS,
    ALARM_CODES,
    COMPLETED_STOPS,
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
    "small": Scale(6, (3, 4), 400, 56_000, 40),
    "medium": Scale(12, (7, 9), 400, 300_000, 150),
    "large": Scale(18, (16, 20), 400, 1_150_000, 400),
}

# Kinds of pile, dealt out per operator so that every online status and usage state shows up.
NORMAL, NEW, UNREGISTERED, OFFLINE, FAULTY, DISABLED = "normal", "new", "unregistered", "offline", "faulty", "disabled"


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
