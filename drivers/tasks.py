from celery import shared_task

from .services import wallet_sessions_guard


@shared_task
def wallet_sessions_guard_task() -> int:
    return wallet_sessions_guard()
