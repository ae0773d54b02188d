"""Marking transient database errors so pyramid_retry runs the request again.

zope.sqlalchemy recognises psycopg's serialization failures but not
mysql-connector-python's deadlock (1213) or lock wait timeout (1205), nor
SQLite's "database is locked". Charter marks all of them itself, at the one
place every database error passes through.
"""

from __future__ import annotations

from pyramid.request import Request
from pyramid_retry import IRetryableError, mark_error_retryable
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from zope.interface import classImplements

from charter.errors import ChangedMeanwhile

# A request that found its data changed under it is run again, like a deadlock victim.
classImplements(ChangedMeanwhile, IRetryableError)

MYSQL_DEADLOCK = 1213
MYSQL_LOCK_WAIT_TIMEOUT = 1205
POSTGRESQL_RETRYABLE_STATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


def is_transient(dbapi_error: BaseException | None) -> bool:
    """True when running the same transaction again may well succeed."""
    if dbapi_error is None:
        return False
    if getattr(dbapi_error, "errno", None) in {MYSQL_DEADLOCK, MYSQL_LOCK_WAIT_TIMEOUT}:
        return True
    if getattr(dbapi_error, "sqlstate", None) in POSTGRESQL_RETRYABLE_STATES:
        return True
    return "database is locked" in str(dbapi_error) and type(dbapi_error).__module__ == "sqlite3"


def mark_transient_errors_retryable(engine: Engine) -> None:
    """Tag transient errors raised through ``engine`` as retryable for pyramid_retry."""

    @event.listens_for(engine, "handle_error")
    def _mark(context: ExceptionContext) -> None:
        if context.sqlalchemy_exception is not None and is_transient(context.original_exception):
            mark_error_retryable(context.sqlalchemy_exception)


# Bodies up to this size are copied so that a retried request can read them again.
REPLAYABLE_BODY_SIZE = 1024 * 1024
BODILESS_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


def attempts_for(request: Request) -> int | None:
    """The default attempts for every request that can be replayed; one for a large upload.

    GET, HEAD, DELETE and OPTIONS without a Content-Length carry no body
    (whatever the server says about the input's readability) and are
    replayed, as is a body of at most ``REPLAYABLE_BODY_SIZE`` bytes. A
    larger body, or an unsized one (chunked, under a server that does not
    count it), would have to be copied whole first: it gets one attempt.
    """
    length = request.content_length
    if length is None:
        return None if request.method in BODILESS_METHODS else 1
    return 1 if length > REPLAYABLE_BODY_SIZE else None
