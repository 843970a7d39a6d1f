from celery import shared_task

from .services import piles_mark_silent_offline


@shared_task
def piles_mark_silent_offline_task() -> int:
    return piles_mark_silent_offline()
