import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargeops.settings")

app = Celery("chargeops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic schedule lives here, each with the reason for its interval. Without Redis
# (the embedded default) there is no beat, and the OCPP gateway runs the same services itself.
app.conf.beat_schedule = {
    # A pile is offline after two heartbeat intervals of silence (at least 20 s, usually 10
    # minutes); checking every minute shows it within a minute of that.
    "piles-mark-silent-offline": {"task": "piles.tasks.piles_mark_silent_offline_task", "schedule": 60.0},
    # The abnormal-order timeout is counted in hours; a quarter-hour check is close enough.
    "orders-close-abnormal": {"task": "orders.tasks.orders_close_abnormal_task", "schedule": 900.0},
    # Roll-ups recompute only the days changes marked, so a minute keeps past days' figures
    # (late orders, edits) at most a minute behind; today's figures are read live anyway.
    "analytics-rollups-update": {"task": "analytics.tasks.rollups_update_task", "schedule": 60.0},
    # A pile silent about its upgrade fails FIRMWARE_REPORT_TIMEOUT_SECONDS (an hour) after its
    # last step, and a minute's check is close enough to that; it also sends, within a minute,
    # upgrades whose pile's "car left" or "connected" report went missing.
    "firmware-upgrades-check": {"task": "firmware.tasks.upgrades_check_task", "schedule": 60.0},
    # A driver's wallet sessions are stopped when their cost reaches the balance; a charger adds
    # cents per minute, so checking every half minute keeps a wallet within cents of zero. The
    # same check credits a confirmed top-up whose credit failed.
    "drivers-wallets-check": {"task": "drivers.tasks.wallets_check_task", "schedule": 30.0},
    # Unconfirmed uploads are kept for a day (IMPORT_KEEP_HOURS); an hourly sweep removes them
    # within the hour after, and finds imports whose worker died.
    "imports-expire": {"task": "chargeops.tasks.import_jobs_expire_task", "schedule": 3600.0},
    # Exports are kept for days (EXPORT_KEEP_HOURS); an hourly sweep removes them within the
    # hour after, and finds exports whose worker died.
    "exports-expire": {"task": "chargeops.tasks.export_jobs_expire_task", "schedule": 3600.0},
}
