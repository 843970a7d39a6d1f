import time

from django.core.management.base import BaseCommand, CommandError

from chargeops.demo import SCALES, DemoConflict, demo_load, demo_loaded, demo_logins
from chargeops.demo.catalogue import OPERATORS


class Command(BaseCommand):
    help = (
        "Load the demo data set: two operators with stations, piles, id tags, 13 months of charging orders, "
        "alarms, work orders and a login for every role. Does nothing when the demo operators exist."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=list(SCALES),
            default="small",
            help="tiny: for tests; small: what `make demo` loads; medium: ~300k orders; large: over 1M orders.",
        )
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same data set.")

    def handle(self, *args, scale, seed, verbosity, **options):
        started = time.monotonic()
        if demo_loaded():
            names = ", ".join(spec.name for spec in OPERATORS)
            self.stdout.write(f"Demo data is already loaded ({names} exist); nothing to do.")
            self.logins_print(demo_logins())
            return
        try:
            result = demo_load(scale=scale, seed=seed, progress=verbosity > 0)
        except DemoConflict as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started

        counts = ", ".join(f"{count:,} {name}" for name, count in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded the {scale} demo data set (seed {seed}) in {elapsed:.1f} s:"))
        self.stdout.write(f"  {counts}")
        self.logins_print(result.logins)

    def logins_print(self, logins) -> None:
        self.stdout.write("")
        rows = [("username", "role", "operator", "password")]
        rows += [(login.username, login.role, login.operator, login.password) for login in logins]
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        for index, row in enumerate(rows):
            self.stdout.write("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
