import asyncio
import contextlib
import logging

from django.core.management.base import BaseCommand

from gateway.server import Gateway


class Command(BaseCommand):
    help = "Run the OCPP 1.6J central system: piles connect to ws://HOST:PORT/ocpp/<charge point id>."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument("--db-threads", type=int, default=8, help="Threads doing database work.")

    def handle(self, *args, host, port, db_threads, **options):
        logging.basicConfig(level=logging.INFO if options["verbosity"] > 1 else logging.WARNING)
        self.stdout.write(f"OCPP 1.6J gateway on ws://{host}:{port}/ocpp/<charge point id>")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(Gateway(db_threads=db_threads).serve(host, port))
