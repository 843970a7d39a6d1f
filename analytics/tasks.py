from celery import shared_task

from .services import rollups_refresh


@shared_task
def rollups_update_task() -> int:
    return rollups_refresh()
