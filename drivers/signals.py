"""django-payments reports a payment's new status by its `status_changed` signal: a confirmed
top-up is credited to its wallet here, and one the provider refunded is taken back out (each
once: the services check)."""

from django.dispatch import receiver
from payments import PaymentStatus
from payments.signals import status_changed

from .models import TopUp


@receiver(status_changed, sender=TopUp)
def top_up_status_changed(sender, instance: TopUp, **kwargs):
    from .services import top_up_credit, top_up_return

    if instance.status == PaymentStatus.CONFIRMED:
        top_up_credit(top_up=instance)
    elif instance.status == PaymentStatus.REFUNDED:
        top_up_return(top_up=instance)
