"""The order list's keyword search reads a trigram index of the order number and id tag
(PostgreSQL): a search for part of a number then reads the orders that hold its trigrams
instead of every order. pg_trgm is a trusted extension (PostgreSQL 13 and later): the
database's owner may create it. Other databases search without an index."""

from django.db import migrations

INDEX = "order_search_idx"


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # The expressions of Django's icontains on PostgreSQL, so that the planner matches them.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON orders_chargingorder USING gin "
        "(UPPER(number::text) gin_trgm_ops, UPPER(id_tag_text::text) gin_trgm_ops)"
    )
    # Statistics of the indexed expressions, without which the planner guesses that a keyword
    # matches one order in twenty and walks all orders by time looking for a page of them.
    schema_editor.execute("ANALYZE orders_chargingorder")


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_order_indexes_hold_ids")]

    operations = [migrations.RunPython(index_create, index_drop)]
