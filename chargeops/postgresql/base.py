"""Django's PostgreSQL backend, reading timestamps through psycopg's C loader.

Django reads every `timestamptz` through a subclass of psycopg's pure-Python loader (it sets
the time zone of the values it returns), so that psycopg[binary]'s C loader is never used: a
timestamp costs about 4 µs to parse instead of well under one, and a page of a network's 600
piles, each with its times, spent several milliseconds on that alone (Django ticket #36960).
This backend keeps Django's behaviour (each value with the connection's time zone) and lets
the C loader parse.
"""

from functools import lru_cache

from django.db.backends.postgresql import base
from psycopg import adapt, adapters
from psycopg.pq import Format

TIMESTAMPTZ = adapters.types["timestamptz"].oid
# psycopg's own loader of the type: the C one where psycopg's binary package is installed.
NativeLoader = adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


class TimestamptzLoader(adapt.Loader):
    """A `timestamptz` parsed by psycopg's own loader, then given `timezone`, as Django's
    loader gives it (`create_cursor` compares the attribute with the connection's)."""

    timezone = None

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.native = NativeLoader(oid, context).load

    def load(self, data):
        return self.native(data).replace(tzinfo=self.timezone)


@lru_cache
def adapters_with_native_timestamps(template: adapt.AdaptersMap, timezone) -> adapt.AdaptersMap:
    """Django's adapters of a connection (`template`), with TimestamptzLoader for `timezone`."""
    context = adapt.AdaptersMap(template)
    context.register_loader("timestamptz", type("TimestamptzLoader", (TimestamptzLoader,), {"timezone": timezone}))
    return context


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = adapters_with_native_timestamps(params["context"], self.timezone)
        return params
