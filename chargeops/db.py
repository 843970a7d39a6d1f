"""Set-based writes for the OCPP gateway's batches.

A network's status reports and meter readings arrive by the thousand per second. The ORM's
bulk_create and bulk_update build a model instance, or a CASE expression, per row and field,
which costs more CPU than everything else a report needs; these helpers send one parameterised
statement for all the rows in a pipeline instead. Only the batch services use them, with values
they have already checked.
"""

from django.db import connection


def _columns(model, fields: list[str]) -> list[str]:
    return [connection.ops.quote_name(model._meta.get_field(name).column) for name in fields]


def _prepared(model, fields: list[str], rows: list[tuple]) -> list[tuple]:
    """Rows with each value as the database takes it (times in UTC on SQLite, and so on)."""
    preps = [model._meta.get_field(name).get_db_prep_save for name in fields]
    return [
        tuple(prep(value, connection) for prep, value in zip(preps, row[: len(fields)], strict=True))
        + tuple(row[len(fields) :])
        for row in rows
    ]


def rows_insert(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT each row (values in the order of `fields`)."""
    if not rows:
        return
    columns = ", ".join(_columns(model, fields))
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, _prepared(model, fields, rows))


def objects_insert(objects: list) -> None:
    """INSERT unsaved model instances of one model with every field's value as set (defaults
    included); their primary keys stay unset."""
    if not objects:
        return
    model = type(objects[0])
    fields = [field.name for field in model._meta.concrete_fields if not field.primary_key]
    attnames = [model._meta.get_field(name).attname for name in fields]
    rows_insert(model, fields, [tuple(getattr(obj, attname) for attname in attnames) for obj in objects])


def rows_update(model, fields: list[str], rows: list[tuple], where: str = "id = %s") -> None:
    """UPDATE with each row: the values of `fields`, then the parameters of `where`."""
    if not rows:
        return
    assignments = ", ".join(f"{column} = %s" for column in _columns(model, fields))
    sql = f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {assignments} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.executemany(sql, _prepared(model, fields, rows))
