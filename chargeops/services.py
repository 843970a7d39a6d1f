"""The batch import's job, for every kind of object: upload, check, confirm, import, expire;
and the export written in the background (`export_job_create`, `export_job_run`).

The web request only stores the upload and queues its check (`import_job_create`); a Celery
task checks it (`import_job_check`), the uploader confirms the preview (`import_job_confirm`),
and another task imports it (`import_job_run`). Without Redis the tasks run in the request
that queued them, so the embedded default works the same, only without a moving progress bar.

A phase is claimed with a conditional UPDATE of the job's status, so a task delivered twice
does its work once. Progress is kept in the cache, not the database: the import's own
transaction would hide it from the page until the end.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, QueryDict
from django.urls import resolve
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .choices import ExportStatus, ImportStatus
from .imports import ImportPlan, Progress, importer_for, package_check
from .models import ExportJob, ImportJob

logger = logging.getLogger(__name__)

# What a job keeps of its check for the page; the page says how many more there are.
ERRORS_KEPT = 500
PREVIEW_KEPT = 200


@transaction.atomic
def import_job_create(*, user, kind: str, file, update_existing: bool) -> ImportJob:
    """Keep an upload and queue its check. What cannot be an .xlsx at all (a renamed CSV, a
    zip bomb, a file too large) is refused here and never stored."""
    from .tasks import import_job_check_task

    importer = importer_for(kind)
    if not user.has_perm(importer.permission("add")):
        raise ValidationError(_("You may not import %(things)s.") % {"things": importer.noun_plural})
    package_check(file)
    job = ImportJob(
        operator_id=user.operator_id,
        user=user,
        kind=kind,
        file_name=(getattr(file, "name", "") or "upload.xlsx")[:255],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        update_existing=update_existing and user.has_perm(importer.permission("change")),
    )
    file.seek(0)
    job.file.save("upload.xlsx", file, save=False)
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: import_job_check_task.delay(job.pk))
    return job


def _claim(job_id: int, waiting: str, running: str) -> ImportJob | None:
    """Move a job from `waiting` to `running`, unless another task already did."""
    now = timezone.now()
    if not ImportJob.objects.filter(pk=job_id, status=waiting).update(status=running, started_at=now):
        return None
    return ImportJob.objects.select_related("user").get(pk=job_id)


def progress_key(job: ImportJob | ExportJob) -> str:
    return f"{job._meta.model_name}:{job.pk}:progress"


def job_progress(job: ImportJob | ExportJob) -> dict | None:
    """{"phase", "done", "total", "percent"} of a running import or export, as its task last
    reported it; the percentage is None while the total is not known."""
    progress = cache.get(progress_key(job)) if job.is_running else None
    if progress is not None:
        progress["percent"] = round(100 * progress["done"] / progress["total"]) if progress["total"] else None
    return progress


def progress_reporter(job: ImportJob | ExportJob, phase: str, total: int = 0) -> Progress:
    """A callback that reports a phase's progress about a hundred times, not once per row."""
    step = max(total // 100, 100)

    def report(done: int) -> None:
        if done % step == 0 or done == total:
            cache.set(progress_key(job), {"phase": phase, "done": done, "total": total}, timeout=3600)

    report(0)
    return report


def _plan_keep(job: ImportJob, plan: ImportPlan, importer) -> None:
    job.to_create, job.to_update, job.unchanged = plan.created, plan.updated, plan.unchanged
    job.error_count, job.bad_rows = len(plan.errors), plan.bad_rows
    job.errors = [list(error) for error in plan.errors[:ERRORS_KEPT]]
    job.preview = [
        [row.number, "update" if row.target is not None else "create", *importer.preview_row(row)]
        for row in plan.rows[:PREVIEW_KEPT]
    ]


def _finish(job: ImportJob, status: str, message: str = "") -> None:
    """End a phase: the file is kept only while the import can still be confirmed."""
    job.status, job.message = status, message
    if status != ImportStatus.CHECKED:
        job.finished_at = timezone.now()
        if job.file:
            job.file.delete(save=False)
    job.save()
    cache.delete(progress_key(job))


def _read_and_check(job: ImportJob, importer) -> ImportPlan:
    with job.file.open("rb") as stored:
        rows = importer.read(stored, progress_reporter(job, "reading"))
    job.row_count = len(rows)
    return importer.check(
        user=job.user,
        rows=rows,
        update_existing=job.update_existing,
        progress=progress_reporter(job, "checking", len(rows)),
    )


def _attempt(job: ImportJob, status: str, unexpected: str, work: Callable):
    """Run a phase's work. A refusal (a ValidationError) or a crash ends the job with `status`
    and says why (a crash's trace goes to the log); the result is None then."""
    try:
        return work()
    except ValidationError as error:
        _finish(job, status, " ".join(error.messages))
    except Exception:
        logger.exception("Import %s stopped", job.pk)
        _finish(job, status, unexpected)
    return None


def import_job_check(*, job_id: int) -> ImportJob | None:
    """Read and check a waiting upload: the preview's figures, problems and rows."""
    job = _claim(job_id, ImportStatus.PENDING, ImportStatus.CHECKING)
    if job is None:
        return None
    importer = importer_for(job.kind)
    with translation.override(job.language):
        unexpected = _("The file could not be checked because of an unexpected error.")
        plan = _attempt(job, ImportStatus.REFUSED, unexpected, lambda: _read_and_check(job, importer))
        if plan is not None:
            _plan_keep(job, plan, importer)
            _finish(job, ImportStatus.CHECKED if plan.is_valid else ImportStatus.PROBLEMS)
    return job


@transaction.atomic
def import_job_confirm(*, user, job: ImportJob) -> ImportJob:
    """Queue the import of a checked upload; only the person who uploaded it confirms it."""
    from .tasks import import_job_run_task

    job.refresh_from_db()
    if job.user_id != user.pk:
        raise ValidationError(_("Only the person who uploaded this file can confirm its import."))
    if job.status == ImportStatus.EXPIRED or (job.status == ImportStatus.CHECKED and not job.file):
        raise ValidationError(_("This import has expired. Upload the file again."))
    # Conditional: of two confirmations at once, one queues the import.
    if not job.can_confirm or not ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ImportStatus.QUEUED
    ):
        raise ValidationError(
            _("This import cannot be confirmed now: it is “%(status)s”.") % {"status": job.get_status_display()}
        )
    job.status = ImportStatus.QUEUED
    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import a confirmed upload: read and check it again (objects may have been added or
    changed since the preview), then write every row, or none (the write's transaction is
    undone by any refusal or crash)."""
    job = _claim(job_id, ImportStatus.QUEUED, ImportStatus.IMPORTING)
    if job is None:
        return None
    importer = importer_for(job.kind)
    with translation.override(job.language):
        unexpected = _("The import stopped on an unexpected error: nothing was imported.")
        plan = _attempt(job, ImportStatus.FAILED, unexpected, lambda: _read_and_check(job, importer))
        if plan is None:
            return job
        if plan.errors:
            _plan_keep(job, plan, importer)
            things = importer.noun_plural.capitalize()
            _finish(
                job,
                ImportStatus.FAILED,
                _("%(things)s changed since the preview: nothing was imported.") % {"things": things},
            )
            return job
        progress = progress_reporter(job, "writing", len(plan.rows))
        result = _attempt(
            job, ImportStatus.FAILED, unexpected, lambda: importer.write(user=job.user, plan=plan, progress=progress)
        )
        if result is not None:
            job.created, job.updated, job.unchanged = result.created, result.updated, result.unchanged
            _finish(job, ImportStatus.DONE)
    return job


def import_jobs_expire(*, now=None) -> int:
    """Housekeeping: a checked upload not confirmed within IMPORT_KEEP_HOURS expires and its
    file goes; a phase that has run for an hour is taken as stopped (its worker died, and its
    transaction with it); jobs are forgotten after IMPORT_HISTORY_DAYS."""
    now = now or timezone.now()
    count = 0
    stale = ImportJob.objects.filter(
        status=ImportStatus.CHECKED, created_at__lt=now - timedelta(hours=settings.IMPORT_KEEP_HOURS)
    )
    for job in stale:
        _finish(job, ImportStatus.EXPIRED, _("Not confirmed in time: upload the file again."))
        count += 1
    for job in _stopped(ImportJob.objects.filter(status__in=ImportStatus.running()), now):
        _finish(job, ImportStatus.FAILED, _("The import stopped unexpectedly: nothing was imported."))
        count += 1
    return count + _forget(ImportJob.objects.filter(created_at__lt=now - timedelta(days=settings.IMPORT_HISTORY_DAYS)))


def _stopped(running, now):
    """The jobs of `running` (imports or exports still running) whose phase began an hour
    ago or more, or that have waited that long for a worker: their worker died."""
    hour_ago = now - timedelta(hours=1)
    return running.filter(Q(started_at__lt=hour_ago) | Q(started_at__isnull=True, created_at__lt=hour_ago))


def _forget(jobs) -> int:
    """Delete `jobs` (imports or exports) and their files; how many there were."""
    for job in jobs.exclude(file=""):
        job.file.delete(save=False)
    return jobs.delete()[0]


def export_job_create(*, user, title: str, path: str, export_format: str) -> ExportJob:
    """Queue the export of a page's table (`path`, with its filters, `export` and `table`)."""
    from .tasks import export_job_run_task

    job = ExportJob.objects.create(
        user=user,
        title=title[:200],
        path=path,
        export_format=export_format,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    transaction.on_commit(lambda: export_job_run_task.delay(job.pk))
    return job


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write a queued export: its page is read again as its user, in their language (their
    permissions and operator decide its rows, as on the page), and its table written into
    the job's file."""
    now = timezone.now()
    if not ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now
    ):
        return None
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    with translation.override(job.language):
        try:
            _export_page(job)
        except (PermissionDenied, Http404):
            pass  # the page is no longer the user's to read: no file
        except Exception:
            logger.exception("Export %s stopped", job.pk)
        if job.file:
            job.status = ExportStatus.DONE
        else:
            job.status = ExportStatus.FAILED
            job.message = _("The export could not be written: open the page again and export from there.")
    job.finished_at = timezone.now()
    job.save()
    cache.delete(progress_key(job))
    return job


def _export_page(job: ExportJob):
    """The job's page, read as its user with the job on the request (`table_export_response`
    then writes the file into it)."""
    path, _mark, query = job.path.partition("?")
    match = resolve(path)
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.GET = QueryDict(query)
    request.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "80", "QUERY_STRING": query}
    request.user = job.user
    request.export_job = job
    return match.func(request, *match.args, **match.kwargs)


def export_jobs_expire(*, now=None) -> int:
    """Housekeeping: an export's file is kept EXPORT_KEEP_HOURS, then the export is forgotten;
    one that has run for an hour is taken as stopped (its worker died)."""
    now = now or timezone.now()
    count = _stopped(ExportJob.objects.filter(status__in=ExportStatus.running()), now).update(
        status=ExportStatus.FAILED,
        finished_at=now,
        message=_("The export stopped unexpectedly: export from its page again."),
    )
    return count + _forget(ExportJob.objects.filter(created_at__lt=now - timedelta(hours=settings.EXPORT_KEEP_HOURS)))
