"""The per-request database session, joined to the request's transaction."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from transaction._transaction import Status as TransactionStatus
from zope.sqlalchemy.datamanager import STATUS_ACTIVE, join_transaction, mark_changed

# The engine, with the option that makes SQLite take its write lock when a transaction begins.
WRITES_ENGINE_KEY = "charter.db.writes_engine"

# Tests put an open connection, inside a transaction they roll back at the
# end, under this WSGI environ key; the request's session then joins it
# through a savepoint instead of taking a pooled connection.
TEST_CONNECTION_ENVIRON_KEY = "charter.test_connection"
# Methods that change nothing; any other request's transaction may write.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The read replica (charter.db.replica.Replica), when one is configured.
REPLICA_KEY = "charter.db.replica"
# Where a request's session keeps its request's transaction manager.
MANAGER_INFO_KEY = "charter.transaction_manager"


class RequestSession(Session):
    """A request's session, joined to the request's transaction as zope.sqlalchemy joins it.

    ``zope.sqlalchemy.register(session, transaction_manager=...)`` adds seven
    event listeners to every new session, which cost a request about as much
    as one of its queries; these are listened for once, on this class, and
    read the request's transaction manager from ``session.info``. What they
    do is zope.sqlalchemy's own ``ZopeTransactionEvents``: join the
    transaction when the session begins or gets an object, mark it changed
    after a flush or a bulk or ORM DML statement (a session never marked
    changed is rolled back, not committed, at the end), and refuse a commit
    that does not come from the transaction manager.
    """


def _manager(session: Session) -> Any:
    return session.info[MANAGER_INFO_KEY]


def _join(session: Session, *args: Any) -> None:
    join_transaction(session, STATUS_ACTIVE, _manager(session), False)


def _mark_changed(session: Session, *args: Any) -> None:
    mark_changed(session, _manager(session), False)


def _bulk_changed(context: Any) -> None:
    mark_changed(context.session, _manager(context.session), False)


def _check_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        # zope.sqlalchemy's guard: only the transaction manager commits.
        assert _manager(session).get().status == TransactionStatus.COMMITTING, (
            "Transaction must be committed using the transaction manager"
        )


def _orm_execute(state: Any) -> None:
    if state.is_orm_statement and (state.is_update or state.is_insert or state.is_delete):
        mark_changed(state.session, _manager(state.session), False)


event.listen(RequestSession, "after_begin", _join)
event.listen(RequestSession, "after_attach", _join)
event.listen(RequestSession, "after_flush", _mark_changed)
event.listen(RequestSession, "after_bulk_update", _bulk_changed)
event.listen(RequestSession, "after_bulk_delete", _bulk_changed)
event.listen(RequestSession, "before_commit", _check_commit)
event.listen(RequestSession, "do_orm_execute", _orm_execute)


def request_primary_dbsession(request: Request) -> Session:
    """The session on the primary database; pyramid_tm commits or aborts it with the request.

    Whatever must be fresh reads through it even when the request's other
    reads go to a replica: the caller's session or token, for one.
    """
    factory: sessionmaker[Session] = request.registry["charter.db.session_factory"]
    info = {MANAGER_INFO_KEY: request.tm}
    connection = request.environ.get(TEST_CONNECTION_ENVIRON_KEY)
    if connection is not None:
        return factory(bind=connection, join_transaction_mode="create_savepoint", info=info)
    engine_key = "charter.db.engine" if request.method in READ_METHODS else WRITES_ENGINE_KEY
    session = factory(bind=request.registry[engine_key], info=info)
    replica = request.registry.get(REPLICA_KEY)
    if replica is not None:
        replica.watch(request, session)
    return session


def request_dbsession(request: Request) -> Session:
    """The session of this request: the read replica's for a read that may use it
    (charter.db.replica), else the primary's."""
    replica = request.registry.get(REPLICA_KEY)
    if replica is None or TEST_CONNECTION_ENVIRON_KEY in request.environ:
        return request.primary_dbsession
    return replica.session_for(request)
