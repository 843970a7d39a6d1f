"""Time the batch import of piles at its largest file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chargeops_bench_import \\
        .venv/bin/python bench/pile_import.py [--rows 10000]

On a fresh PostgreSQL database: a network of 50 stations, a workbook of N pile rows (two guns
each) made from the template's columns, then the times of each step of the import job: the
upload request, the check task (what the preview costs) and the import task (what the
confirmation costs, audit entries included). Then the round trip: the piles exported as a
filled template and imported again, which must find every one unchanged. Not part of the
test run.
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

    from piles.importer import PileImporter

    book = Workbook()
    sheet = book.active
    sheet.append([column.label for column in PileImporter().columns()])
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
    from unittest import mock

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection

    from audit.models import AuditEntry
    from chargeops import tasks
    from chargeops.services import import_job_check, import_job_confirm, import_job_create, import_job_run
    from piles.importer import PileImporter
    from piles.models import Gun, Pile

    connection.close()
    call_command("migrate", verbosity=0)
    user = network_create()
    content = workbook(rows)

    def upload(content: bytes, *, confirm: bool = True):
        """What the web request does (store, queue), then the check task, then the confirmation
        and the import task, each timed; the tasks are called as the worker calls them."""
        times = {}
        started = time.monotonic()
        with mock.patch.object(tasks.import_job_check_task, "delay"):
            job = import_job_create(
                user=user, kind="piles", file=SimpleUploadedFile("bench.xlsx", content), update_existing=True
            )
        times["upload request"] = time.monotonic() - started
        started = time.monotonic()
        job = import_job_check(job_id=job.pk)
        times["check task (the preview)"] = time.monotonic() - started
        assert job.status == "checked", job.errors[:5]
        if not confirm:
            return job, times
        started = time.monotonic()
        with mock.patch.object(tasks.import_job_run_task, "delay"):
            import_job_confirm(user=user, job=job)
        job = import_job_run(job_id=job.pk)
        times["import task (the confirmation)"] = time.monotonic() - started
        assert job.status == "done", job.message
        return job, times

    job, times = upload(content)
    assert (Pile.objects.count(), Gun.objects.count()) == (rows, 2 * rows)
    print(f"{rows:,} rows, {len(content) / 1024:.0f} KB workbook: new piles")
    for name, seconds in times.items():
        print(f"  {name:32} {seconds:6.2f} s")
    entries = AuditEntry.objects.count()
    print(f"  {'total':32} {sum(times.values()):6.2f} s   ({job.created:,} created, {entries:,} audit entries)")

    started = time.monotonic()
    exported = PileImporter().template_build(user=user, rows=PileImporter().export_rows(user=user, limit=rows))
    export_time = time.monotonic() - started
    job, times = upload(exported, confirm=False)
    assert (job.to_create, job.to_update, job.unchanged, job.can_confirm) == (0, 0, rows, False)
    assert AuditEntry.objects.count() == entries
    print(f"the same {rows:,} piles exported ({export_time:.2f} s) and uploaded again with updates: all unchanged")
    for name, seconds in times.items():
        print(f"  {name:32} {seconds:6.2f} s")
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
