import asyncio
import contextlib
import gc
import multiprocessing
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from gateway.server import Gateway


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def gateway_run(host: str, port: int, db_threads: int, reuse_port: bool, housekeeping: bool | None) -> None:
    """Serve until interrupted (Ctrl+C or SIGTERM); the gateway then finishes its writes and
    closes its piles' connections."""
    signal.signal(signal.SIGTERM, _interrupt)
    # Thousands of connections keep many objects alive. With the default thresholds the cyclic
    # collector's older generations, which scan all of them, ran often enough to hold up every
    # pile's answer now and then: at 2,000 piles the 99th percentile reply took 350 ms, with
    # these 115 ms. Freezing moves the objects made at start-up out of its reach.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Gateway(db_threads=db_threads, reuse_port=reuse_port, housekeeping=housekeeping).serve(host, port))


class Command(BaseCommand):
    help = "Run the OCPP 1.6J central system: piles connect to ws://HOST:PORT/ocpp/<charge point id>."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument(
            "--db-threads",
            type=int,
            default=None,
            help="Threads doing database work (default: 8 on PostgreSQL, 1 on SQLite, which has one writer at a time).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Gateway processes sharing the port, to use several cores (needs PostgreSQL and Redis).",
        )

    def handle(self, *args, host, port, db_threads, workers, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if workers > 1 and (connection.vendor != "postgresql" or not settings.REDIS_URL):
            raise CommandError(
                "Several workers need PostgreSQL and REDIS_URL: the workers tell each other through Redis "
                "which piles they hold."
            )
        self.stdout.write(f"OCPP 1.6J gateway on ws://{host}:{port}/ocpp/<charge point id> ({workers} worker(s))")
        db_threads = db_threads or (8 if connection.vendor == "postgresql" else 1)
        if workers == 1:
            gateway_run(host, port, db_threads, reuse_port=False, housekeeping=None)
            return
        # Each worker opens its own database connections.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        children = [
            context.Process(target=gateway_run, args=(host, port, db_threads, True, False), daemon=True)
            for _ in range(workers - 1)
        ]
        for child in children:
            child.start()

        try:
            gateway_run(host, port, db_threads, reuse_port=True, housekeeping=None)
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.join(30)
