"""The health check that container runtimes and load balancers probe: `GET /healthz` answers 200
when the database answers a query and 503 when it does not.

It is answered by a middleware at the top of the stack, not by a page in the URL configuration:
the probe comes from inside the container or from the load balancer's network, by IP address and
over plain HTTP, so it must not meet the host name check (`ALLOWED_HOSTS`), the redirect to HTTPS,
the session or the sign-in requirement that every page has.
"""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("Health check: the database does not answer", exc_info=True)
        return False


def health_response() -> HttpResponse:
    healthy = database_answers()
    response = HttpResponse(
        "ok\n" if healthy else "database unavailable\n",
        status=200 if healthy else 503,
        content_type="text/plain; charset=utf-8",
    )
    # A cached "ok" would hide an outage from the next probe.
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers `GET /healthz` before any other middleware sees the request (see the module's
    docstring for why); every other request passes on untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
