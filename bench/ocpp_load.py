"""Load the OCPP gateway like a network of piles and print what it sustains.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chargeops_bench .venv/bin/python bench/ocpp_load.py

Creates the bench database, P piles with two guns each, starts `manage.py ocpp_gateway`, and in
another process P simulated piles, each with one call in flight, sending Heartbeat,
StatusNotification and MeterValues (4 sampled values) at a steady rate, with a full
transaction (Start, MeterValues, Stop) every few cycles. Prints messages per second handled
with persistence, p50/p99 reply latency, and checks that every transaction and every kWh sent
is in the database. The same load then runs against a bare `ocpp`-package server that stores
nothing, and the ratio is printed. Last, 10,000 idle piles connect and the gateway's memory is
read. Not part of the test run.
"""

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key-0123456789abcdef"
PREFIX = "BENCH-"


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


# The load: simulated piles with raw frames, so that the client spends little CPU per message.


class LoadPile:
    def __init__(self, url, number, interval, transaction_every, rng):
        self.url, self.number, self.interval = url, number, interval
        self.cp_id = f"{PREFIX}{number:05d}"
        self.transaction_every, self.rng = transaction_every, rng
        self.latencies, self.finished, self.errors = [], [], 0
        self.transactions, self.energy_wh, self.meter = 0, 0, 1_000_000
        self.uid = 0

    async def connect(self, key):
        from websockets.asyncio.client import connect

        token = base64.b64encode(f"{self.cp_id}:{key}".encode()).decode()
        self.connection = await connect(
            f"{self.url}/{self.cp_id}",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": f"Basic {token}"},
            open_timeout=120,
            ping_interval=None,
            compression=None,
        )

    async def call(self, action, payload, measure=True):
        self.uid += 1
        frame = json.dumps([2, str(self.uid), action, payload], separators=(",", ":"))
        started = time.perf_counter()
        await self.connection.send(frame)
        answer = json.loads(await self.connection.recv())
        if measure:
            finished = time.perf_counter()
            self.latencies.append((action, finished - started))
            self.finished.append(finished)
        if answer[0] != 3:
            self.errors += 1
            return {}
        return answer[2]

    def meter_values(self, connector, transaction_id=None, watts=7000):
        payload = {
            "connectorId": connector,
            "meterValue": [
                {
                    "timestamp": now_iso(),
                    "sampledValue": [
                        {"value": str(self.meter), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                        {"value": str(watts), "measurand": "Power.Active.Import", "unit": "W"},
                        {"value": "30.4", "measurand": "Current.Import", "unit": "A"},
                        {"value": "230.1", "measurand": "Voltage", "unit": "V"},
                    ],
                }
            ],
        }
        if transaction_id is not None:
            payload["transactionId"] = transaction_id
        return payload

    async def pause(self):
        await asyncio.sleep(self.interval * self.rng.uniform(0.5, 1.5))

    async def boot(self):
        await self.call("BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Load"}, False)

    async def run(self, until):
        cycle = 0
        while time.monotonic() < until:
            cycle += 1
            await self.pause()
            await self.call("Heartbeat", {})
            await self.pause()
            status = "Available" if cycle % 2 else "Preparing"
            await self.call(
                "StatusNotification",
                {"connectorId": 2, "errorCode": "NoError", "status": status, "timestamp": now_iso()},
            )
            await self.pause()
            await self.call("MeterValues", self.meter_values(2))
            if cycle % self.transaction_every == 0:
                await self.transaction()

    async def transaction(self):
        start = self.meter
        await self.pause()
        answer = await self.call(
            "StartTransaction", {"connectorId": 1, "idTag": "BENCH", "meterStart": start, "timestamp": now_iso()}
        )
        transaction_id = answer.get("transactionId")
        for _ in range(2):
            await self.pause()
            self.meter += self.rng.randint(200, 2000)
            await self.call("MeterValues", self.meter_values(1, transaction_id))
        await self.pause()
        answer = await self.call(
            "StopTransaction",
            {"meterStop": self.meter, "timestamp": now_iso(), "transactionId": transaction_id, "reason": "Local"},
        )
        if "idTagInfo" in answer or answer == {}:
            self.transactions += 1
            self.energy_wh += self.meter - start


async def load(url, piles, seconds, interval, transaction_every, key, idle):
    rng = random.Random(1)
    crowd = [LoadPile(url, number, interval, transaction_every, random.Random(rng.random())) for number in range(piles)]
    gate = asyncio.Semaphore(50)

    async def connect(pile):
        async with gate:
            await pile.connect(key)

    started = time.monotonic()
    await asyncio.gather(*(connect(pile) for pile in crowd))
    await asyncio.gather(*(pile.boot() for pile in crowd))
    connect_seconds = time.monotonic() - started
    # Connected and booted: the steady load starts when the orchestrator says so, so that it
    # can measure the server from here on.
    print(json.dumps({"connected": len(crowd), "connect_seconds": connect_seconds}), flush=True)
    if idle:
        await asyncio.sleep(seconds)
        return
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    begun = time.perf_counter()
    until = time.monotonic() + seconds
    await asyncio.gather(*(pile.run(until) for pile in crowd))
    window_end = begun + seconds
    latencies = sorted(latency for pile in crowd for _action, latency in pile.latencies)
    by_action = {}
    for pile in crowd:
        for action, latency in pile.latencies:
            by_action.setdefault(action, []).append(latency)
    p99_by_action = {action: sorted(values)[int(len(values) * 0.99)] for action, values in by_action.items()}
    in_window = sum(1 for pile in crowd for moment in pile.finished if moment <= window_end)
    result = {
        "connected": len(crowd),
        "connect_seconds": connect_seconds,
        "elapsed": seconds,
        "messages": in_window,
        "all_messages": len(latencies),
        "errors": sum(pile.errors for pile in crowd),
        "p50": latencies[len(latencies) // 2] if latencies else None,
        "p99": latencies[int(len(latencies) * 0.99)] if latencies else None,
        "p99_by_action": p99_by_action,
        "transactions": sum(pile.transactions for pile in crowd),
        "energy_wh": sum(pile.energy_wh for pile in crowd),
    }
    print(json.dumps(result), flush=True)
    for pile in crowd:
        await pile.connection.close()


# A bare server: the `ocpp` package's central system answering with constants, storing nothing.


async def bare_server(port):
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from ocpp.v16.enums import Action, RegistrationStatus
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    counter = iter(range(1, 10**9))

    class Bare(ChargePoint):
        @on(Action.boot_notification)
        async def on_boot(self, **kwargs):
            return call_result.BootNotification(
                current_time=now_iso(), interval=300, status=RegistrationStatus.accepted
            )

        @on(Action.heartbeat)
        async def on_heartbeat(self):
            return call_result.Heartbeat(current_time=now_iso())

        @on(Action.status_notification)
        async def on_status(self, **kwargs):
            return call_result.StatusNotification()

        @on(Action.meter_values)
        async def on_meter(self, **kwargs):
            return call_result.MeterValues()

        @on(Action.start_transaction)
        async def on_start(self, **kwargs):
            return call_result.StartTransaction(transaction_id=next(counter), id_tag_info={"status": "Accepted"})

        @on(Action.stop_transaction)
        async def on_stop(self, **kwargs):
            return call_result.StopTransaction()

    async def handler(connection):
        with contextlib.suppress(ConnectionClosed):
            await Bare(connection.request.path.rsplit("/", 1)[-1], connection).start()

    import ocpp.messages

    ocpp.messages.ASYNC_VALIDATION = False
    async with serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"], compression=None, max_size=65536):
        await asyncio.Future()


# The orchestration.


def process_tree(pid: int) -> list[int]:
    """The process and its children (the gateway's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                children.append(int(entry.name))
    return [pid, *children]


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mib(pid: int) -> float:
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def wait_port(port, seconds=60):
    import socket

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def generate(url, options, seconds, idle=False) -> dict:
    args = [sys.executable, __file__, "--generate", url, "--piles", str(options.idle if idle else options.piles)]
    args += ["--seconds", str(seconds), "--interval", str(options.interval)]
    args += ["--transaction-every", str(options.transaction_every)] + (["--idle-mode"] if idle else [])
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    return json.loads(process.stdout.readline()), process


def steady_load(process, server_pid) -> tuple[dict, float]:
    """Start the generator's steady load and return its figures and the server's CPU seconds."""
    cpu = cpu_seconds(server_pid)
    process.stdin.write("go\n")
    process.stdin.flush()
    result = json.loads(process.stdout.readline())
    cpu = cpu_seconds(server_pid) - cpu
    process.wait()
    return result, cpu


def prepare(env, piles):
    import django

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargeops.settings")
    django.setup()
    from accounts.models import Operator
    from gateway.services import key_hash
    from orders.models import Tariff, TariffPeriod
    from piles.models import Gun, IdTag, Pile
    from stations.models import Area, Station

    operator = Operator.objects.create(name="Bench Charging", time_zone="UTC")
    area = Area.objects.create(operator=operator, name="Bench")
    tariff = Tariff.objects.create(operator=operator, name="Flat")
    TariffPeriod.objects.create(
        tariff=tariff, effective_from="2000-01-01", starts_at="00:00", electricity_price="0.30", service_fee="0.10"
    )
    station = Station.objects.create(
        area=area, name="Bench", address="Bench", latitude=0, longitude=0, time_zone="UTC", tariff=tariff
    )
    IdTag.objects.create(operator=operator, id_tag="BENCH")
    hashed = key_hash(KEY)
    created = Pile.objects.bulk_create(
        Pile(
            station=station,
            name=f"{PREFIX}{number:05d}",
            charge_point_id=f"{PREFIX}{number:05d}",
            manufacturer="Bench",
            model="Load",
            rated_power_kw=22,
            voltage_min=200,
            voltage_max=250,
            charging_method="AC",
            ocpp_key_hash=hashed,
        )
        for number in range(piles)
    )
    Gun.objects.bulk_create(
        Gun(pile=pile, connector_id=number, connector_type="type2") for pile in created for number in (1, 2)
    )


def stored(prefix=PREFIX):
    from django.db.models import Count, Sum

    from orders.models import ChargingOrder

    return ChargingOrder.objects.filter(pile__charge_point_id__startswith=prefix, status="completed").aggregate(
        orders=Count("pk"), energy=Sum("energy_kwh")
    )


def report(name, result, cpu):
    rate = result["messages"] / result["elapsed"]
    print(
        f"{name}: {result['connected']} piles connected and booted in {result['connect_seconds']:.1f} s; "
        f"{result['messages']:,} replies in {result['elapsed']:.0f} s = {rate:,.0f} msg/s; "
        f"p50 {result['p50'] * 1000:.1f} ms, p99 {result['p99'] * 1000:.1f} ms; errors {result['errors']}; "
        f"server CPU {cpu * 1000 / max(result['all_messages'], 1):.2f} ms per message"
    )
    print(
        "  p99 by message: " + ", ".join(f"{a} {v * 1000:.0f} ms" for a, v in sorted(result["p99_by_action"].items()))
    )
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--piles", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--interval", type=float, default=0.8, help="Mean pause between a pile's calls (s).")
    parser.add_argument("--transaction-every", type=int, default=4, help="Cycles between full transactions.")
    parser.add_argument("--idle", type=int, default=10000, help="Idle piles for the memory check (0: skip).")
    parser.add_argument("--db-threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="Gateway processes (more than 1 uses Redis).")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--idle-mode", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    if options.generate:
        asyncio.run(
            load(
                options.generate,
                options.piles,
                options.seconds,
                options.interval,
                options.transaction_every,
                KEY,
                options.idle_mode,
            )
        )
        return
    if options.bare_server:
        asyncio.run(bare_server(options.bare_server))
        return

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chargeops_bench")
    if not url.startswith("postgres"):
        sys.exit("The load benchmark runs on PostgreSQL: set DATABASE_URL.")
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    # As in production: DEBUG off (with it on, Django keeps and formats every query's SQL).
    env = dict(os.environ, DEBUG="false", SECRET_KEY="bench-only-secret", DATABASE_URL=url, LOG_LEVEL="WARNING")
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    prepare(env, max(options.piles, options.idle))
    print(
        f"Load: {options.piles} piles, one call in flight each, a call every {options.interval} s on average, "
        f"a transaction every {options.transaction_every} cycles, {options.seconds:.0f} s; 2 cores shared by all."
    )

    port = 9700
    gateway_env = (
        dict(env, REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")) if options.workers > 1 else env
    )
    gateway = subprocess.Popen(
        [sys.executable, "manage.py", "ocpp_gateway", "--port", str(port), "--db-threads", str(options.db_threads)]
        + ["--workers", str(options.workers)],
        cwd=ROOT,
        env=gateway_env,
    )
    try:
        wait_port(port)
        connected, process = generate(f"ws://127.0.0.1:{port}/ocpp", options, options.seconds)
        result, cpu = steady_load(process, gateway.pid)
        gateway_rss = rss_mib(gateway.pid)
        ours = report(f"ChargeOps gateway (PostgreSQL, {options.workers} worker(s))", result, cpu)
        time.sleep(6)  # the last-seen flush
        in_db = stored()
        energy = float(in_db["energy"] or 0)
        lost = in_db["orders"] != result["transactions"] or abs(energy * 1000 - result["energy_wh"]) >= 1
        print(
            f"  sent {result['transactions']:,} transactions, {result['energy_wh'] / 1000:,.3f} kWh; "
            f"stored {in_db['orders']:,} completed orders, {energy:,.3f} kWh; "
            f"{'MISMATCH' if lost else 'nothing lost'}"
            f"; gateway RSS {gateway_rss:.0f} MiB"
        )
    finally:
        gateway.terminate()
        gateway.wait()

    bare = subprocess.Popen([sys.executable, __file__, "--bare-server", str(port + 1)], cwd=ROOT)
    try:
        wait_port(port + 1)
        connected, process = generate(f"ws://127.0.0.1:{port + 1}/ocpp", options, options.seconds)
        result, cpu = steady_load(process, bare.pid)
        theirs = report("Bare ocpp-package server (no database)", result, cpu)
    finally:
        bare.terminate()
        bare.wait()
    print(f"Ratio with persistence / bare: {ours / theirs:.2f}")

    if options.idle:
        gateway = subprocess.Popen(
            [sys.executable, "manage.py", "ocpp_gateway", "--port", str(port + 2)], cwd=ROOT, env=env
        )
        try:
            wait_port(port + 2)
            before = rss_mib(gateway.pid)
            result, process = generate(f"ws://127.0.0.1:{port + 2}/ocpp", options, 10, idle=True)
            time.sleep(3)
            after = rss_mib(gateway.pid)
            print(
                f"Idle: {result['connected']:,} piles connected and booted in {result['connect_seconds']:.1f} s; "
                f"gateway RSS {before:.0f} MiB before, {after:,.0f} MiB with them connected"
            )
            process.wait()
        finally:
            gateway.terminate()
            gateway.wait()


if __name__ == "__main__":
    main()
