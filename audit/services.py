"""Writes of the audit log: who changed what and when.

The write services of the other apps call these inside their own transaction, so an entry
exists exactly when its change does. An object's values are always read from the database,
never from the instance in hand: a form has already put its new values on that one. Values are
kept as the text people see, under the labels they see, so that an entry stays readable after
its object, its related objects or its model's choices are gone.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.models import Operator, User
from chargeops.models import ScopedModel

from .choices import AuditAction
from .models import AuditEntry


class _Secret(str):
    """A secret field's value (a password, a key hash): compared, never written down."""


def _is_secret(name: str) -> bool:
    return name == "password" or name.endswith("_hash")


def _fields(model) -> list[models.Field]:
    """The fields the log follows: all but the primary key, the automatic timestamps and what
    the model names in `audit_exclude` (what it learns by itself, not what people set)."""
    exclude = getattr(model, "audit_exclude", ())
    return [
        field
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if not (
            field.primary_key
            or field.name in exclude
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        )
    ]


@dataclass(frozen=True)
class _Column:
    """An audited field with its label and, for a choice field, its choices' labels, in the
    active language: worked out once per model and call, not once per object."""

    field: models.Field
    label: str
    choices: dict | None
    secret: bool


def _columns(model) -> list[_Column]:
    return [
        _Column(
            field=field,
            label=str(capfirst(field.verbose_name)),
            choices={value: str(label) for value, label in field.flatchoices} if field.choices else None,
            secret=_is_secret(field.name),
        )
        for field in _fields(model)
    ]


def _text(obj, column: _Column) -> str:
    field = column.field
    if field.many_to_many:
        return ", ".join(sorted(str(related) for related in getattr(obj, field.name).all()))
    if field.is_relation:
        related = getattr(obj, field.name)
        return "" if related is None else str(related)
    value = field.value_from_object(obj)
    if value is None:
        return ""
    if column.choices is not None:
        return column.choices.get(value, str(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def _snapshot(obj) -> dict[str, str]:
    """The stored object's audited values, as text by label, with its `audit_values()`."""
    model = type(obj)
    foreign_keys = [field.name for field in _fields(model) if field.is_relation and not field.many_to_many]
    return _values(model._base_manager.select_related(*foreign_keys).get(pk=obj.pk))


def _values(stored, columns: list[_Column] | None = None) -> dict[str, str]:
    values = {}
    for column in columns or _columns(type(stored)):
        text = _text(stored, column)
        values[column.label] = _Secret(text) if column.secret else text
    if hasattr(stored, "audit_values"):
        values.update({str(label): str(value) for label, value in stored.audit_values().items()})
    return values


def _changes(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str | None]]:
    """`{label: [old, new]}` of the values that differ. A side is None where the object was
    not there (before its creation, after its deletion). Of a secret only the word "changed"
    is kept, and nothing once its object is deleted."""
    changes = {}
    for label in {**before, **after}:
        old, new = before.get(label), after.get(label)
        if (old or "") == (new or ""):
            continue
        if isinstance(old, _Secret) or isinstance(new, _Secret):
            if new is not None:
                changes[label] = [None, _("changed")]
        else:
            changes[label] = [old, new]
    return changes


def _operator_of(obj) -> Operator | None:
    """The operator whose log an entry about `obj` goes to. An operator's own scoping path is
    its primary key, so `get_operator()` would give its number; a person (not a scoped model)
    belongs to their operator, or to none (platform admins)."""
    if isinstance(obj, Operator):
        return obj
    if isinstance(obj, User):
        return obj.operator
    if isinstance(obj, ScopedModel):
        return obj.get_operator()
    return None


def _entry(*, user: User | None, obj: models.Model, action: str, changes: dict) -> AuditEntry:
    known = user is not None and user.pk is not None
    return AuditEntry(
        operator=_operator_of(obj),
        user=user if known else None,
        username=user.get_username() if known else "",
        action=AuditAction(action),
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        changes=changes,
    )


def audit_record(*, user: User | None, obj: models.Model, action: str, changes: dict) -> AuditEntry:
    """Add an entry about `obj`. `user` is None for the command line and the system."""
    entry = _entry(user=user, obj=obj, action=action, changes=changes)
    entry.save()
    return entry


def audit_created(*, user: User | None, obj: models.Model) -> AuditEntry:
    """Record a new object, once it is saved, with every value it was given."""
    return audit_record(user=user, obj=obj, action=AuditAction.CREATE, changes=_changes({}, _snapshot(obj)))


def audit_created_many(*, user: User | None, objects: list[models.Model], prefetch: tuple[str, ...] = ()) -> None:
    """`audit_created` for many new objects of one model in a few statements (the batch
    import): read back together, with `prefetch` for what their `audit_values()` read, and the
    operator's path, so that no object costs a query of its own."""
    if not objects:
        return
    model = type(objects[0])
    related = [field.name for field in _fields(model) if field.is_relation and not field.many_to_many]
    path = getattr(model, "operator_path", "operator")
    if issubclass(model, ScopedModel) and "__" in path:
        related.append(path)
    stored = model._base_manager.select_related(*related).prefetch_related(*prefetch).in_bulk([o.pk for o in objects])
    columns = _columns(model)
    entries = [
        _entry(
            user=user,
            obj=stored[obj.pk],
            action=AuditAction.CREATE,
            changes=_changes({}, _values(stored[obj.pk], columns)),
        )
        for obj in objects
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=1000)


@contextlib.contextmanager
def audit_changes(*, user: User | None, obj: models.Model) -> Iterator[None]:
    """Record what the block changes in `obj`, as stored before and after it: one entry with the
    changed fields only, none when nothing changed or the block raised."""
    before = _snapshot(obj)
    yield
    changes = _changes(before, _snapshot(obj))
    if changes:
        audit_record(user=user, obj=obj, action=AuditAction.UPDATE, changes=changes)


def audit_deleted(*, user: User | None, obj: models.Model) -> AuditEntry:
    """Record an object about to be deleted, with its last values."""
    return audit_record(user=user, obj=obj, action=AuditAction.DELETE, changes=_changes(_snapshot(obj), {}))
