"""Set-based writes for the OCPP gateway's batches, and a lookup for long lists of ids.

A network's status reports and meter readings arrive by the thousand per second. The ORM's
bulk_create and bulk_update build a model instance, or a CASE expression, per row and field,
which costs more CPU than everything else a report needs; these helpers send one statement for
all the rows instead. Only the batch services use them, with values they have already checked.
"""

from django.db import connection
from django.db.models import ForeignKey, IntegerField, Lookup

# SQLite takes at most 32,766 parameters per statement; PostgreSQL 65,535.
MAX_PARAMETERS = 30000


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _chunks(rows: list[tuple], width: int):
    size = max(1, MAX_PARAMETERS // max(width, 1))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _prepared(model, fields: list[str], rows: list[tuple]) -> list[tuple]:
    """Rows with each value as the database takes it (times in UTC on SQLite, and so on)."""
    preps = [model._meta.get_field(name).get_db_prep_save for name in fields]
    return [tuple(prep(value, connection) for prep, value in zip(preps, row, strict=True)) for row in rows]


def rows_insert(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT the rows (values in the order of `fields`) with one multi-row statement."""
    if not rows:
        return
    columns = ", ".join(_quote(model._meta.get_field(name).column) for name in fields)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for chunk in _chunks(_prepared(model, fields, rows), len(fields)):
            sql = (
                f"INSERT INTO {_quote(model._meta.db_table)} ({columns}) VALUES {', '.join([placeholder] * len(chunk))}"
            )
            cursor.execute(sql, [value for row in chunk for value in row])


def objects_insert(objects: list) -> None:
    """INSERT unsaved model instances of one model with every field's value as set (defaults
    included); their primary keys stay unset."""
    if not objects:
        return
    model = type(objects[0])
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    rows = [tuple(getattr(obj, field.attname) for field in fields) for obj in objects]
    rows_insert(model, [field.name for field in fields], rows)


def rows_update(model, fields: list[str], rows: list[tuple], only_where: dict | None = None) -> None:
    """UPDATE each row's object (the primary key last in each row) with its values of `fields`,
    in one statement; `only_where` ({field: value}) limits it to rows still in that state."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    key = meta.pk.column
    postgres = connection.vendor == "postgresql"

    def value_of(field_name, column):
        # PostgreSQL types a VALUES list from its literals; the column's type is cast to.
        return (
            f"CAST(v.{_quote(column)} AS {meta.get_field(field_name).db_type(connection)})"
            if postgres
            else f"v.{_quote(column)}"
        )

    assignments = ", ".join(
        f"{_quote(column)} = {value_of(name, column)}" for name, column in zip(fields, columns, strict=True)
    )
    names = ", ".join(_quote(column) for column in [*columns, key])
    conditions = [f"{_quote(meta.db_table)}.{_quote(key)} = v.{_quote(key)}"]
    extra = []
    for name, value in (only_where or {}).items():
        conditions.append(f"{_quote(meta.db_table)}.{_quote(meta.get_field(name).column)} = %s")
        extra.append(value)
    placeholder = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    prepared = _prepared(model, [*fields, meta.pk.name], rows)
    with connection.cursor() as cursor:
        for chunk in _chunks(prepared, len(fields) + 1):
            sql = (
                f"WITH v ({names}) AS (VALUES {', '.join([placeholder] * len(chunk))}) "
                f"UPDATE {_quote(meta.db_table)} SET {assignments} FROM v WHERE {' AND '.join(conditions)}"
            )
            cursor.execute(sql, [value for row in chunk for value in row] + extra)


class AnyOf(Lookup):
    """`field__any_of=[ids]`: the field is one of a list of ids, sent as one parameter. On
    PostgreSQL `= ANY(array)`: a statistics query that names a network's stations several times
    stays short, and psycopg reuses its parsed form instead of splitting hundreds of
    placeholders on every request. Elsewhere a plain IN list."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        sql, ids = any_of_sql(lhs, self.rhs, self.lhs.output_field.rel_db_type(connection))
        return sql, [*params, *ids]


def any_of_sql(column: str, ids, db_type: str = "bigint") -> tuple[str, list]:
    """The SQL and parameters of `column` (of type `db_type`) being one of `ids`, as `AnyOf`
    writes it. The array is of the column's own type: psycopg sends small numbers as a
    smallint[], against which PostgreSQL compares a bigint element by element, where with its
    own type it looks each row up in a hash of the ids (twice as fast over a month of a
    network's roll-ups)."""
    ids = [int(value) for value in ids]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(CAST(%s AS {db_type}[]))", [ids]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def shared_ids_sql(ids, db_type: str = "bigint") -> tuple[str, str, list]:
    """`ids` for a statement whose parts each test a column against them: a WITH clause's
    entry `ids` that holds them, the test (`{column}` to fill in) and its parameters. psycopg
    sends hundreds of ids once, not once per part, and PostgreSQL plans each part without
    weighing each id (a network's 600 piles cost a part about 0.6 ms of planning)."""
    ids = [int(value) for value in ids]
    if connection.vendor == "postgresql":
        array = f"CAST(%s AS {db_type}[])"
        return f"ids AS (SELECT {array} AS a)", f"{{column}} = ANY(CAST((SELECT a FROM ids) AS {db_type}[]))", [ids]
    with_ids, params = rows_with_sql("ids", ("a",), [(value,) for value in ids])
    return with_ids, "{column} IN (SELECT a FROM ids)", params


def rows_with_sql(name: str, columns: tuple[str, ...], rows: list[tuple], db_type: str = "bigint") -> tuple[str, list]:
    """A WITH clause's entry `name` (`columns`) holding `rows` of whole numbers, and its
    parameters: on PostgreSQL an array per column, unnested (a network's 600 piles with a
    number each are two parameters, which psycopg sends in a few microseconds), elsewhere a
    VALUES list."""
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join([f"CAST(%s AS {db_type}[])"] * len(columns))
        return f"{name} ({names}) AS (SELECT * FROM unnest({arrays}))", [
            [int(row[index]) for row in rows] for index in range(len(columns))
        ]
    if not rows:
        return f"{name} ({names}) AS (SELECT {', '.join(['NULL'] * len(columns))} WHERE 0)", []
    row = f"({', '.join(['%s'] * len(columns))})"
    return f"{name} ({names}) AS (VALUES {', '.join([row] * len(rows))})", [int(value) for row in rows for value in row]


ForeignKey.register_lookup(AnyOf)
IntegerField.register_lookup(AnyOf)
