from celery import shared_task

from .services import orders_close_abnormal


@shared_task
def orders_close_abnormal_task() -> int:
    return orders_close_abnormal()
