from django.db import migrations

# OCPP transaction ids are 32-bit integers handed out by the central system. On PostgreSQL a
# sequence gives them out without locks; it starts above any id already in the table.
CREATE = """
CREATE SEQUENCE IF NOT EXISTS ocpp_transaction_id_seq AS integer MINVALUE 1 MAXVALUE 2147483647;
SELECT setval('ocpp_transaction_id_seq', COALESCE((SELECT MAX(transaction_id) FROM orders_chargingorder), 0) + 1, false);
"""
DROP = "DROP SEQUENCE IF EXISTS ocpp_transaction_id_seq;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_order_meter_and_tag")]

    operations = [migrations.RunPython(create, drop)]
