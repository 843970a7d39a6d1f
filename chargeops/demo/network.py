"""Operators, people, tariffs, areas, stations, piles, guns and id tags."""

import random
import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.choices import Role as BuiltinRole
from accounts.models import Operator, User
from accounts.roles import ROLE_PERMISSIONS, permissions_named
from accounts.services import role_create
from orders.models import Tariff
from orders.services import tariff_create, tariff_schedule_set
from piles.choices import GunStatus, IdTagStatus, UsageState
from piles.models import Gun, IdTag, Pile
from stations.models import Area, Station

from .catalogue import (
    DEMO_PASSWORD,
    FAULT_CODES,
    OPENING_HOURS,
    OPERATORS,
)
from .common import (
    BATCH,
    DAY,
    DISABLED,
    FAULTY,
    NEW,
    NORMAL,
    OFFLINE,
    UNREGISTERED,
    DemoConflict,
    GunPlan,
    Login,
    OperatorState,
    PileState,
    StationState,
    Weighted,
    _cumulative,
)


class NetworkMixin:
    """Operators, people, tariffs, areas, stations, piles, guns and id tags."""

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
            # A role of the operator's own: a technician who also assigns and confirms repairs.
            role_create(
                user=users["admin"],
                name="Shift lead",
                description="Leads a maintenance shift: a technician who also assigns and confirms work orders.",
                permissions=permissions_named(
                    [*ROLE_PERMISSIONS[BuiltinRole.TECHNICIAN], "maintenance.confirm_workorder"]
                ),
            )
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
            # The first technician looks after the first area; the others take work from anywhere.
            op.techs[0].areas.set([next(iter(areas.values()))])

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
                    opening_hours=OPENING_HOURS.get(site.code, ""),
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
