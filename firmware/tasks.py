from celery import shared_task

from .services import upgrades_check


@shared_task
def upgrades_check_task() -> int:
    return upgrades_check()
