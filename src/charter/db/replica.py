"""Reading from a read replica: which requests may, and how a writer reads its own writes.

With ``sqlalchemy.replica.url`` set, a GET or HEAD request reads from the
replica unless its caller wrote within ``charter.replica.read_your_writes_seconds``.
"Wrote" is known in every app process from two marks, both set only when
the write's transaction commits:

- a row in ``recent_writes`` (one per account) on the primary, written in
  the same transaction as the write, so it exists exactly when the write
  does; it serves token clients, which keep no cookies, and every browser
  of the account;
- a ``charter_wrote`` cookie on the write's response, which serves callers
  with no account (a login form) and spares logged-in browsers the look-up.

Everything else stays on the primary: every other method, the change feed
(``api.changes``), and the session and token checks behind the identity
(``request.primary_dbsession``), so a logout or a revoked token counts at once.
The replica's connections are read only, and a write tried on one is
refused before it reaches the database and the request runs again on the
primary; so does a request whose replica cannot be reached, and for a few
seconds after that every request reads from the primary. See
docs/deployment.md, "Read replica".
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid_retry import IRetryableError
from sqlalchemy import Engine, Insert, event, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.orm.session import ORMExecuteState
from sqlalchemy.schema import ForeignKey
from transaction.interfaces import NoTransaction
from zope.interface import implementer

from charter.db.engine import make_engine
from charter.db.meta import MYSQL_TABLE_OPTIONS, Base, UTCDateTime, utcnow
from charter.db.session import MANAGER_INFO_KEY, RequestSession

log = logging.getLogger(__name__)

# Only these may read from the replica; HEAD runs GET's view.
SAFE_METHODS = frozenset({"GET", "HEAD"})
# The change feed's cursors must never go backwards for a client that asks
# once after its own write (primary) and then again (replica).
PRIMARY_ROUTES = frozenset({"api.changes"})
WROTE_COOKIE = "charter_wrote"
# After a failed connection to the replica, every request reads the primary this long.
REPLICA_DOWN_SECONDS = 5.0
# A request whose write or connection the replica refused runs again with this set.
REFUSED_ENVIRON_KEY = "charter.replica.refused"
# Set once the request's write has committed: its response carries the cookie.
COMMITTED_WRITE_ENVIRON_KEY = "charter.replica.wrote"
# Marks a request's session bound to the replica, and holds its request's environ.
REPLICA_INFO_KEY = "charter.replica.environ"
# Set on a primary session once it has written something.
WROTE_INFO_KEY = "charter.replica.wrote"


class RecentWrite(Base):
    """When an account last committed a write; read to send its next reads to the primary."""

    __tablename__ = "recent_writes"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    written: Mapped[dt.datetime] = mapped_column(UTCDateTime)


@implementer(IRetryableError)
class ReplicaRefused(Exception):
    """The replica could not serve this request (a write, or no connection); pyramid_retry
    runs it again on the primary."""


def wrote_within(last_write: dt.datetime | None, now: dt.datetime, window: dt.timedelta) -> bool:
    """Whether a write at ``last_write`` is recent enough that its writer must read the primary.

    A time in the future (another process's clock ahead of this one's) counts as recent.
    """
    return last_write is not None and now - last_write < window


def reads_replica(
    method: str,
    route_name: str | None,
    refused: bool,
    last_write: dt.datetime | None,
    now: dt.datetime,
    window: dt.timedelta,
) -> bool:
    """The routing decision: True when a request may read from the replica."""
    if method not in SAFE_METHODS or route_name in PRIMARY_ROUTES or refused:
        return False
    return not wrote_within(last_write, now, window)


def cookie_time(value: str | None) -> dt.datetime | None:
    """The write time a ``charter_wrote`` cookie holds (whole Unix seconds), or None.

    The cookie is not signed: forging one can only send its own holder to the primary.
    """
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return dt.datetime.fromtimestamp(int(value), dt.UTC)


def upsert_recent_write(dialect_name: str, user_id: int, written: dt.datetime) -> Insert:
    """INSERT the account's write time, or move an existing row's on; one statement."""
    values = {"user_id": user_id, "written": written}
    if dialect_name in {"mysql", "mariadb"}:
        statement = mysql.insert(RecentWrite).values(values)
        return statement.on_duplicate_key_update(written=statement.inserted.written)
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(RecentWrite).values(values)
    return statement.on_conflict_do_update(
        index_elements=[RecentWrite.user_id], set_={"written": statement.excluded.written}
    )


# What each database calls making a connection's transactions read only.
READ_ONLY_STATEMENTS = {
    "mysql": "SET SESSION TRANSACTION READ ONLY",
    "mariadb": "SET SESSION TRANSACTION READ ONLY",
    "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "sqlite": "PRAGMA query_only = ON",
}


def make_replica_engine(settings: dict[str, Any]) -> Engine:
    """The replica's engine: the primary's pool settings, read-only connections."""
    engine = make_engine({**settings, "sqlalchemy.url": settings["sqlalchemy.replica.url"]})
    statement = READ_ONLY_STATEMENTS[engine.dialect.name]

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        # PostgreSQL's SET is undone with a transaction rolled back, and the
        # driver has opened one: commit it, so the setting lasts.
        dbapi_connection.commit()

    return engine


class Replica:
    """The replica's engine and the per-process memory of whether it answers."""

    def __init__(self, engine: Engine, window: dt.timedelta, secure_cookie: bool) -> None:
        self.engine = engine
        self.window = window
        self.secure_cookie = secure_cookie
        self._down_until = 0.0
        event.listen(engine, "handle_error", self._connection_failed)

    # -- availability (a per-process cache of the replica's health, nothing more) --

    def available(self) -> bool:
        """False for a few seconds after a connection to the replica failed."""
        return time.monotonic() >= self._down_until

    def _connection_failed(self, context: ExceptionContext) -> None:
        # A failed pre-ping is followed by a new connection: only that one failing counts.
        if context.is_pre_ping or not (context.is_disconnect or context.connection is None):
            return
        self._down_until = time.monotonic() + REPLICA_DOWN_SECONDS
        log.warning("read replica unreachable; reading from the primary for a while")
        raise ReplicaRefused("the read replica is unreachable") from context.original_exception

    # -- routing ------------------------------------------------------------------

    def session_for(self, request: Request) -> Session:
        """The session a request reads and writes through: the replica's or the primary's."""
        if not self.available() or not self._may_read_replica(request):
            return request.primary_dbsession
        factory: sessionmaker[Session] = request.registry["charter.db.session_factory"]
        info = {MANAGER_INFO_KEY: request.tm, REPLICA_INFO_KEY: request.environ}
        return factory(bind=self.engine, info=info)

    def _may_read_replica(self, request: Request) -> bool:
        route = request.matched_route
        route_name = None if route is None else route.name
        refused = bool(request.environ.get(REFUSED_ENVIRON_KEY))
        now = utcnow()
        # The cookie first: when it says "recent", no look-up is needed.
        marked = cookie_time(request.cookies.get(WROTE_COOKIE))
        if not reads_replica(request.method, route_name, refused, marked, now, self.window):
            return False
        user_id = request.authenticated_userid
        if user_id is None:
            return True
        written = request.primary_dbsession.scalar(
            select(RecentWrite.written).where(RecentWrite.user_id == user_id)
        )
        return reads_replica(request.method, route_name, refused, written, now, self.window)

    # -- marking writes -------------------------------------------------------------

    def watch(self, request: Request, session: Session) -> None:
        """Mark the caller's write when a request that may write commits one."""
        if request.method in SAFE_METHODS and not request.environ.get(REFUSED_ENVIRON_KEY):
            return
        try:
            transaction = request.tm.get()
        except NoTransaction:
            return  # outside the request's transaction (an error page): nothing will commit
        transaction.addBeforeCommitHook(self._mark, (request, session))
        request.add_response_callback(self._set_cookie)

    def _mark(self, request: Request, session: Session) -> None:
        # Pending changes are flushed now, before the transaction commits
        # them, so that they count as this request's write.
        session.flush()
        if not session.info.get(WROTE_INFO_KEY):
            return
        now = utcnow()
        user_id = request.authenticated_userid
        if user_id is not None:
            # On the connection, not through the ORM: the session already has
            # a write to commit, and this row alone must not make it commit.
            session.connection().execute(
                upsert_recent_write(session.get_bind().dialect.name, user_id, now)
            )

        def committed(success: bool) -> None:
            if success:
                request.environ[COMMITTED_WRITE_ENVIRON_KEY] = now

        request.tm.get().addAfterCommitHook(committed)

    def _set_cookie(self, request: Request, response: Response) -> None:
        written = request.environ.get(COMMITTED_WRITE_ENVIRON_KEY)
        if written is None:
            return
        response.set_cookie(
            WROTE_COOKIE,
            str(int(written.timestamp())),
            max_age=int(self.window.total_seconds()),
            path="/",
            secure=self.secure_cookie,
            httponly=True,
            samesite="Lax",
        )


def _refuse_writes(session: Session) -> None:
    environ = session.info.get(REPLICA_INFO_KEY)
    if environ is not None:
        environ[REFUSED_ENVIRON_KEY] = True
        raise ReplicaRefused("a request reading from the replica tried to write")


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        _refuse_writes(session)


def _note_write(session: Session, *args: Any) -> None:
    session.info[WROTE_INFO_KEY] = True


def _orm_execute(state: ORMExecuteState) -> None:
    if state.is_update or state.is_insert or state.is_delete:
        _refuse_writes(state.session)
        state.session.info[WROTE_INFO_KEY] = True


event.listen(RequestSession, "before_flush", _before_flush)
event.listen(RequestSession, "after_flush", _note_write)
event.listen(RequestSession, "do_orm_execute", _orm_execute)


def replica_from_settings(settings: dict[str, Any]) -> Replica | None:
    """The configured replica, or None when ``sqlalchemy.replica.url`` is empty."""
    if not settings.get("sqlalchemy.replica.url"):
        return None
    return Replica(
        make_replica_engine(settings),
        dt.timedelta(seconds=settings["charter.replica.read_your_writes_seconds"]),
        secure_cookie=settings["charter.session.secure"],
    )
