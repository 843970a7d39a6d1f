"""Time the batch import of piles at its largest file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chargeops_bench_import \\
        .venv/bin/python bench/pile_import.py [--rows 10000]

On a fresh PostgreSQL database: a network of 50 stations, a workbook of N pile rows (two guns
each) made from the downloaded template's columns, then the times of reading + checking the
file (what the preview costs) and of importing it through the services (what the confirmation
costs, audit entries included). Not part of the test run.
"""

import argparse
import os
import sys
import time
from decimal import Decimal
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargeops.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")

STATIONS = 50

from dashboard import database_reset  # noqa: E402  (the same fresh database as the dashboard bench)


def network_create():
    from django.contrib.auth.models import Group

    from accounts.choices import Role
    from accounts.models import Operator, User
    from stations.models import Area, Station

    operator = Operator.objects.create(name="Bench Charging", time_zone="Asia/Shanghai")
    admin = User.objects.create_user("bench", operator=operator)
    admin.groups.add(Group.objects.get(name=Role.OPERATOR_ADMIN))
    area = Area.objects.create(operator=operator, name="Area")
    for n in range(STATIONS):
        Station.objects.create(
            area=area,
            name=f"Station {n:03d}",
            address=f"{n} Bench Road",
            latitude=Decimal("31.2"),
            longitude=Decimal("121.4"),
            time_zone="Asia/Shanghai",
        )
    return User.objects.get(pk=admin.pk)


def workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    from piles.importer import import_columns

    book = Workbook()
    sheet = book.active
    sheet.append([column.label for column in import_columns()])
    for n in range(rows):
        station = f"Station {n % STATIONS:03d}"
        sheet.append(
            [
                station,
                f"Pile {n:05d}",
                f"BENCH-{n:05d}",
                "XingBang",
                "XB-120",
                "",
                120,
                200,
                750,
                "DC",
                2,
                "CCS2, GB/T DC",
                "Enabled",
            ]
        )
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(rows: int, url: str) -> None:
    import django

    database_reset(url)
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from audit.models import AuditEntry
    from piles.importer import import_rows_validate, pile_sheet_read
    from piles.models import Gun, Pile
    from piles.services import piles_import

    connection.close()
    call_command("migrate", verbosity=0)
    user = network_create()
    content = workbook(rows)

    started = time.monotonic()
    sheet = pile_sheet_read(BytesIO(content))
    read = time.monotonic() - started
    plan = import_rows_validate(user=user, rows=sheet.rows, update_existing=False)
    checked = time.monotonic() - started
    assert plan.is_valid, plan.errors[:5]

    started = time.monotonic()
    result = piles_import(user=user, plan=plan)
    imported = time.monotonic() - started
    assert (Pile.objects.count(), Gun.objects.count()) == (rows, 2 * rows)

    print(f"{rows:,} rows, {len(content) / 1024:.0f} KB workbook")
    print(f"  read           {read:6.2f} s")
    print(f"  read + check   {checked:6.2f} s   (the preview)")
    print(f"  import         {imported:6.2f} s   (the confirmation: {result.created:,} piles created)")
    print(f"  total          {checked + imported:6.2f} s   ({AuditEntry.objects.count():,} audit entries)")
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database the benchmark may drop and create.")
    run(options.rows, url)


if __name__ == "__main__":
    main()
