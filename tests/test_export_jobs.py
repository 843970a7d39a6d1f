"""Exports too large to write while the user waits: queued, written in the background as the
user who asked and in their language, the same rows and cells as the page's own export, and
downloaded by that user alone until they expire."""

from datetime import UTC, datetime, timedelta
from io import BytesIO, StringIO

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.choices import Role
from chargeops import export
from chargeops.choices import ExportStatus
from chargeops.models import ExportJob
from chargeops.services import (
    export_job_create,
    export_job_run,
    export_jobs_expire,
    progress_key,
    progress_reporter,
)
from orders.models import ChargingOrder
from orders.tables import OrderTable

from .factories import ChargingOrderFactory, UserFactory


@pytest.fixture
def orders(admin_user, other_operator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mine = [ChargingOrderFactory(gun__pile__station__area__operator=admin_user.operator) for _n in range(3)]
    ChargingOrderFactory(gun__pile__station__area__operator=other_operator)
    return mine


def sheet_values(content: bytes) -> list[tuple]:
    return list(load_workbook(BytesIO(content)).active.values)


def exported(client, path, params, django_capture_on_commit_callbacks, monkeypatch):
    """Ask for an export past the rows written at once; the job that follows."""
    monkeypatch.setattr(export, "EXPORT_ROWS_NOW", 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(path, params)
    assert response.status_code == 302 and response.url == "/exports/"
    return ExportJob.objects.get(), response


def test_a_large_export_is_written_in_the_background_for_its_user(
    client, admin_user, orders, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(admin_user)
    params = {"export": "xlsx", "status": "completed"}
    job, response = exported(client, "/orders/", params, django_capture_on_commit_callbacks, monkeypatch)
    assert (job.user, job.status, job.row_count, job.path) == (
        admin_user,
        ExportStatus.DONE,
        3,
        "/orders/?export=xlsx&status=completed",
    )
    admin_user.operator.time_zone = "Asia/Shanghai"
    admin_user.operator.save()
    ExportJob.objects.filter(pk=job.pk).update(created_at=datetime(2026, 3, 1, 0, 30, tzinfo=UTC))
    page = client.get(response.url).content.decode()
    assert "The 3 rows of “Charging orders” are being written" in page
    assert "2026-03-01 08:30" in page  # asked for at, in the operator's time zone
    download = f"/exports/{job.pk}/download/"
    assert download in page and "Ready" in page
    response = client.get(download)
    assert response.status_code == 200 and job.file_name in response["Content-Disposition"]
    background = sheet_values(b"".join(response.streaming_content))
    # The same rows and cells as the export the page writes at once.
    monkeypatch.setattr(export, "EXPORT_ROWS_NOW", 100)
    assert background == sheet_values(client.get("/orders/", params).content)
    assert len(background) == 1 + len(orders)


def test_an_export_being_written_shows_how_far_it_has_come(client, admin_user, orders):
    job = ExportJob.objects.create(
        user=admin_user, title="Charging orders", path="/orders/?export=xlsx", export_format="xlsx", language="en"
    )
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    job.refresh_from_db()
    progress_reporter(job, "writing", 10_000)(4_000)
    client.force_login(admin_user)
    page = client.get("/exports/").content.decode()
    assert "4,000 of 10,000 rows (40%)" in page and 'value="40"' in page
    assert 'data-refresh-while-waiting="2000"' in page
    # The rows are told as they go by, and the report goes when the export ends.
    seen = []
    rows = list(export.table_rows(OrderTable(ChargingOrder.objects.order_by("pk")), seen.append))
    assert seen == [1, 2, 3, 4] and len(rows) == 1 + 4
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.QUEUED)
    export_job_run(job_id=job.pk)
    assert cache.get(progress_key(job)) is None
    assert "data-refresh-while-waiting" not in client.get("/exports/").content.decode()


def test_only_the_user_who_asked_sees_and_downloads_an_export(
    client, admin_user, orders, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(admin_user)
    job, _response = exported(client, "/orders/", {"export": "csv"}, django_capture_on_commit_callbacks, monkeypatch)
    colleague = UserFactory(operator=admin_user.operator, role=Role.OPERATOR_ADMIN)
    platform_admin = UserFactory(operator=None, is_superuser=True)
    for someone_else in (colleague, platform_admin):
        client.force_login(someone_else)
        assert client.get(f"/exports/{job.pk}/download/").status_code == 404
        assert "Nothing has been exported here yet." in client.get("/exports/").content.decode()
    client.logout()
    response = client.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_statistics_table_is_written_in_the_language_it_was_asked_in(
    client, admin_user, orders, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(admin_user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    start = min(order.started_at for order in orders).date() - timedelta(days=1)
    params = {"export": "csv", "table": "orders", "start": start, "end": timezone.localdate() + timedelta(days=1)}
    job, _response = exported(client, "/analytics/orders/", params, django_capture_on_commit_callbacks, monkeypatch)
    assert job.language == "zh-hans" and job.status == ExportStatus.DONE and job.file_name.endswith(".csv")
    content = b"".join(client.get(f"/exports/{job.pk}/download/").streaming_content)
    # A byte order mark first, by which Excel reads the Chinese as UTF-8.
    assert content.startswith(b"\xef\xbb\xbf")
    header, *rows = list(StringIO(content.decode("utf-8-sig")))
    assert header.startswith("订单编号") and len(rows) == len(orders)


def test_an_export_of_a_page_the_user_may_no_longer_read_fails_with_a_reason(admin_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        job = export_job_create(user=admin_user, title="Orders", path="/orders/?export=xlsx", export_format="xlsx")
    admin_user.groups.clear()
    job = export_job_run(job_id=job.pk)
    assert job.status == ExportStatus.FAILED and not job.file and "could not be written" in job.message
    # Delivered twice, a task writes once.
    assert export_job_run(job_id=job.pk) is None


def test_exports_expire_with_their_files(
    client, admin_user, orders, django_capture_on_commit_callbacks, monkeypatch, tmp_path
):
    client.force_login(admin_user)
    job, _response = exported(client, "/orders/", {"export": "xlsx"}, django_capture_on_commit_callbacks, monkeypatch)
    stuck = ExportJob.objects.create(
        user=admin_user, title="Stuck", path="/orders/?export=csv", export_format="csv", language="en"
    )
    ExportJob.objects.filter(pk=stuck.pk).update(status=ExportStatus.RUNNING, started_at=timezone.now())
    stored = tmp_path / job.file.name
    assert stored.exists()
    assert export_jobs_expire(now=timezone.now() + timedelta(minutes=30)) == 0
    assert export_jobs_expire(now=timezone.now() + timedelta(hours=2)) == 1
    stuck.refresh_from_db()
    assert stuck.status == ExportStatus.FAILED and "stopped" in stuck.message
    later = timezone.now() + timedelta(hours=django_settings.EXPORT_KEEP_HOURS, minutes=1)
    assert export_jobs_expire(now=later) == 2
    assert not ExportJob.objects.exists() and not stored.exists()


def test_an_export_past_what_a_spreadsheet_holds_is_still_refused(client, admin_user, orders, monkeypatch):
    client.force_login(admin_user)
    monkeypatch.setattr(export, "EXPORT_ROWS_NOW", 1)
    monkeypatch.setattr(export, "EXPORT_ROWS", 2)
    response = client.get("/orders/", {"export": "xlsx"})
    assert response.status_code == 302 and response.url == "/orders/"
    assert not ExportJob.objects.exists()
