from django.db import migrations


def update_roles(apps, schema_editor):
    from accounts.roles import role_groups_sync

    role_groups_sync(apps)


class Migration(migrations.Migration):
    """Operator admins upload firmware and start upgrades; analysts and technicians read them."""

    dependencies = [
        ("accounts", "0007_roles"),
        ("firmware", "0001_initial"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
