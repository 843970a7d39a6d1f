from django.db import migrations


def update_roles(apps, schema_editor):
    from accounts.roles import role_groups_sync

    role_groups_sync(apps)


class Migration(migrations.Migration):
    """Operator admins read the audit log."""

    dependencies = [
        ("accounts", "0006_role_groups_work_orders"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
