from django.db import migrations


def update_roles(apps, schema_editor):
    from accounts.roles import role_groups_sync

    role_groups_sync(apps)


class Migration(migrations.Migration):
    """The roles gain the permissions of pile commands, security events and status history."""

    dependencies = [
        ("accounts", "0003_operational_parameters"),
        ("gateway", "0001_initial"),
        ("piles", "0003_boot_report_and_status_history"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
