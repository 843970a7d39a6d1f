"""Orders saved one by one (the admin, corrections, tests) mark their days for the roll-ups,
including the day an edit moved the order away from. The services that write orders in bulk
mark the days themselves."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from orders.models import ChargingOrder
from stations.models import Station

from .services import rollup_mark


@receiver(pre_save, sender=ChargingOrder)
def order_day_before(sender, instance, raw=False, **kwargs):
    if instance.pk and not raw:
        instance._rollup_before = (
            ChargingOrder.objects.filter(pk=instance.pk).values_list("station_id", "started_at").first()
        )


@receiver(post_save, sender=ChargingOrder)
@receiver(post_delete, sender=ChargingOrder)
def order_day_mark(sender, instance, raw=False, **kwargs):
    if raw:
        return
    moments = [(instance.station, instance.started_at)]
    before = getattr(instance, "_rollup_before", None)
    if before and before != (instance.station_id, instance.started_at):
        station_id, started_at = before
        station = instance.station if station_id == instance.station_id else Station.objects.get(pk=station_id)
        moments.append((station, started_at))
    rollup_mark(moments=moments)
