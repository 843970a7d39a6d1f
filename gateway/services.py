"""Writes of the OCPP gateway's own records: pile keys, security events and the command outbox."""

import contextlib
import hashlib
import hmac
import secrets
from datetime import timedelta

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from piles.models import Pile

from .choices import CommandAction, CommandStatus, SecurityEventKind
from .models import Command, SecurityEvent

# OCPP 1.6 security profiles 1 and 2: the AuthorizationKey is the HTTP Basic password.
KEY_MIN_BYTES = 16
KEY_MAX_BYTES = 64


def key_hash(key: str) -> str:
    """A salted SHA-256 of a pile key. Pile keys are long random secrets, so a slow password
    hash adds no protection against guessing, while it would cost a third of a second of CPU
    per connection, and a whole network reconnects at once after a gateway restart."""
    salt = secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}${key}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def key_matches(key: str, stored: str) -> bool:
    try:
        algorithm, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algorithm != "sha256":
        return False
    return hmac.compare_digest(hashlib.sha256(f"{salt}${key}".encode()).hexdigest(), digest)


def _key_validate(key: str) -> None:
    size = len(key.encode())
    if not KEY_MIN_BYTES <= size <= KEY_MAX_BYTES or not key.isprintable() or not key.isascii():
        raise ValidationError(
            _("A pile key is %(min)d to %(max)d printable ASCII characters.")
            % {"min": KEY_MIN_BYTES, "max": KEY_MAX_BYTES}
        )


@transaction.atomic
def pile_key_set(*, user: User | None, pile: Pile, key: str | None = None) -> str:
    """Set a pile's AuthorizationKey (a new random one when `key` is None) and return it. Only
    its hash is stored; the key is shown once."""
    key = key if key is not None else secrets.token_hex(20)
    _key_validate(key)
    pile.ocpp_key_hash = key_hash(key)
    pile.save(update_fields=["ocpp_key_hash"])
    security_event_record(
        kind=SecurityEventKind.KEY_CHANGED,
        charge_point_id=pile.charge_point_id,
        pile=pile,
        detail=_("Set by %(user)s") % {"user": user} if user else _("Set from the command line"),
    )
    # The log says only that the key changed: neither the key nor its hash is written there.
    audit_record(user=user, obj=pile, action=AuditAction.KEY, changes={_("OCPP key"): [None, _("changed")]})
    return key


def _gateway_piles():
    # What the gateway keeps of a connected pile: its station, operator, tariff and guns.
    return Pile.objects.select_related("station__area__operator", "station__tariff").prefetch_related(
        "guns", "station__tariff__periods"
    )


def piles_for_gateway(pks: list[int]) -> dict[int, Pile]:
    """Connected piles as the gateway holds them, reloaded every minute to see people's changes
    (a new tariff schedule prices the sessions that stop a minute later at the latest)."""
    return {pile.pk: pile for pile in _gateway_piles().filter(pk__in=pks)}


def pile_authenticate(charge_point_id: str, key: str | None) -> tuple[Pile | None, str | None]:
    """The pile a connection may speak for, or None and the security event kind of the refusal.
    A pile with no key set yet cannot connect: every pile authenticates."""
    pile = _gateway_piles().filter(charge_point_id__iexact=charge_point_id).first()
    if pile is None:
        return None, SecurityEventKind.UNKNOWN_PILE
    if key is None:
        return None, SecurityEventKind.NO_CREDENTIALS
    if not pile.ocpp_key_hash or not key_matches(key, pile.ocpp_key_hash):
        return None, SecurityEventKind.WRONG_KEY
    return pile, None


def security_event_record(
    *, kind: str, charge_point_id: str, pile: Pile | None = None, remote_address: str = "", detail: str = ""
) -> SecurityEvent:
    if pile is None:
        pile = Pile.objects.select_related("station__area").filter(charge_point_id__iexact=charge_point_id).first()
    return SecurityEvent.objects.create(
        operator_id=pile.station.area.operator_id if pile else None,
        pile=pile,
        charge_point_id=charge_point_id[:100],
        kind=SecurityEventKind(kind),
        remote_address=remote_address[:64],
        detail=str(detail)[:255],
    )


# The command outbox.

COMMANDS_CHANNEL = "chargeops:commands"
# Gateway processes announce here the piles that connected to them (see gateway.server).
CONNECTIONS_CHANNEL = "chargeops:connections"


def _commands_wake(command: Command) -> None:
    """Tell the gateways that a command waits. Without Redis (or when it is down) they find it
    by polling a few seconds later."""
    if not settings.REDIS_URL:
        return
    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(settings.REDIS_URL).publish(COMMANDS_CHANNEL, command.pk)


@transaction.atomic
def command_create(*, user: User | None, pile: Pile, action: str, payload: dict) -> Command:
    """Queue an OCPP call to a pile. A pile that is not connected cannot take it: the command
    is recorded as failed with that reason, so the page says why nothing happened."""
    command = Command(pile=pile, action=CommandAction(action), payload=payload, created_by=user)
    if not Pile.objects.filter(pk=pile.pk, connected=True).exists():
        command.status = CommandStatus.FAILED
        command.error = _("The pile is offline.")
        command.answered_at = timezone.now()
    command.save()
    if command.status == CommandStatus.PENDING:
        transaction.on_commit(lambda: _commands_wake(command))
    return command


def heartbeat_interval_send(*, user: User | None, operator) -> int:
    """Tell the operator's connected piles their new heartbeat interval (OCPP ChangeConfiguration
    of HeartbeatInterval); returns how many were sent it. A pile offline now is given it by its
    next BootNotification's answer."""
    payload = {"key": "HeartbeatInterval", "value": str(operator.heartbeat_interval)}
    piles = Pile.objects.for_operator(operator).filter(connected=True).order_by("pk")
    commands = [
        command_create(user=user, pile=pile, action=CommandAction.CHANGE_CONFIGURATION, payload=payload)
        for pile in piles
    ]
    return len(commands)


def commands_claim(pile_ids: list[int]) -> list[Command]:
    """The pending commands for these piles, marked sent, oldest first."""
    with transaction.atomic():
        commands = list(
            Command.objects.select_for_update(skip_locked=True)
            .filter(pile_id__in=pile_ids, status=CommandStatus.PENDING)
            .select_related("pile")
            .order_by("created_at", "pk")
        )
        now = timezone.now()
        Command.objects.filter(pk__in=[c.pk for c in commands]).update(status=CommandStatus.SENT, sent_at=now)
    return commands


def commands_expire(*, response_timeout: float, now=None) -> int:
    """End the commands that can no longer be answered: sent by a gateway that stopped before
    the pile answered, or waiting for a pile that went offline before any gateway sent them.
    Returns how many."""
    now = now or timezone.now()
    lost = Command.objects.filter(
        status=CommandStatus.SENT, sent_at__lt=now - timedelta(seconds=2 * response_timeout + 30)
    ).update(status=CommandStatus.FAILED, error=_("No answer was recorded: the gateway stopped."), answered_at=now)
    stranded = (
        Command.objects.filter(status=CommandStatus.PENDING, created_at__lt=now - timedelta(seconds=60))
        .filter(pile__connected=False)
        .update(
            status=CommandStatus.FAILED, error=_("The pile went offline before the command was sent."), answered_at=now
        )
    )
    return lost + stranded


@transaction.atomic
def command_answer_record(*, command: Command, status: str, response: dict | None = None, error: str = "") -> None:
    Command.objects.filter(pk=command.pk).update(
        status=CommandStatus(status), response=response, error=error[:255], answered_at=timezone.now()
    )
