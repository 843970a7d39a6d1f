"""django-payments reports a payment's new status by its `status_changed` signal; a confirmed
top-up is credited to its wallet here (once: `top_up_credit` checks)."""

from django.dispatch import receiver
from payments import PaymentStatus
from payments.signals import status_changed

from .models import TopUp


@receiver(status_changed, sender=TopUp)
def top_up_status_changed(sender, instance: TopUp, **kwargs):
    if instance.status == PaymentStatus.CONFIRMED:
        from .services import top_up_credit

        top_up_credit(top_up=instance)
