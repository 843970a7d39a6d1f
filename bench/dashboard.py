"""Time the dashboard and the statistics pages at a network's full history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chargeops_bench \\
        .venv/bin/python bench/dashboard.py --orders 100000 1000000 [10000000]

For each N, on a fresh PostgreSQL database of its own (DATABASE_URL's name with _N added): loads
N orders over three years (COPY, in the order they started) into a network of 60 stations in
three time zones, times a full roll-up and an incremental one of a single changed day. Then it
requests each page of each network through the Django test client (10 warm requests, median;
three passes over the pages, around a pass of the naive version, the networks taking turns in
each pass: each page's figure is its middle pass), the naive version being each page with its
figures aggregated from the raw orders instead of the roll-ups. Prints each page's median, how
many times faster than naive it is, the same for the part of the page the roll-ups serve (its
order figures and usage sums), and at the end the ratio of the largest N to the smallest; a CPU
check before each pass gives the machine's speed at the time. Not part of the test run.
"""

import argparse
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargeops.settings")
# As in production: DEBUG off (no query log kept per request).
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York"]
STATIONS, PILES, GUNS = 60, 10, 2
REQUESTS = 10


def database_reset(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def network_create():
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.choices import Role
    from accounts.models import Operator, User
    from piles.choices import GunStatus
    from piles.models import Gun, Pile
    from stations.models import Area, Station

    operator = Operator.objects.create(name="Bench Charging", time_zone="Asia/Shanghai")
    analyst = User.objects.create_user("bench", operator=operator)
    analyst.groups.add(*Group.objects.filter(name=Role.ANALYST))
    areas = [Area.objects.create(operator=operator, name=f"Area {n}") for n in range(3)]
    guns = []
    for n in range(STATIONS):
        station = Station.objects.create(
            area=areas[n % 3],
            name=f"Station {n:03d}",
            address=f"{n} Bench Road",
            latitude=Decimal("31.2"),
            longitude=Decimal("121.4"),
            time_zone=ZONES[n % 3],
        )
        for p in range(PILES):
            pile = Pile.objects.create(
                station=station,
                name=f"Pile {p:02d}",
                charge_point_id=f"B{n:03d}P{p:02d}",
                manufacturer="Bench",
                model="B-60",
                rated_power_kw=Decimal("60"),
                voltage_min=200,
                voltage_max=750,
                charging_method="DC",
            )
            guns += [Gun.objects.create(pile=pile, connector_id=g + 1, connector_type="ccs2") for g in range(GUNS)]
    # Built before the orders' three years: a pile's time in a range starts when it was added,
    # and piles added today would be "used" for 1,000 % of it.
    built = timezone.now() - timedelta(days=4 * 365)
    Station.objects.update(created_at=built)
    # As a working network: every pile registered, one in twenty offline, one in twenty-five
    # with a faulted gun, one gun in seven charging.
    Pile.objects.update(created_at=built, registered_at=built, connected=True)
    Pile.objects.filter(pk__in=[pile.pk for pile in Pile.objects.order_by("pk")[::20]]).update(connected=False)
    Gun.objects.filter(pk__in=[gun.pk for gun in guns[::50]]).update(status=GunStatus.FAULTED)
    Gun.objects.filter(pk__in=[gun.pk for gun in guns[3::7]]).update(
        status=GunStatus.CHARGING, live_power_kw=Decimal("42.5")
    )
    return analyst, guns


def piles_heartbeat() -> None:
    """The connected piles' heartbeats: seen a moment ago, so that they are online."""
    from django.utils import timezone

    from piles.models import Pile

    Pile.objects.filter(connected=True).update(last_seen_at=timezone.now())


def orders_load(guns, count: int, now: datetime) -> float:
    """COPY `count` orders spread over the three years before now; returns the seconds taken.
    They are written in the order they started, as a network writes them (an order is created
    when its session starts), so that the table holds a day's orders together, as a real one
    does: in random order, each day's orders would lie on as many pages as there are orders,
    and the naive reads of a month would visit the whole table."""
    from django.db import connection

    rng = random.Random(1)
    span = 3 * 365 * 86400
    ages = sorted((rng.uniform(60, span) for _ in range(count)), reverse=True)
    columns = (
        "number, station_id, pile_id, gun_id, id_tag_text, started_at, stopped_at, meter_start_wh, meter_stop_wh, "
        "energy_kwh, electricity_fee, service_fee, amount, payment_method, status, stop_reason, created_at"
    )
    keys = [(gun.pile.station_id, gun.pile_id, gun.pk) for gun in guns]
    started = time.monotonic()
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(f"COPY orders_chargingorder ({columns}) FROM STDIN") as copy:
            for n, age in enumerate(ages):
                station_id, pile_id, gun_id = keys[rng.randrange(len(keys))]
                start = now - timedelta(seconds=age)
                minutes = rng.uniform(5, 180)
                wh = rng.randint(500, 80000)
                fee = Decimal(wh) * Decimal("0.0008")
                service = Decimal(wh) * Decimal("0.0002")
                copy.write_row(
                    (
                        f"BENCH{n:012d}",
                        station_id,
                        pile_id,
                        gun_id,
                        "",
                        start,
                        start + timedelta(minutes=minutes),
                        0,
                        wh,
                        Decimal(wh) / 1000,
                        round(fee, 2),
                        round(service, 2),
                        round(fee, 2) + round(service, 2),
                        "app",
                        "completed",
                        "Local",
                        start,
                    )
                )
        cursor.execute("ANALYZE")
    return time.monotonic() - started


def status_history_load(guns, now: datetime) -> tuple[int, float]:
    """The status history a network's piles report, over the orders' three years: each
    session's four gun statuses (Preparing, Charging, Finishing, Available), each pile's
    outages (offline for 5 minutes to 4 hours, twice a month) and each gun's faults (Faulted
    for 10 minutes to 12 hours, once every two months), in the order they happened. Returns
    how many changes were written and the seconds taken."""
    from django.db import connection

    from orders.models import ChargingOrder
    from piles.choices import GunStatus, OnlineStatus
    from piles.models import StatusChange

    rng = random.Random(2)
    started = time.monotonic()
    table, orders = StatusChange._meta.db_table, ChargingOrder._meta.db_table
    first = now - timedelta(days=3 * 365)
    months = 36
    changes = []
    for pile_id in sorted({gun.pile_id for gun in guns}):
        changes.append((pile_id, None, OnlineStatus.ONLINE, first))
        for _ in range(2 * months):
            down = first + timedelta(seconds=rng.uniform(0, (now - first).total_seconds()))
            changes.append((pile_id, None, OnlineStatus.OFFLINE, down))
            changes.append((pile_id, None, OnlineStatus.ONLINE, down + timedelta(minutes=rng.uniform(5, 240))))
    for gun in guns:
        for _ in range(months // 2):
            fault = first + timedelta(seconds=rng.uniform(0, (now - first).total_seconds()))
            changes.append((gun.pile_id, gun.pk, GunStatus.FAULTED, fault))
            changes.append((gun.pile_id, gun.pk, GunStatus.AVAILABLE, fault + timedelta(hours=rng.uniform(1 / 6, 12))))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE outages (pile_id bigint, gun_id bigint, status text, at timestamptz)")
        with cursor.connection.cursor().copy("COPY outages FROM STDIN") as copy:
            for row in changes:
                copy.write_row(row)
        statuses = [GunStatus.PREPARING, GunStatus.CHARGING, GunStatus.FINISHING, GunStatus.AVAILABLE]
        cursor.execute(
            f"""INSERT INTO {table} (pile_id, gun_id, status, error_code, at)
            SELECT pile_id, gun_id, status, '', at FROM (
                SELECT o.pile_id, o.gun_id, s.status, s.at FROM {orders} o CROSS JOIN LATERAL (VALUES
                    (%s, o.started_at - interval '1 minute'), (%s, o.started_at),
                    (%s, o.stopped_at), (%s, o.stopped_at + interval '1 minute')) s (status, at)
                UNION ALL SELECT pile_id, gun_id, status, at FROM outages
            ) history ORDER BY at""",
            statuses,
        )
        written = cursor.rowcount
        cursor.execute("DROP TABLE outages")
        cursor.execute("ANALYZE")
    return written, time.monotonic() - started


def naive_order_figures(scope, period, *, by=None):
    """The figures of one read of `analytics.selectors.figures_read`, aggregated from the raw
    orders."""
    from collections import defaultdict
    from zoneinfo import ZoneInfo

    from django.db.models import Count, F, Sum
    from django.db.models.functions import TruncDate, TruncMonth, TruncYear

    from analytics.selectors import FIGURE_NAMES, period_orders

    totals = defaultdict(lambda: dict.fromkeys(FIGURE_NAMES, 0))
    sums = {
        "orders": Count("pk"),
        "energy_kwh": Sum("energy_kwh"),
        "electricity_fee": Sum("electricity_fee"),
        "service_fee": Sum("service_fee"),
        "amount": Sum("amount"),
    }
    orders = period_orders(scope, period)
    for zone in set(scope.station_zones.values()):
        rows = orders.filter(station__time_zone=zone)
        trunc = {"day": TruncDate, "month": TruncMonth, "year": TruncYear}.get(by)
        if trunc:
            rows = rows.values(key=trunc("started_at", tzinfo=ZoneInfo(zone)))
        elif by in ("station", "pile"):
            rows = rows.values(key=F(by))
        else:
            rows = [rows.aggregate(**sums)]
        rows = rows.annotate(**sums).order_by() if not isinstance(rows, list) else rows
        for row in rows:
            key = row.get("key")
            if hasattr(key, "date") and by in ("month", "year"):
                key = key.date()
            for name in sums:
                totals[key][name] += row[name] or 0
    return dict(totals)


def naive_pile_usage(scope, period, *, now=None, real=None):
    """`pile_usage` with its orders and charging time summed from the raw orders."""
    from django.db.models import Count, Sum

    from analytics.selectors import period_orders
    from analytics.services import EpochSeconds

    rows = real(scope, period, now=now)
    raw = {
        row["pile"]: row
        for row in period_orders(scope, period)
        .values("pile")
        .annotate(orders=Count("pk"), charging=Sum(EpochSeconds("stopped_at") - EpochSeconds("started_at")))
        .order_by()
    }
    for row in rows:
        figures = raw.get(row["pile"].pk, {"orders": 0, "charging": 0})
        row["orders"], row["charging_seconds"] = figures["orders"], figures["charging"] or 0
    return rows


def naive_figures(scope, reads):
    """`analytics.selectors.figures_read` (behind every order figure) from the raw orders."""
    return [naive_order_figures(scope, period, by=by) for period, by in reads]


@contextmanager
def naive():
    from functools import partial

    from analytics import selectors

    real_figures, real_usage = selectors.figures_read, selectors.pile_usage
    selectors.figures_read = naive_figures
    selectors.pile_usage = partial(naive_pile_usage, real=real_usage)
    try:
        yield
    finally:
        selectors.figures_read, selectors.pile_usage = real_figures, real_usage


# What the roll-ups stand in for: the reads that `naive` replaces.
READS = ("figures_read", "pile_usage")


@contextmanager
def reads_timed(spent: list[float]):
    """Adds the seconds a request spends in the reads of READS (the roll-ups' or the naive
    ones, whichever are in place) to `spent[0]`."""
    from analytics import selectors

    originals = {name: getattr(selectors, name) for name in READS}

    def timed(read):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return read(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - started

        return call

    for name, read in originals.items():
        setattr(selectors, name, timed(read))
    try:
        yield
    finally:
        for name, read in originals.items():
            setattr(selectors, name, read)


def median_ms(client, url: str) -> tuple[float, float]:
    """The median of a page's time and of the time it spends in the reads of READS, in ms."""
    for _ in range(3):  # warm-up: the first requests fill caches (templates, query plans)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, reads = [], []
    for _ in range(REQUESTS):
        spent = [0.0]
        with reads_timed(spent):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        reads.append(spent[0])
    return statistics.median(times) * 1000, statistics.median(reads) * 1000


def pages(today) -> list[tuple[str, str]]:
    month = f"start={today.replace(day=1)}&end={today}"
    year = f"start={today.replace(month=1, day=1)}&end={today}&granularity=month"
    return [
        ("dashboard (this month)", f"/?{month}"),
        ("dashboard (this year by month)", f"/?{year}"),
        ("order figures (this month)", f"/analytics/orders/?{month}"),
        ("energy figures (this year)", f"/analytics/energy/?{year}"),
        (
            "amount figures (3 years by year)",
            f"/analytics/amount/?start={today.replace(year=today.year - 3)}&end={today}&granularity=year",
        ),
        ("work order figures", f"/analytics/work-orders/?{month}"),
        ("fault analysis", f"/analytics/faults/?{month}"),
        ("month-on-month (this month)", f"/analytics/month-on-month/?{month}"),
        ("year-on-year (this year)", f"/analytics/year-on-year/?start={today.replace(month=1, day=1)}&end={today}"),
        ("charging power", "/analytics/power/"),
        ("usage rate (this month)", f"/analytics/usage/?{month}"),
        ("usage rate (this year by month)", f"/analytics/usage/?{year}"),
        ("pile status", "/analytics/pile-status/"),
        ("order list (page 1)", "/orders/"),
        ("order list (page 50, one station)", "/orders/?page=50&station=1"),
        ("order list (page 2000)", "/orders/?page=2000"),
        # An order number as an operator pastes it: one order, at every N.
        ("order list (search by number)", f"/orders/?q=BENCH{12345:012d}"),
    ]


def database_use(url: str) -> None:
    """Point Django's connection at the database of `url` (the next query connects to it)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = url.rsplit("/", 1)[1]


def network_load(count: int, url: str):
    """A fresh database at `url` holding the network with `count` orders and their status
    history, rolled up in full, then one changed day rolled up again; prints the times and
    returns the network's analyst and a client signed in as them."""
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from analytics.services import rollups_rebuild, rollups_update
    from orders.models import ChargingOrder

    database_reset(url)
    database_use(url)
    call_command("migrate", verbosity=0)
    analyst, guns = network_create()
    now = timezone.now()
    load = orders_load(guns, count, now)
    changes, history = status_history_load(guns, now)
    started = time.monotonic()
    days = rollups_rebuild(now=now)
    full = time.monotonic() - started
    order = ChargingOrder.objects.order_by("pk")[count // 2]
    order.amount += Decimal("1.00")
    order.save()
    started = time.monotonic()
    rollups_update()
    incremental = time.monotonic() - started
    with connection.cursor() as cursor:
        # What autovacuum does soon after a rebuild: fresh statistics and a visibility map, so
        # that the covering indexes of the roll-ups are read without visiting the table.
        cursor.execute("VACUUM ANALYZE")
        # The load and the roll-up dirtied a few hundred megabytes: written out now, not by a
        # checkpoint in the middle of the timings.
        cursor.execute("CHECKPOINT")
    print(
        f"{count:,} orders: loaded in {load:.1f} s, {changes:,} status changes in {history:.1f} s; "
        f"full roll-up of {days:,} station-days {full:.2f} s; "
        f"incremental roll-up of one day {incremental * 1000:.0f} ms"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(analyst)
    return analyst, client


def pages_timed(network: tuple, url: str) -> dict:
    """Each page's median and that of its reads (`median_ms`) on the database of `url`, whose
    network (analyst, client) `network_load` made."""
    from analytics.selectors import user_today

    analyst, client = network
    database_use(url)
    piles_heartbeat()
    return {name: median_ms(client, path) for name, path in pages(user_today(analyst))}


def results_print(count: int, passes: list[dict], slow: dict) -> dict:
    """The table of one network's pages: each page's median is the middle one of its passes."""
    results = {
        name: tuple(map(statistics.median, zip(*(run[name] for run in passes), strict=True))) for name in passes[0]
    }
    # The page as a whole, then the part of it the roll-ups serve: its order figures and usage
    # sums (the rest of a page, the same in both versions, is signing in, forms and drawing).
    print(f"\n{count:,} orders")
    print(
        f"  {'page':<36} {'median':>10} {'passes':>13} {'naive':>10} {'faster':>8}"
        f"   {'reads':>8} {'naive':>10} {'faster':>8}"
    )
    for name, (fast, reads) in results.items():
        slow_page, slow_reads = slow[name]
        spread = [run[name][0] for run in passes]
        line = (
            f"  {name:<36} {fast:>8.1f}ms {min(spread):>5.1f}-{max(spread):>5.1f}ms"
            f" {slow_page:>8.1f}ms {slow_page / fast:>7.1f}x"
        )
        if reads >= 0.05:
            line += f"   {reads:>6.1f}ms {slow_reads:>8.1f}ms {slow_reads / reads:>7.1f}x"
        print(line)
    return {name: page for name, (page, _reads) in results.items()}


def cpu_check_ms() -> float:
    """The median time of a fixed piece of pure Python: the machine's speed when the pages
    were timed, to compare runs by (a shared virtual machine's speed varies by two to three
    times over a day)."""
    times = []
    for _ in range(15):
        started = time.perf_counter()
        sum(range(10**6))
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, nargs="+", default=[100_000, 1_000_000])
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database the benchmark may drop and create.")
    import django

    django.setup()
    counts = sorted(set(options.orders))
    urls = {count: f"{url}_{count}" for count in counts}
    networks = {count: network_load(count, urls[count]) for count in counts}
    # Every page of every network, then every page again the naive way (a naive page scans the
    # raw orders for seconds, which pushes the roll-ups and indexes out of the caches the next
    # page reads), then every page twice more. A shared machine's speed drifts (seen: by half
    # within a minute, and from one network's pages to the next): each page's median is the
    # middle one of its three passes, and the networks take turns in each pass, so that the
    # ratio of the largest to the smallest compares pages timed minutes apart, not a quarter of
    # an hour. The CPU check before each pass tells how fast the machine was.
    passes: dict[int, list[dict]] = {count: [] for count in counts}
    slow: dict[int, dict] = {}
    for index in range(4):
        print(f"pass {index + 1}: CPU check {cpu_check_ms():.1f} ms")
        for count in counts:
            if index == 1:
                with naive():
                    slow[count] = pages_timed(networks[count], urls[count])
            else:
                passes[count].append(pages_timed(networks[count], urls[count]))
    print(f"CPU check at the end: {cpu_check_ms():.1f} ms")
    medians = {count: results_print(count, passes[count], slow[count]) for count in counts}
    if len(counts) > 1:
        small, large = counts[0], counts[-1]
        print(f"\nmedian at {large:,} orders / median at {small:,} orders")
        for name, value in medians[large].items():
            print(f"  {name:<36} {value / medians[small][name]:>6.2f}")


if __name__ == "__main__":
    main()
