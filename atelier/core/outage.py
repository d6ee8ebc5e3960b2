"""A backing service down (PostgreSQL restarting, Redis stopped): a clear 503 page, not a 500.

Django turns any exception into a response through `handler500`, wherever it was raised (a
middleware reading the session or a rate limit, a view, a task enqueued after commit). This view
looks at the exception in flight: when it is a lost connection to the database, the cache or the
broker it answers 503 "back in a moment" with Retry-After, so browsers, crawlers and nginx know the
failure is temporary and nothing was the visitor's fault. Any other error stays a 500.

Why a 503 rather than pages rendered without Redis: every request to the app passes the
anti-scraping budgets (protection.shield.gate), which live in Redis and are shared by every
app-server instance. Letting requests through uncounted would hand a scraper the site while Redis
is down; keeping per-process counts would multiply every budget by the number of processes. So a
budget that cannot be counted refuses (fails closed), for anonymous and signed-in people alike,
and nginx's per-address budgets (which do not need Redis) keep limiting anonymous readers of the
micro-cache, who are still served there for the cache's lifetime.
"""

import sys

import redis.exceptions
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from kombu.exceptions import OperationalError as BrokerError

RETRY_AFTER_SECONDS = 10
OUTAGES = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    BrokerError,
    OperationalError,
    InterfaceError,
)


def is_backend_outage(error: BaseException | None) -> bool:
    """True for a lost or refused connection to PostgreSQL, Redis or the broker (also when it is the
    cause of the error raised, as Django wraps psycopg's); a failing query is not an outage."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OUTAGES) and not _is_query_error(error):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _is_query_error(error: BaseException) -> bool:
    """Django raises OperationalError for some query failures too (a lock timeout, a cancelled
    statement); those are a 500, only a connection that is gone or refused is an outage."""
    if not isinstance(error, DatabaseError):
        return False
    text = str(error).lower()
    signs = ("connection", "server closed", "terminating", "shutting down", "starting up", "the database system")
    return not any(sign in text for sign in signs)


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    """handler500: a 503 with Retry-After when a backing service is down, else Django's 500 page."""
    if is_backend_outage(sys.exc_info()[1]):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        if request.path.startswith("/uploads/"):
            response["Tus-Resumable"] = "1.0.0"  # a tus client reads this 503 as "resume later"
        return response
    return HttpResponseServerError(loader.get_template(template_name).render())
