"""OCPP-J 1.6 framing: parsing frames strictly, the 1.6 names of CALLERROR codes, and the checks
the JSON schemas leave out (timestamps, numbers in range)."""

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import fastjsonschema
import ocpp
from django.utils import timezone
from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case
from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    OccurenceConstraintViolationError,
    OccurrenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, CallError, CallResult, MessageType

# OCPP-J 1.6 spells two error codes differently from later versions (its own typos included);
# the `ocpp` package's schema validation raises the later names.
CODES_16 = {
    FormatViolationError.code: FormationViolationError.code,
    OccurrenceConstraintViolationError.code: OccurenceConstraintViolationError.code,
}
UNIQUE_ID_MAX = 36
# A clock this far ahead of ours is wrong, not skewed; OCPP did not exist before 2000.
FUTURE_TOLERANCE = timedelta(hours=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class FrameError(Exception):
    """A frame that cannot be answered as a call: the CALLERROR to send back instead."""

    def __init__(self, error: OCPPError, unique_id: str = "-1"):
        super().__init__(error.description)
        self.error = error
        self.unique_id = unique_id


def _no_duplicate_keys(pairs):
    keys = [key for key, _value in pairs]
    if len(keys) != len(set(keys)):
        duplicated = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"duplicate key {duplicated[0]!r}")
    return dict(pairs)


def frame_parse(raw: str | bytes) -> Call | CallResult | CallError:
    """A frame as a Call, CallResult or CallError. Anything else raises FrameError with the
    CALLERROR to answer: the unique id when it could be read, "-1" otherwise."""
    if isinstance(raw, bytes):
        raise FrameError(FormationViolationError("OCPP-J frames are text, not binary."))
    try:
        message = json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    except ValueError as error:
        raise FrameError(FormationViolationError(f"Not valid JSON: {error}")) from None
    if not isinstance(message, list) or not message or not isinstance(message[0], int):
        raise FrameError(ProtocolError("A frame is a JSON array that starts with a message type."))
    if len(message) < 2 or not isinstance(message[1], str) or not 0 < len(message[1]) <= UNIQUE_ID_MAX:
        raise FrameError(ProtocolError("The unique id must be a string of 1 to 36 characters."))
    unique_id = message[1]
    kind = message[0]
    if kind == MessageType.Call:
        if len(message) != 4 or not isinstance(message[2], str) or not isinstance(message[3], dict):
            raise FrameError(ProtocolError("A CALL is [2, uniqueId, action, {payload}]."), unique_id)
        return Call(*message[1:])
    if kind == MessageType.CallResult:
        if len(message) != 3 or not isinstance(message[2], dict):
            raise FrameError(ProtocolError("A CALLRESULT is [3, uniqueId, {payload}]."), unique_id)
        return CallResult(*message[1:])
    if kind == MessageType.CallError:
        if len(message) != 5:
            raise FrameError(ProtocolError("A CALLERROR is [4, uniqueId, code, description, {details}]."), unique_id)
        return CallError(*message[1:])
    raise FrameError(ProtocolError(f"Unknown message type {kind}."), unique_id)


SCHEMAS = Path(ocpp.__file__).parent / "v16" / "schemas"


@lru_cache(maxsize=64)
def _call_validator(action: str):
    return fastjsonschema.compile(json.loads((SCHEMAS / f"{action}.json").read_text(encoding="utf-8-sig")))


def call_validate(call: Call) -> None:
    """Check a pile's call against the `ocpp` package's OCPP 1.6 schema of its action (compiled
    once). The errors are those the package gives: a wrong type, a too long string or a date
    that is not one is a TypeConstraintViolation, a missing field a ProtocolError, anything
    else a FormationViolation."""
    try:
        _call_validator(call.action)(call.payload)
    except fastjsonschema.JsonSchemaValueException as error:
        if error.rule in ("type", "maxLength", "format"):
            raise TypeConstraintViolationError(error.message) from None
        if error.rule == "required":
            raise ProtocolError(error.message) from None
        raise FormationViolationError(error.message) from None


def call_error_json(unique_id: str, error: OCPPError) -> str:
    code = CODES_16.get(error.code, error.code)
    description = str(error.description or "")[:255]
    details = error.details if isinstance(error.details, dict) else {}
    # The schema error's details may hold the whole offending message; keep only its cause.
    details = {"cause": str(details["cause"])[:255]} if "cause" in details else {}
    return json.dumps([MessageType.CallError, unique_id, code, description, details], separators=(",", ":"))


def ocpp_time(value: str | None, field: str = "timestamp") -> datetime:
    """A timestamp from a pile: ISO 8601 (UTC when it names no offset), not before 2000 and not
    more than an hour ahead of our clock. None means "now" (the field was optional)."""
    if value is None:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise TypeConstraintViolationError(f"{field} is not an ISO 8601 date and time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < EARLIEST:
        raise PropertyConstraintViolationError(f"{field} {value} is before 2000: the pile's clock is not set.")
    if moment > timezone.now() + FUTURE_TOLERANCE:
        raise PropertyConstraintViolationError(f"{field} {value} is in the future.")
    return moment


# The `ocpp` package renames payload keys between OCPP's camelCase and Python's snake_case with
# regular expressions, key by key, on every message. The keys are the schemas' few hundred names
# (a call is validated before its keys are renamed), so each is worked out once.


@lru_cache(maxsize=2048)
def _snake(key: str) -> str:
    return next(iter(camel_to_snake_case({key: None})))


@lru_cache(maxsize=2048)
def _camel(key: str) -> str:
    return next(iter(snake_to_camel_case({key: None})))


def _keys_renamed(data, rename):
    if isinstance(data, dict):
        return {rename(key): _keys_renamed(value, rename) for key, value in data.items()}
    if isinstance(data, list):
        return [_keys_renamed(value, rename) for value in data]
    return data


def keys_to_snake(data):
    return _keys_renamed(data, _snake)


def keys_to_camel(data):
    return _keys_renamed(data, _camel)
