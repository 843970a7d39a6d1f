"""Settings read from the environment: the embedded default works with nothing set, and a
production start without a secret key fails loudly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def django_setup(env: dict) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    clean = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": "chargeops.settings"} | env,
        capture_output=True,
        text=True,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = django_setup({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_default_needs_nothing_but_debug_or_a_key():
    assert django_setup({"DEBUG": "true"}).stdout.strip() == "django.db.backends.sqlite3"
    assert django_setup({"SECRET_KEY": "x" * 50}).stdout.strip() == "django.db.backends.sqlite3"
    result = django_setup({"DEBUG": "true", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/chargeops"})
    assert result.stdout.strip() == "chargeops.postgresql"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default is SQLite; this run uses another database")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000


@pytest.mark.django_db
def test_postgresql_plans_without_jit_and_with_parallel_workers_for_large_scans_only():
    if connection.vendor != "postgresql":
        pytest.skip("the settings of a PostgreSQL connection; this run uses another database")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('parallel_setup_cost')")
        assert cursor.fetchone() == ("off", "10000")


@pytest.mark.django_db
def test_postgresql_reads_timestamps_through_psycopgs_own_loader_as_django_reads_them():
    if connection.vendor != "postgresql":
        pytest.skip("the timestamps of a PostgreSQL connection; this run uses another database")
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    from chargeops.postgresql.base import TIMESTAMPTZ, NativeLoader, TimestamptzLoader

    values = [
        "1969-07-20 20:17:40.5+00",
        "2026-03-29 01:30:00.123456+00",
        "2026-10-25 00:59:59.999999+00",
        "2026-12-08 08:00:00+08",
        "0001-01-01 00:00:00+00",
        "9999-12-31 23:59:59.999999+00",
    ]
    sql = "SELECT " + ", ".join(["%s::timestamptz"] * len(values))
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
        cursor.execute(sql, values)
        ours = cursor.fetchone()
        register_tzloader(connection.timezone, cursor.cursor)
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is not loader
        cursor.execute(sql, values)
        djangos = cursor.fetchone()
    assert issubclass(loader, TimestamptzLoader) and loader.timezone is connection.timezone
    assert ours == djangos
    assert [value.tzinfo for value in ours] == [connection.timezone] * len(values)
    # With psycopg's binary package (requirements.txt), its loader is the compiled one.
    assert NativeLoader.__module__.startswith("psycopg_binary")


def test_the_production_settings_pass_the_deploy_check():
    """With HTTPS on, a strong key and its host names, `check --deploy` finds nothing to warn."""
    test_only = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests set the last
    clean = {key: value for key, value in os.environ.items() if key not in test_only}
    production = {"SECRET_KEY": "k" * 20 + "-Zq9!" * 10, "HTTPS": "true", "ALLOWED_HOSTS": "ops.example.com"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": "chargeops.settings"} | production,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_dummy_payment_provider_is_refused_without_debug_and_paypal_needs_its_settings():
    production = {"SECRET_KEY": "x" * 50}
    dummy = django_setup(production | {"PAYMENT_PROVIDER": "dummy"})
    assert dummy.returncode != 0 and "DEBUG only" in dummy.stderr
    paypal = django_setup(production | {"PAYMENT_PROVIDER": "paypal", "PAYPAL_CLIENT_ID": "a", "PAYPAL_SECRET": "b"})
    assert paypal.returncode != 0 and "PAYMENT_HOST" in paypal.stderr
    full = {"PAYMENT_HOST": "charge.example.com", "PAYPAL_CLIENT_ID": "a", "PAYPAL_SECRET": "b"}
    assert django_setup(production | {"PAYMENT_PROVIDER": "paypal"} | full).returncode == 0
    assert django_setup(production).returncode == 0  # no provider: top-ups are closed
