import asyncio
import contextlib

from django.core.management.base import BaseCommand
from django.db import connection

from gateway.server import Gateway


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

    def handle(self, *args, host, port, db_threads, **options):
        self.stdout.write(f"OCPP 1.6J gateway on ws://{host}:{port}/ocpp/<charge point id>")
        db_threads = db_threads or (8 if connection.vendor == "postgresql" else 1)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(Gateway(db_threads=db_threads).serve(host, port))
