"""The generic import job: phases claimed once, progress on the page, expiry, and one test
with a real Celery worker (over Redis when REDIS_URL is set, as in CI) doing the work while
the page is read."""

import time
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from chargeops.choices import ImportStatus
from chargeops.models import ImportJob
from chargeops.services import (
    import_job_check,
    import_job_confirm,
    import_job_create,
    import_job_run,
    import_jobs_expire,
    progress_reporter,
)
from piles.models import Pile

from .factories import AreaFactory, OperatorFactory, StationFactory, UserFactory
from .test_pile_import import PILES, row, workbook_bytes


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def station(operator):
    return StationFactory(area=AreaFactory(operator=operator), name="Harbour Road")


def workbook(count: int) -> bytes:
    book = PILES.template_build(user=None, rows=[])
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(book))
    for number in range(count):
        sheet.worksheets[0].append(row(charge_point_id=f"JOB-{number:04d}"))
    return workbook_bytes(sheet)


def upload_file(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("piles.xlsx", content)


def queued_job(user, content: bytes) -> ImportJob:
    """A job as the upload leaves it: stored and waiting, its check not yet run."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        return import_job_create(user=user, kind="piles", file=upload_file(content), update_existing=False)


def test_a_phase_delivered_twice_is_done_once(admin_user, station):
    job = queued_job(admin_user, workbook(3))
    assert job.status == ImportStatus.PENDING and job.file
    assert import_job_check(job_id=job.pk).status == ImportStatus.CHECKED
    assert import_job_check(job_id=job.pk) is None
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        import_job_confirm(user=admin_user, job=job)
    assert len(queued) == 1, "the confirmation queues the import once its transaction commits"
    assert import_job_run(job_id=job.pk).created == 3
    assert import_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.created, bool(job.file), Pile.objects.count()) == (ImportStatus.DONE, 3, False, 3)


def test_someone_who_may_not_add_piles_cannot_start_an_import(operator, station, media):
    analyst = UserFactory(operator=operator, role=Role.ANALYST)
    with pytest.raises(ValidationError, match="may not import"):
        import_job_create(user=analyst, kind="piles", file=upload_file(workbook(1)), update_existing=False)
    assert ImportJob.objects.count() == 0 and not any(path.is_file() for path in media.rglob("*"))


def test_a_running_import_shows_its_progress_and_refreshes_itself_until_it_ends(client, admin_user, station):
    client.force_login(admin_user)
    job = queued_job(admin_user, workbook(3))
    url = reverse("piles:pile_import_job", args=[job.pk])
    waiting = client.get(url).content.decode()
    assert "Waiting for a worker" in waiting and 'data-refresh-while-waiting="1000"' in waiting

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING)
    job.refresh_from_db()
    report = progress_reporter(job, "checking", total=10_000)
    report(4_000)
    report(4_001)  # between two reports: not written, the page still says 40%
    page = client.get(url).content.decode()
    assert "Checking rows" in page and "4,000 of 10,000 rows (40%)" in page and 'value="40"' in page
    assert "You can leave this page" in page

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.PENDING)
    import_job_check(job_id=job.pk)
    done = client.get(url).content.decode()
    assert "data-refresh-while-waiting" not in done and "Rows to import" in done


def test_the_import_page_lists_the_recent_imports_to_come_back_to(client, admin_user, operator, station):
    colleague = UserFactory(operator=operator, role=Role.OPERATOR_ADMIN)
    mine = queued_job(admin_user, workbook(1))
    theirs = queued_job(colleague, workbook(1))
    client.force_login(admin_user)
    page = client.get(reverse("piles:pile_import")).content.decode()
    for job in (mine, theirs):
        assert reverse("piles:pile_import_job", args=[job.pk]) in page
    assert "Waiting to be checked" in page
    # When, in the operator's time zone (as every time of theirs), not the server's UTC.
    operator.time_zone = "Asia/Shanghai"
    operator.save()
    ImportJob.objects.filter(pk=mine.pk).update(created_at=datetime(2026, 3, 1, 0, 30, tzinfo=UTC))
    assert "2026-03-01 08:30" in client.get(reverse("piles:pile_import")).content.decode()
    assert "2026-03-01 08:30" in client.get(reverse("piles:pile_import_job", args=[mine.pk])).content.decode()


def test_unconfirmed_uploads_expire_and_stopped_imports_are_marked_failed(client, admin_user, station, settings):
    now = timezone.now()
    checked = queued_job(admin_user, workbook(1))
    import_job_check(job_id=checked.pk)
    stuck = queued_job(admin_user, workbook(1))
    ImportJob.objects.filter(pk=stuck.pk).update(status=ImportStatus.IMPORTING, started_at=now - timedelta(hours=2))
    fresh = queued_job(admin_user, workbook(1))
    old = ImportJob.objects.create(operator=admin_user.operator, user=admin_user, kind="piles", file_name="old.xlsx")
    ImportJob.objects.filter(pk=old.pk).update(
        status=ImportStatus.DONE, created_at=now - timedelta(days=settings.IMPORT_HISTORY_DAYS + 1)
    )

    assert import_jobs_expire(now=now) == 2, "the import stopped two hours ago, and the forgotten job"
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.FAILED and "stopped unexpectedly" in stuck.message
    assert not ImportJob.objects.filter(pk=old.pk).exists()
    later = now + timedelta(hours=settings.IMPORT_KEEP_HOURS, minutes=1)
    assert import_jobs_expire(now=later) == 2
    checked.refresh_from_db()
    fresh.refresh_from_db()
    assert (checked.status, bool(checked.file)) == (ImportStatus.EXPIRED, False)
    assert (fresh.status, bool(fresh.file)) == (ImportStatus.FAILED, False), "a check never started is over too"
    with pytest.raises(ValidationError, match="expired"):
        import_job_confirm(user=admin_user, job=checked)
    assert Pile.objects.count() == 0


@pytest.fixture
def celery_worker(settings):
    """A real Celery worker in a thread, fed through Redis when REDIS_URL is set (CI), through
    the in-process broker otherwise; tasks are no longer run in the caller. The app's broker
    connection pools are made again for that broker (earlier tests may have made them for
    another), and put back afterwards."""
    from celery.contrib.testing.worker import start_worker

    from chargeops.celery import app

    saved = app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool
    app.conf.task_always_eager, app.conf.broker_url = False, settings.REDIS_URL or "memory://"
    app._pool = app.amqp._producer_pool = None
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)  # no broker: fail here, not by a timeout
        with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
            yield app
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool = saved


def wait_for(job: ImportJob, *statuses, seconds=60) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"import {job.pk} still {job.status}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_checks_and_imports_an_upload_while_the_page_follows_it(client, role_groups, celery_worker):
    operator = OperatorFactory(name="Worker Charging")
    admin = UserFactory(operator=operator, role=Role.OPERATOR_ADMIN)
    StationFactory(area=AreaFactory(operator=operator), name="Harbour Road")
    client.force_login(admin)

    response = client.post(reverse("piles:pile_import"), {"file": upload_file(workbook(300))})
    assert response.status_code == 302, "the request only stores the file and queues its check"
    job = wait_for(ImportJob.objects.get(), ImportStatus.CHECKED, ImportStatus.PROBLEMS)
    assert (job.status, job.to_create, job.row_count) == (ImportStatus.CHECKED, 300, 300)
    page = client.get(response["Location"])
    assert page.context["may_confirm"] and "data-refresh-while-waiting" not in page.content.decode()

    client.post(reverse("piles:pile_import_confirm", args=[job.pk]))
    job = wait_for(job, ImportStatus.DONE, ImportStatus.FAILED)
    assert (job.status, job.created, job.message) == (ImportStatus.DONE, 300, "")
    assert Pile.objects.filter(station__area__operator=operator).count() == 300
    assert "Import finished: 300 created, 0 updated, 0 unchanged." in client.get(response["Location"]).content.decode()
