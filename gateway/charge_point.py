"""One pile's OCPP 1.6J session: each message from the pile becomes a call of a domain service,
and commands from the outbox go to the pile as OCPP calls."""

import contextlib
import dataclasses
import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from ocpp.charge_point import remove_nones, serialize_as_dict
from ocpp.exceptions import (
    InternalError,
    NotSupportedError,
    OCPPError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)
from ocpp.exceptions import (
    NotImplementedError as OCPPNotImplemented,
)
from ocpp.messages import MessageType
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, DataTransferStatus, Measurand, RegistrationStatus, UnitOfMeasure

from gateway.protocol import (
    FrameError,
    call_error_json,
    call_validate,
    frame_parse,
    keys_to_camel,
    keys_to_snake,
    ocpp_time,
)
from orders.services import MeterReport, MeterSample, StartReport, StopReport, id_tag_authorize
from piles.models import Pile
from piles.services import StatusReport, pile_boot, pile_transfer_status_set

logger = logging.getLogger(__name__)

# The actions a pile may send to the central system; others it may not (they go the other way).
PILE_ACTIONS = {
    Action.authorize,
    Action.boot_notification,
    Action.data_transfer,
    Action.diagnostics_status_notification,
    Action.firmware_status_notification,
    Action.heartbeat,
    Action.meter_values,
    Action.start_transaction,
    Action.status_notification,
    Action.stop_transaction,
}


def _now() -> str:
    return timezone.now().isoformat().replace("+00:00", "Z")


def _id_tag_info(info) -> dict:
    result = {"status": str(info.status)}
    if info.expires_at is not None:
        result["expiry_date"] = info.expires_at.isoformat()
    return result


def _decimal(value: str, measurand: str) -> Decimal:
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError):
        raise TypeConstraintViolationError(f"{measurand} value {value!r} is not a number.") from None
    if not number.is_finite():
        raise TypeConstraintViolationError(f"{measurand} value {value!r} is not a number.")
    if number < 0:
        raise PropertyConstraintViolationError(f"{measurand} value {value} is negative.")
    return number


USED_MEASURANDS = {Measurand.energy_active_import_register, Measurand.power_active_import, Measurand.soc}


def meter_samples(meter_value: list[dict]) -> list[MeterSample]:
    """The energy register (Wh), total power (kW) and state of charge of each sampled moment.
    Values per phase are left out: the totals are what the platform charts and bills."""
    samples = []
    for entry in meter_value:
        at = ocpp_time(entry["timestamp"], "meterValue.timestamp")
        energy = power = soc = None
        for sampled in entry["sampled_value"]:
            if sampled.get("phase") or sampled.get("format") == "SignedData":
                continue
            measurand = sampled.get("measurand", Measurand.energy_active_import_register)
            if measurand not in USED_MEASURANDS:
                continue  # voltage, current, temperature…: not stored, so not judged either
            unit = sampled.get("unit")
            value = _decimal(sampled["value"], measurand)
            if measurand == Measurand.energy_active_import_register:
                energy = int((value * 1000 if unit == UnitOfMeasure.kwh else value).to_integral_value())
            elif measurand == Measurand.power_active_import:
                power = (value if unit == UnitOfMeasure.kw else value / 1000).quantize(Decimal("0.01"))
            elif measurand == Measurand.soc:
                soc = min(int(value), 100)
        samples.append(MeterSample(at=at, energy_wh=energy, power_kw=power, soc_percent=soc))
    return samples


@contextlib.contextmanager
def _refusal_as_callerror():
    """A refusal by a domain service (a ValidationError) is the pile's error:
    PropertyConstraintViolation, with the service's message."""
    try:
        yield
    except ValidationError as error:
        raise PropertyConstraintViolationError(" ".join(error.messages)) from None


class PileSession(ChargePoint):
    """The central system's side of one pile's connection."""

    def __init__(self, pile: Pile, connection, gateway, response_timeout: float = 30):
        super().__init__(pile.charge_point_id, connection, response_timeout=response_timeout)
        self.pile = pile
        self.gateway = gateway

    async def _service(self, function, **kwargs):
        """Run a domain service for this pile in the gateway's database threads."""
        with _refusal_as_callerror():
            return await self.gateway.db(function, pile=self.pile, **kwargs)

    async def _batched(self, batch, item):
        """Hand a report to one of the gateway's batches (see gateway.batch); returns its result."""
        with _refusal_as_callerror():
            return await batch.submit(item)

    async def route_message(self, raw_msg):
        self.gateway.seen(self.pile.pk)
        try:
            message = frame_parse(raw_msg)
        except FrameError as error:
            logger.info("%s: bad frame: %s", self.id, error)
            await self._send(call_error_json(error.unique_id, error.error))
            return
        if message.message_type_id != MessageType.Call:
            self._response_queue.put_nowait(message)
            return
        try:
            if message.action not in PILE_ACTIONS:
                # OCPP-J 1.6 §4.2.3: NotImplemented for an action the receiver does not know,
                # NotSupported for one it knows but does not take (the `ocpp` package has these
                # the other way round).
                known = message.action in Action.__members__.values()
                error = NotSupportedError if known else OCPPNotImplemented
                raise error(f"{message.action} is not an action a pile sends." if known else "Unknown action.")
            await self._handle_call(message)
        except OCPPError as error:
            await self._send(call_error_json(message.unique_id, error))

    async def _handle_call(self, message):
        """Validate a call against its schema, run its handler and send the answer. The
        package's own version also validates our answers against the schemas and inspects the
        handler's signature on every message, which cost a sixth of the gateway's CPU; our
        answers are dataclasses of the package, and the tests check them with its client."""
        call_validate(message)
        try:
            response = await self.route_map[message.action]["_on_action"](**keys_to_snake(message.payload))
        except OCPPError:
            raise
        except Exception as error:
            logger.exception("%s: %s failed", self.id, message.action)
            raise InternalError("The central system could not handle this message.") from error
        payload = keys_to_camel(remove_nones(serialize_as_dict(response)))
        await self._send(message.create_call_result(payload).to_json())

    async def _send(self, message):
        await self._connection.send(message)

    @on(Action.boot_notification)
    async def on_boot_notification(self, charge_point_vendor, charge_point_model, **fields):
        interval = await self._service(
            pile_boot,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=fields.get("charge_point_serial_number") or fields.get("charge_box_serial_number") or "",
            firmware_version=fields.get("firmware_version") or "",
            at=timezone.now(),
        )
        return call_result.BootNotification(current_time=_now(), interval=interval, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    async def on_heartbeat(self):
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    async def on_status_notification(self, connector_id, error_code, status, timestamp=None, **fields):
        report = StatusReport(
            self.pile,
            connector_id,
            status,
            error_code,
            ocpp_time(timestamp),
            info=fields.get("info") or "",
            vendor_error_code=fields.get("vendor_error_code") or "",
        )
        await self._batched(self.gateway.status_reports, report)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag):
        info = await self._service(id_tag_authorize, id_tag=id_tag)
        return call_result.Authorize(id_tag_info=_id_tag_info(info))

    @on(Action.start_transaction)
    async def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **fields):
        report = StartReport(self.pile, connector_id, id_tag, meter_start, ocpp_time(timestamp))
        transaction_id, info = await self._batched(self.gateway.starts, report)
        return call_result.StartTransaction(transaction_id=transaction_id, id_tag_info=_id_tag_info(info))

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, transaction_id=None):
        report = MeterReport(self.pile, connector_id, meter_samples(meter_value), transaction_id)
        await self._batched(self.gateway.meter_reports, report)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, meter_stop, timestamp, transaction_id, reason=None, id_tag=None, **fields):
        if meter_stop < 0:
            raise PropertyConstraintViolationError("meterStop is negative.")
        report = StopReport(self.pile, transaction_id, meter_stop, ocpp_time(timestamp), reason or "")
        await self._batched(self.gateway.stops, report)
        if id_tag is None:
            return call_result.StopTransaction()
        info = await self._service(id_tag_authorize, id_tag=id_tag)
        return call_result.StopTransaction(id_tag_info=_id_tag_info(info))

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id, **fields):
        # No vendor extensions are implemented; OCPP's answer for that is UnknownVendorId.
        logger.info("%s: DataTransfer from vendor %s: %s", self.id, vendor_id, fields)
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status):
        await self._service(pile_transfer_status_set, firmware_status=status)
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(self, status):
        await self._service(pile_transfer_status_set, diagnostics_status=status)
        return call_result.DiagnosticsStatusNotification()

    async def command_send(self, action: str, payload: dict):
        """Send an outbox command; returns the pile's answer as a dict. Raises TimeoutError when
        the pile does not answer and OCPPError when it answers with a CALLERROR."""
        request = getattr(call, action)(**payload)
        response = await self.call(request, suppress=False)
        return dataclasses.asdict(response)
