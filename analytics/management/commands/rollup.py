import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.services import rollups_rebuild, rollups_refresh


class Command(BaseCommand):
    help = (
        "Bring the daily roll-ups up to date. Without options, recompute the days that changes marked "
        "(what Celery beat runs every minute); --since DATE recomputes every day from DATE on, --full "
        "every day since each station's first data."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--since", type=self.parse_date, help="Recompute every day from this date (YYYY-MM-DD).")
        group.add_argument("--full", action="store_true", help="Recompute every day of every station.")

    @staticmethod
    def parse_date(value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise CommandError(f"--since takes a date as YYYY-MM-DD, not “{value}”.") from error

    def handle(self, *args, since, full, **options):
        started = time.monotonic()
        days = rollups_rebuild(since=since) if full or since else rollups_refresh()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Recomputed {days:,} station-days in {elapsed:.2f} s."))
