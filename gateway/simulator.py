"""Simulated piles: OCPP 1.6J clients that boot, heartbeat, report statuses, charge cars with
realistic power curves, sometimes fault and recover, and answer the platform's commands. They
keep `make demo` alive and give the load benchmark its traffic."""

import asyncio
import base64
import hashlib
import logging
import random
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call
from ocpp.v16 import call_result as result
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    AvailabilityStatus,
    AvailabilityType,
    ChargePointErrorCode,
    ChargePointStatus,
    ConfigurationStatus,
    FirmwareStatus,
    MessageTrigger,
    RemoteStartStopStatus,
    ResetStatus,
    TriggerMessageStatus,
    UnlockStatus,
)
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake

logger = logging.getLogger(__name__)

FAULT_CODES = [
    ChargePointErrorCode.high_temperature,
    ChargePointErrorCode.ground_failure,
    ChargePointErrorCode.connector_lock_failure,
    ChargePointErrorCode.ev_communication_error,
    ChargePointErrorCode.over_voltage,
]


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def basic_auth(username: str, password: str) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class SimulatedGun:
    connector_id: int
    status: str = ChargePointStatus.available
    error_code: str = ChargePointErrorCode.no_error
    transaction_id: int | None = None
    meter_wh: float = 0.0
    soc: float = 0.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Behaviour:
    """How busy a simulated pile is. Times in seconds; `speed` compresses a session."""

    rated_kw: float = 60.0
    meter_interval: float = 30.0
    session_chance: float = 0.02  # per idle gun per meter interval
    fault_chance: float = 0.002
    session_seconds: tuple[float, float] = (900.0, 3600.0)
    fault_seconds: tuple[float, float] = (120.0, 900.0)
    id_tags: list[str] = field(default_factory=lambda: ["SIMULATOR"])
    # Between the steps of a firmware update, so that the upgrade page shows each one.
    firmware_step_seconds: float = 3.0


class SimulatedPile(ChargePoint):
    """A pile as a charge point sees the world: it calls the central system and answers it."""

    def __init__(
        self,
        charge_point_id,
        connection,
        guns: int | list[SimulatedGun] = 2,
        behaviour: Behaviour | None = None,
        seed=None,
        firmware_version: str = "1.0.0",
    ):
        super().__init__(charge_point_id, connection, response_timeout=30)
        self.random = random.Random(seed)
        if isinstance(guns, int):
            guns = [SimulatedGun(number, meter_wh=self.random.uniform(1e5, 5e6)) for number in range(1, guns + 1)]
        self.guns = {gun.connector_id: gun for gun in guns}
        self.behaviour = behaviour or Behaviour()
        self.heartbeat_interval = 300
        self.configuration = {
            "HeartbeatInterval": "300",
            "MeterValueSampleInterval": str(int(self.behaviour.meter_interval)),
            "ConnectionTimeOut": "60",
            "AuthorizeRemoteTxRequests": "false",
        }
        self.resets: list[str] = []
        self.firmware_version = firmware_version

    # Calls to the central system.

    async def boot(self):
        response = await self.call(
            call.BootNotification(
                charge_point_vendor="ChargeOps",
                charge_point_model="Simulator",
                charge_point_serial_number=f"SIM-{self.id}",
                firmware_version=self.firmware_version,
            )
        )
        self.heartbeat_interval = response.interval
        for gun in self.guns.values():
            await self.status(gun, gun.status, gun.error_code)
        return response

    async def status(self, gun: SimulatedGun, status: str, error_code=ChargePointErrorCode.no_error):
        gun.status, gun.error_code = status, error_code
        await self.call(
            call.StatusNotification(
                connector_id=gun.connector_id, error_code=error_code, status=status, timestamp=now_iso()
            )
        )

    async def charge(self, gun: SimulatedGun, id_tag: str, seconds: float):
        """A session: authorize, start, meter values along a power curve, stop."""
        if gun.status != ChargePointStatus.available:
            return
        gun.stop.clear()
        authorized = await self.call(call.Authorize(id_tag=id_tag))
        if authorized.id_tag_info["status"] != AuthorizationStatus.accepted:
            return
        await self.status(gun, ChargePointStatus.preparing)
        started = await self.call(
            call.StartTransaction(
                connector_id=gun.connector_id, id_tag=id_tag, meter_start=int(gun.meter_wh), timestamp=now_iso()
            )
        )
        gun.transaction_id = started.transaction_id
        await self.status(gun, ChargePointStatus.charging)
        gun.soc = self.random.uniform(10, 60)
        await self.deliver(gun, seconds)

    async def deliver(self, gun: SimulatedGun, seconds: float):
        """Charge on a started transaction for `seconds` (or until full or stopped), then stop."""
        elapsed, interval = 0.0, self.behaviour.meter_interval
        reason = "EVDisconnected"
        while elapsed < seconds and gun.soc < 100:
            try:
                await asyncio.wait_for(gun.stop.wait(), interval)
                reason = "Remote"
                break
            except TimeoutError:
                pass
            elapsed += interval
            kw = self.power_at(gun.soc)
            gun.meter_wh += kw * 1000 * interval / 3600
            gun.soc = min(100.0, gun.soc + kw * interval / 3600 / 0.6)  # a 60 kWh battery
            await self.meter_values(gun, kw)
        await self.call(
            call.StopTransaction(
                meter_stop=int(gun.meter_wh), timestamp=now_iso(), transaction_id=gun.transaction_id, reason=reason
            )
        )
        gun.transaction_id = None
        await self.status(gun, ChargePointStatus.finishing)
        await self.status(gun, ChargePointStatus.available)

    def power_at(self, soc: float) -> float:
        """Constant power up to 80% state of charge, then tapering, with a little noise."""
        rated = self.behaviour.rated_kw
        kw = rated if soc < 80 else rated * max(0.1, (100 - soc) / 20)
        return round(kw * self.random.uniform(0.93, 1.0), 2)

    async def meter_values(self, gun: SimulatedGun, kw: float):
        await self.call(
            call.MeterValues(
                connector_id=gun.connector_id,
                transaction_id=gun.transaction_id,
                meter_value=[
                    {
                        "timestamp": now_iso(),
                        "sampledValue": [
                            {
                                "value": str(int(gun.meter_wh)),
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            },
                            {"value": f"{kw * 1000:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
                            {"value": f"{gun.soc:.0f}", "measurand": "SoC", "unit": "Percent"},
                        ],
                    }
                ],
            )
        )

    async def fault(self, gun: SimulatedGun, seconds: float):
        await self.status(gun, ChargePointStatus.faulted, self.random.choice(FAULT_CODES))
        await self.recover(gun, seconds)

    async def recover(self, gun: SimulatedGun, seconds: float):
        await asyncio.sleep(seconds)
        await self.status(gun, ChargePointStatus.available)

    async def live(self, duration: float | None = None):
        """Boot, then heartbeat and run sessions and faults until `duration` has passed."""
        await self.boot()
        loop = asyncio.get_running_loop()
        end = loop.time() + duration if duration else None
        behaviour, tasks = self.behaviour, set()
        # Carry on from the state the pile was in: finish its session, recover from its fault.
        for gun in self.guns.values():
            if gun.transaction_id is not None:
                gun.soc = gun.soc or self.random.uniform(30, 70)
                tasks.add(asyncio.ensure_future(self.deliver(gun, self.random.uniform(*behaviour.session_seconds))))
            elif gun.status == ChargePointStatus.faulted:
                tasks.add(asyncio.ensure_future(self.recover(gun, self.random.uniform(*behaviour.fault_seconds))))
        next_heartbeat = loop.time() + self.heartbeat_interval
        while end is None or loop.time() < end:
            await asyncio.sleep(min(behaviour.meter_interval, max(0.1, (end or 1e18) - loop.time())))
            if loop.time() >= next_heartbeat:
                await self.call(call.Heartbeat())
                next_heartbeat = loop.time() + self.heartbeat_interval
            for gun in self.guns.values():
                if gun.status != ChargePointStatus.available:
                    continue
                draw = self.random.random()
                if draw < behaviour.fault_chance:
                    tasks.add(asyncio.ensure_future(self.fault(gun, self.random.uniform(*behaviour.fault_seconds))))
                elif draw < behaviour.fault_chance + behaviour.session_chance:
                    seconds = self.random.uniform(*behaviour.session_seconds)
                    tag = self.random.choice(behaviour.id_tags)
                    tasks.add(asyncio.ensure_future(self.charge(gun, tag, seconds)))
            tasks = {task for task in tasks if not task.done()}
        for task in tasks:
            task.cancel()

    async def firmware_update(self, location: str, retrieve_date: str):
        """Download the image when told to, install it and restart with it, reporting each step
        as a pile does (FirmwareStatusNotification, then BootNotification with the new version)."""
        wait = (datetime.fromisoformat(retrieve_date) - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(max(0.0, wait))
        step = self.behaviour.firmware_step_seconds
        await self.call(call.FirmwareStatusNotification(status=FirmwareStatus.downloading))
        try:
            version = await asyncio.to_thread(firmware_download, location)
        except (OSError, ValueError) as error:
            logger.warning("%s: firmware download failed: %r", self.id, error)
            await self.call(call.FirmwareStatusNotification(status=FirmwareStatus.download_failed))
            return
        for status in (FirmwareStatus.downloaded, FirmwareStatus.installing, FirmwareStatus.installed):
            await asyncio.sleep(step)
            await self.call(call.FirmwareStatusNotification(status=status))
        await asyncio.sleep(step)
        self.firmware_version = version
        await self.boot()

    # Answers to the central system's commands.

    @on(Action.update_firmware)
    async def on_update_firmware(self, location, retrieve_date, retries=None, retry_interval=None):
        asyncio.get_running_loop().call_soon(
            lambda: asyncio.ensure_future(self.firmware_update(location, retrieve_date))
        )
        return result.UpdateFirmware()

    @on(Action.remote_start_transaction)
    async def on_remote_start(self, id_tag, connector_id=None, **kwargs):
        gun = self.guns.get(connector_id or 1)
        if gun is None or gun.status != ChargePointStatus.available:
            return result.RemoteStartTransaction(status=RemoteStartStopStatus.rejected)
        seconds = self.random.uniform(*self.behaviour.session_seconds)
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.charge(gun, id_tag, seconds)))
        return result.RemoteStartTransaction(status=RemoteStartStopStatus.accepted)

    @on(Action.remote_stop_transaction)
    async def on_remote_stop(self, transaction_id):
        for gun in self.guns.values():
            if gun.transaction_id == transaction_id:
                gun.stop.set()
                return result.RemoteStopTransaction(status=RemoteStartStopStatus.accepted)
        return result.RemoteStopTransaction(status=RemoteStartStopStatus.rejected)

    @on(Action.reset)
    async def on_reset(self, type):
        self.resets.append(type)
        return result.Reset(status=ResetStatus.accepted)

    @on(Action.unlock_connector)
    async def on_unlock(self, connector_id):
        gun = self.guns.get(connector_id)
        return result.UnlockConnector(status=UnlockStatus.unlocked if gun else UnlockStatus.not_supported)

    @on(Action.change_availability)
    async def on_change_availability(self, connector_id, type):
        guns = list(self.guns.values()) if connector_id == 0 else [self.guns.get(connector_id)]
        if None in guns:
            return result.ChangeAvailability(status=AvailabilityStatus.rejected)
        if any(gun.transaction_id for gun in guns):
            return result.ChangeAvailability(status=AvailabilityStatus.scheduled)
        status = ChargePointStatus.available if type == AvailabilityType.operative else ChargePointStatus.unavailable
        for gun in guns:
            asyncio.get_running_loop().call_soon(lambda gun=gun: asyncio.ensure_future(self.status(gun, status)))
        return result.ChangeAvailability(status=AvailabilityStatus.accepted)

    @on(Action.get_configuration)
    async def on_get_configuration(self, key=None):
        keys = key or list(self.configuration)
        known = [
            {"key": name, "readonly": False, "value": self.configuration[name]}
            for name in keys
            if name in self.configuration
        ]
        unknown = [name for name in keys if name not in self.configuration]
        return result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    async def on_change_configuration(self, key, value):
        if key not in self.configuration:
            return result.ChangeConfiguration(status=ConfigurationStatus.not_supported)
        if key == "HeartbeatInterval":
            # As a real pile: the new interval counts from its next heartbeat.
            if not value.isdigit() or int(value) < 1:
                return result.ChangeConfiguration(status=ConfigurationStatus.rejected)
            self.heartbeat_interval = int(value)
        self.configuration[key] = value
        return result.ChangeConfiguration(status=ConfigurationStatus.accepted)

    @on(Action.trigger_message)
    async def on_trigger_message(self, requested_message, connector_id=None):
        if requested_message == MessageTrigger.heartbeat:
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.call(call.Heartbeat())))
        elif requested_message == MessageTrigger.status_notification:
            for gun in self.guns.values():
                if connector_id in (None, 0, gun.connector_id):
                    asyncio.get_running_loop().call_soon(
                        lambda gun=gun: asyncio.ensure_future(self.status(gun, gun.status))
                    )
        elif requested_message == MessageTrigger.boot_notification:
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.boot()))
        else:
            return result.TriggerMessage(status=TriggerMessageStatus.not_implemented)
        return result.TriggerMessage(status=TriggerMessageStatus.accepted)


def firmware_download(location: str) -> str:
    """Fetch a firmware image and check it against the checksum it is served with; returns its
    version. A real pile reads the version from the image; the simulator's images are any file,
    so it takes the version the platform serves with it."""
    with urllib.request.urlopen(location, timeout=30) as response:
        body = response.read()
        checksum, version = response.headers.get("ETag", "").strip('"'), response.headers.get("X-Firmware-Version")
    if hashlib.sha256(body).hexdigest() != checksum or not version:
        raise ValueError("the image does not match its checksum")
    return version


async def pile_connect(url: str, charge_point_id: str, key: str, **kwargs):
    """Open a simulated pile's connection; returns (pile, connection, reader task)."""
    connection = await connect(
        f"{url.rstrip('/')}/{charge_point_id}",
        subprotocols=["ocpp1.6"],
        additional_headers=basic_auth(charge_point_id, key),
        open_timeout=30,
        max_size=64 * 1024,
    )
    pile = SimulatedPile(charge_point_id, connection, **kwargs)
    reader = asyncio.ensure_future(pile.start())
    return pile, connection, reader


@dataclass(frozen=True)
class PileSpec:
    charge_point_id: str
    key: str
    guns: list[SimulatedGun]
    behaviour: Behaviour
    firmware_version: str = "1.0.0"


async def pile_simulate(url: str, spec: PileSpec, end: float | None, seed: int) -> None:
    """One simulated pile: connect, live until `end`, and reconnect after a lost connection
    (with the firmware it was upgraded to meanwhile)."""
    loop = asyncio.get_running_loop()
    firmware_version = spec.firmware_version
    while end is None or loop.time() < end:
        try:
            pile, connection, reader = await pile_connect(
                url,
                spec.charge_point_id,
                spec.key,
                guns=spec.guns,
                behaviour=spec.behaviour,
                seed=seed,
                firmware_version=firmware_version,
            )
        except (OSError, TimeoutError, InvalidHandshake) as error:  # the gateway is not up yet
            logger.warning("%s: cannot connect (%r); retrying in 5 s", spec.charge_point_id, error)
            await asyncio.sleep(5)
            continue
        try:
            live = asyncio.ensure_future(pile.live(None if end is None else end - loop.time()))
            await asyncio.wait([live, reader], return_when=asyncio.FIRST_COMPLETED)
            live.cancel()
        finally:
            await connection.close()
            reader.cancel()
            firmware_version = pile.firmware_version
        if end is None or loop.time() < end:
            await asyncio.sleep(5)


async def piles_simulate(url: str, specs: list[PileSpec], duration: float | None = None) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + duration if duration else None
    await asyncio.gather(*(pile_simulate(url, spec, end, seed) for seed, spec in enumerate(specs)))
