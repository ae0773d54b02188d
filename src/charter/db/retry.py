"""Marking transient database errors so pyramid_retry runs the request again.

zope.sqlalchemy recognises psycopg's serialization failures but not
mysql-connector-python's deadlock (1213) or lock wait timeout (1205), nor
SQLite's "database is locked". Charter marks all of them itself, at the one
place every database error passes through.

A unique or foreign-key violation is marked too: where no row could be
locked beforehand (two requests creating the same group), the loser of the
race meets the winner's committed row, and on its next attempt the service
sees that row and answers as it should (409 "taken", or nothing to do).
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
# Duplicate entry; a row still referred to; a reference to a missing row.
MYSQL_RACE_VIOLATIONS = frozenset({1062, 1451, 1452})
POSTGRESQL_RETRYABLE_STATES = frozenset(
    {
        "40001",  # serialization failure
        "40P01",  # deadlock detected
        "23505",  # unique violation
        "23503",  # foreign key violation
    }
)
SQLITE_RETRYABLE_MESSAGES = (
    "database is locked",
    "UNIQUE constraint failed",
    "FOREIGN KEY constraint failed",
)


def is_transient(dbapi_error: BaseException | None) -> bool:
    """True when running the same transaction again may well succeed."""
    if dbapi_error is None:
        return False
    errno = getattr(dbapi_error, "errno", None)
    if errno in {MYSQL_DEADLOCK, MYSQL_LOCK_WAIT_TIMEOUT} or errno in MYSQL_RACE_VIOLATIONS:
        return True
    if getattr(dbapi_error, "sqlstate", None) in POSTGRESQL_RETRYABLE_STATES:
        return True
    message = str(dbapi_error)
    return type(dbapi_error).__module__ == "sqlite3" and any(
        text in message for text in SQLITE_RETRYABLE_MESSAGES
    )


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
