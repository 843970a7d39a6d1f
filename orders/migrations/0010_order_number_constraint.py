"""An order's number is unique by a named constraint instead of `unique=True`, which on
PostgreSQL also kept a pattern index for LIKE that nothing reads."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_order_search_trigrams"),
        ("piles", "0006_status_change_pile_index_dropped"),
        ("stations", "0003_station_opening_hours"),
    ]

    operations = [
        migrations.AlterField(
            model_name="chargingorder",
            name="number",
            field=models.CharField(max_length=32, verbose_name="order number"),
        ),
        migrations.AddConstraint(
            model_name="chargingorder",
            constraint=models.UniqueConstraint(fields=("number",), name="order_number_unique"),
        ),
    ]
