from django.db import migrations


def update_roles(apps, schema_editor):
    from accounts.roles import role_groups_sync

    role_groups_sync(apps)


class Migration(migrations.Migration):
    """Technicians may claim and complete work orders; operator admins assign, confirm and send
    them back."""

    dependencies = [
        ("accounts", "0005_operator_auto_work_orders_user_areas"),
        ("maintenance", "0003_alter_workorder_options"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
