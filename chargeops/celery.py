import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargeops.settings")

app = Celery("chargeops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic schedule lives here, each with the reason for its interval. Later work adds
# offline detection and roll-ups.
app.conf.beat_schedule = {}
