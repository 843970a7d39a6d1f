from django.db import migrations


def create_roles(apps, schema_editor):
    from accounts.roles import role_groups_sync

    role_groups_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("stations", "0001_initial"),
        ("piles", "0001_initial"),
        ("orders", "0002_initial"),
        ("maintenance", "0002_initial"),
        ("analytics", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
