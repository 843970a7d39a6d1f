from celery import shared_task

from .services import export_job_run, export_jobs_expire, import_job_check, import_job_run, import_jobs_expire


@shared_task
def import_job_check_task(job_id: int) -> None:
    import_job_check(job_id=job_id)


@shared_task
def import_job_run_task(job_id: int) -> None:
    import_job_run(job_id=job_id)


@shared_task
def import_jobs_expire_task() -> int:
    return import_jobs_expire()


@shared_task
def export_job_run_task(job_id: int) -> None:
    export_job_run(job_id=job_id)


@shared_task
def export_jobs_expire_task() -> int:
    return export_jobs_expire()
