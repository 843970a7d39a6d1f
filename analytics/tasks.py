from celery import shared_task

from .services import rollup_days_close, rollups_update


@shared_task
def rollups_update_task() -> int:
    rollup_days_close()
    return rollups_update()
