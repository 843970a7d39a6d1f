"""Test override: fast password hashing, eager Celery, an in-process cache, a throwaway SQLite
file when no DATABASE_URL is set (PostgreSQL in CI)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret")

from .settings import *  # noqa: E402, F403
from .settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Wallet top-ups through the dummy provider, with DEBUG on or off.
PAYMENT_PROVIDER = "dummy"
PAYMENT_VARIANTS = {"default": ("payments.dummy.DummyProvider", {})}
# Each test process its own cache, emptied per test (tests/conftest.py), never the shared Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": "test-chargeops.sqlite3"}
