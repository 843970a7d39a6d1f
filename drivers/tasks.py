from celery import shared_task

from .services import top_ups_reconcile, wallet_sessions_guard


@shared_task
def wallets_check_task() -> tuple[int, int]:
    return wallet_sessions_guard(), top_ups_reconcile()
