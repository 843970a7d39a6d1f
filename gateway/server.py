"""The OCPP 1.6J central system: an asyncio WebSocket server at /ocpp/<charge_point_id>.

Database work runs in a pool of threads (Django's ORM is synchronous), each with its own
connection; status reports and meter readings, most of a network's traffic, are gathered into
batches (gateway.batch). Messages of one pile are handled one at a time, in order, as OCPP
requires; piles are handled concurrently. Commands wait in the database outbox; Redis pub/sub
wakes the gateway at once, and a poll every few seconds finds them when there is no Redis.
"""

import asyncio
import base64
import binascii
import contextlib
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial
from http import HTTPStatus
from urllib.parse import unquote

import ocpp.messages
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from ocpp.exceptions import OCPPError
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from analytics.services import rollups_refresh
from chargeops.services import export_jobs_expire, import_jobs_expire
from drivers.services import top_ups_reconcile, wallet_sessions_guard
from firmware.services import upgrades_check
from orders.services import meter_reports_record, order_starts, order_stops, orders_close_abnormal
from piles.models import Pile, validate_charge_point_id
from piles.services import gun_status_reports, pile_connection_set, piles_mark_silent_offline, piles_seen

from .batch import Batch
from .charge_point import PileSession
from .choices import CommandStatus, SecurityEventKind
from .services import (
    COMMANDS_CHANNEL,
    CONNECTIONS_CHANNEL,
    command_answer_record,
    commands_claim,
    commands_expire,
    pile_authenticate,
    piles_for_gateway,
    security_event_record,
)

logger = logging.getLogger(__name__)

# Schema validation takes about a tenth of a millisecond; handing it to a thread, as the package
# does by default, costs more than it saves.
ocpp.messages.ASYNC_VALIDATION = False

SUBPROTOCOL = "ocpp1.6"
PATH_PREFIX = "/ocpp/"
MAX_FRAME_BYTES = 64 * 1024
# A pile waits for each answer before its next call, so even a busy one sends a few messages a
# second; this bucket lets bursts through (a pile sending its buffered transactions) and cuts
# off a pile that floods.
FLOOD_BURST = 200
FLOOD_RATE_PER_SECOND = 50
# Failed logins from one address wait longer each time, up to this many seconds.
AUTH_DELAY_MAX = 8.0
AUTH_FAILURE_MEMORY_SECONDS = 600
SEEN_FLUSH_SECONDS = 5
# The gateway keeps each connected pile (station, operator, tariff, guns) in memory, so that a
# message costs no lookups; it reloads them all this often to see what people changed.
PILE_RELOAD_SECONDS = 60
PILE_RELOAD_SLICE = 100
COMMAND_POLL_SECONDS = 3
HOUSEKEEPING_SECONDS = 60


class TokenBucket:
    def __init__(self, burst: float, rate: float):
        self.capacity, self.rate = burst, rate
        self.tokens, self.updated = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _db_call(function, kwargs):
    try:
        return function(**kwargs)
    except Exception:
        # A broken connection (database restarted) is dropped so that the next call reconnects.
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        raise


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    return (username, password) if separator else None


class Gateway:
    """Holds the piles' connections and the database threads they share."""

    def __init__(
        self,
        *,
        db_threads: int = 8,
        response_timeout: float = 30,
        housekeeping: bool | None = None,
        reuse_port: bool = False,
    ):
        self.executor = ThreadPoolExecutor(db_threads, thread_name_prefix="ocpp-db")
        self.status_reports = Batch(self.db, gun_status_reports)
        self.meter_reports = Batch(self.db, meter_reports_record)
        self.starts = Batch(self.db, order_starts)
        self.stops = Batch(self.db, order_stops)
        self.sessions: dict[int, PileSession] = {}
        self.response_timeout = response_timeout
        self._seen: set[int] = set()
        self._auth_failures: dict[str, tuple[int, float]] = {}
        self._wake = asyncio.Event()
        # Without a broker there is no Celery beat: the gateway does its periodic work itself.
        self.housekeeping = not settings.REDIS_URL if housekeeping is None else housekeeping
        self._tasks: list[asyncio.Task] = []
        # Several gateway processes may share the port (`--workers`); each tells the others
        # through Redis which piles it took, so that a pile's older connection is closed.
        self.reuse_port = reuse_port
        self.token = uuid.uuid4().hex
        self._redis = None

    async def db(self, function, /, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self.executor, partial(_db_call, function, kwargs))

    def seen(self, pile_id: int) -> None:
        self._seen.add(pile_id)

    # Handshake.

    def _remote_address(self, connection, request) -> str:
        if settings.OCPP_TRUST_FORWARDED_FOR and request.headers.get("X-Forwarded-For"):
            return request.headers["X-Forwarded-For"].split(",")[0].strip()
        address = connection.remote_address
        return str(address[0]) if address else ""

    def _auth_delay(self, address: str) -> float:
        failures, since = self._auth_failures.get(address, (0, 0.0))
        if time.monotonic() - since > AUTH_FAILURE_MEMORY_SECONDS:
            return 0.0
        return min(AUTH_DELAY_MAX, 0.25 * 2 ** (failures - 1)) if failures else 0.0

    def _auth_failed(self, address: str) -> None:
        failures, since = self._auth_failures.get(address, (0, time.monotonic()))
        if time.monotonic() - since > AUTH_FAILURE_MEMORY_SECONDS:
            failures, since = 0, time.monotonic()
        self._auth_failures[address] = (failures + 1, since)
        if len(self._auth_failures) > 10000:
            oldest = sorted(self._auth_failures.items(), key=lambda item: item[1][1])[:5000]
            for key, _value in oldest:
                del self._auth_failures[key]

    async def process_request(self, connection, request):
        """Check the path and HTTP Basic credentials before the WebSocket opens (OCPP security
        profiles 1 and 2; TLS for profile 2 ends at the reverse proxy)."""
        if not request.path.startswith(PATH_PREFIX):
            return connection.respond(HTTPStatus.NOT_FOUND, "Piles connect to /ocpp/<charge point id>.\n")
        charge_point_id = unquote(request.path[len(PATH_PREFIX) :])
        try:
            validate_charge_point_id(charge_point_id)
        except Exception:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not a valid charge point id.\n")
        address = self._remote_address(connection, request)
        credentials = basic_credentials(request.headers.get("Authorization"))
        key = None
        if credentials is not None and credentials[0].lower() == charge_point_id.lower():
            key = credentials[1]
        pile, refusal = await self.db(pile_authenticate, charge_point_id=charge_point_id, key=key)
        if pile is None:
            delay = self._auth_delay(address)
            self._auth_failed(address)
            await self._security_event(refusal, address, pile=pile, charge_point_id=charge_point_id)
            await asyncio.sleep(delay)
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unknown charge point or wrong key.\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="ChargeOps OCPP", charset="UTF-8"'
            return response
        self._auth_failures.pop(address, None)
        connection.pile = pile
        connection.pile_address = address
        return None

    # Connection.

    async def handler(self, connection):
        pile: Pile = connection.pile
        session = PileSession(pile, connection, self, response_timeout=self.response_timeout)
        previous = self.sessions.get(pile.pk)
        self.sessions[pile.pk] = session
        if previous is not None:
            await self.session_replace(previous, connection.pile_address)
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.publish(CONNECTIONS_CHANNEL, f"{pile.pk}:{self.token}")
        await self.db(pile_connection_set, pile=pile, connected=True, at=timezone.now())
        self._wake.set()  # commands may be waiting for this pile
        bucket = TokenBucket(FLOOD_BURST, FLOOD_RATE_PER_SECOND)
        try:
            async for raw in connection:
                if not bucket.take():
                    await self._security_event(SecurityEventKind.FLOOD, connection.pile_address, pile=pile)
                    await connection.close(code=1008, reason="Too many messages")
                    break
                await session.route_message(raw)
        except ConnectionClosed as closed:
            if closed.sent is not None and closed.sent.code == 1009:
                await self._security_event(SecurityEventKind.OVERSIZED_FRAME, connection.pile_address, pile=pile)
        finally:
            if self.sessions.get(pile.pk) is session:
                del self.sessions[pile.pk]
                self._seen.discard(pile.pk)
                await self.db(pile_connection_set, pile=pile, connected=False, at=timezone.now())

    async def session_replace(self, previous: PileSession, address: str = ""):
        """Close a pile's older connection (the new one may be in another gateway process)."""
        pile = previous.pile
        await self._security_event(SecurityEventKind.CONNECTION_REPLACED, address, pile=pile)
        await previous._connection.close(code=1000, reason="Replaced by a new connection")

    async def _security_event(self, kind: str, address: str, *, pile: Pile | None, charge_point_id: str = ""):
        """Record a security event of a pile (or, without one, of the charge point id tried)."""
        charge_point_id = charge_point_id or pile.charge_point_id
        await self.db(
            security_event_record, kind=kind, charge_point_id=charge_point_id, pile=pile, remote_address=address
        )

    # Background work.

    async def _seen_flush_loop(self):
        while True:
            await asyncio.sleep(SEEN_FLUSH_SECONDS)
            await self.seen_flush()

    async def seen_flush(self):
        if self._seen:
            pile_ids, self._seen = list(self._seen), set()
            await self.db(piles_seen, pile_ids=pile_ids, at=timezone.now())

    async def _piles_reload_loop(self):
        """Reload the connected piles a slice at a time across each interval: all at once,
        thousands of piles would hold up every message for a moment."""
        while True:
            pile_ids = list(self.sessions)
            slices = max(1, len(pile_ids) // PILE_RELOAD_SLICE + 1)
            for start in range(0, slices * PILE_RELOAD_SLICE, PILE_RELOAD_SLICE):
                await asyncio.sleep(PILE_RELOAD_SECONDS / slices)
                try:
                    await self.piles_reload(pile_ids[start : start + PILE_RELOAD_SLICE])
                except Exception:
                    logger.exception("Reloading the connected piles failed")

    async def piles_reload(self, pile_ids: list[int] | None = None):
        piles = await self.db(piles_for_gateway, pks=list(self.sessions) if pile_ids is None else pile_ids)
        for pk, pile in piles.items():
            if pk in self.sessions:
                self.sessions[pk].pile = pile

    async def _commands_loop(self):
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), COMMAND_POLL_SECONDS)
            self._wake.clear()
            try:
                await self.commands_dispatch()
            except Exception:
                logger.exception("Sending commands failed")

    async def commands_dispatch(self):
        await self.db(commands_expire, response_timeout=self.response_timeout)
        if not self.sessions:
            return
        for command in await self.db(commands_claim, pile_ids=list(self.sessions)):
            session = self.sessions.get(command.pile_id)
            if session is None:
                await self.db(
                    command_answer_record, command=command, status=CommandStatus.FAILED, error="The pile is offline."
                )
                continue
            self._tasks.append(asyncio.ensure_future(self._command_send(session, command)))
        self._tasks = [task for task in self._tasks if not task.done()]

    async def _command_send(self, session: PileSession, command):
        response, error = None, ""
        try:
            response = await session.command_send(command.action, command.payload)
        except TimeoutError:
            status, error = CommandStatus.TIMED_OUT, f"The pile did not answer within {self.response_timeout:g} s."
        except OCPPError as refusal:
            status, error = CommandStatus.FAILED, f"{refusal.code}: {refusal.description}"
        except Exception as failure:  # noqa: BLE001 (the outbox must record every end)
            logger.warning("%s: command %s failed: %r", session.id, command.pk, failure)
            status, error = CommandStatus.FAILED, str(failure) or repr(failure)
        else:
            answer = str(response.get("status", "Accepted"))
            ok = answer in ("Accepted", "Unlocked", "Scheduled", "RebootRequired")
            status = CommandStatus.ACCEPTED if ok else CommandStatus.REJECTED
        await self.db(command_answer_record, command=command, status=status, response=response, error=error)

    async def _redis_listen(self):
        """Wake the command loop when the web app publishes a command, and close a pile's
        connection here when another gateway process took the pile. Polling covers commands
        while Redis is away."""
        import redis.asyncio as redis

        while True:
            try:
                self._redis = redis.Redis.from_url(settings.REDIS_URL)
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(COMMANDS_CHANNEL, CONNECTIONS_CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        if message["channel"].decode() == CONNECTIONS_CHANNEL:
                            await self._taken_elsewhere(message["data"].decode())
                        else:
                            self._wake.set()
            except Exception as error:  # noqa: BLE001 (Redis down: keep polling, retry later)
                logger.warning("Redis listener stopped (%r); retrying in 5 s", error)
                self._redis = None
                await asyncio.sleep(5)

    async def _taken_elsewhere(self, data: str):
        pile_id, _separator, token = data.partition(":")
        if token == self.token or not pile_id.isdigit():
            return
        session = self.sessions.pop(int(pile_id), None)
        if session is not None:
            await self.session_replace(session)

    async def _housekeeping_loop(self):
        while True:
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
            try:
                await self.db(piles_mark_silent_offline)
                await self.db(orders_close_abnormal)
                await self.db(rollups_refresh)
                await self.db(upgrades_check)
                await self.db(import_jobs_expire)
                await self.db(export_jobs_expire)
                await self.db(wallet_sessions_guard)
                await self.db(top_ups_reconcile)
            except Exception:
                logger.exception("Housekeeping failed")

    async def serve(self, host: str, port: int, ready: asyncio.Event | None = None, stop: asyncio.Event | None = None):
        # Piles connected to a previous gateway process reconnect here; those that do not are
        # marked offline by the silence check, as after any other loss of contact.
        async with serve(
            self.handler,
            host,
            port,
            subprotocols=[SUBPROTOCOL],
            process_request=self.process_request,
            max_size=MAX_FRAME_BYTES,
            compression=None,
            ping_interval=60,
            ping_timeout=60,
            reuse_port=self.reuse_port,
        ) as server:
            self.port = server.sockets[0].getsockname()[1]
            loops = [self._seen_flush_loop(), self._commands_loop(), self._piles_reload_loop()]
            if settings.REDIS_URL:
                loops.append(self._redis_listen())
            if self.housekeeping:
                loops.append(self._housekeeping_loop())
            background = [asyncio.ensure_future(loop) for loop in loops]
            if ready is not None:
                ready.set()
            try:
                await (stop.wait() if stop is not None else asyncio.Future())
            finally:
                for task in background + self._tasks:
                    task.cancel()
                for batch in (self.status_reports, self.meter_reports, self.starts, self.stops):
                    await batch.drain()
                await self.seen_flush()
        self._executor_shutdown()

    def _executor_shutdown(self):
        """Close each database thread's connection (from that thread, as Django requires)."""
        threads = len(self.executor._threads)
        if threads:
            barrier = threading.Barrier(threads)

            def close():
                # The barrier makes each thread take one of these; a thread still busy after
                # ten seconds closes its connection when it gets here all the same.
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=10)
                connections.close_all()

            wait([self.executor.submit(close) for _ in range(threads)])
        self.executor.shutdown(wait=True)
