"""The per-request database session, joined to the request's transaction."""

from __future__ import annotations

from pyramid.request import Request
from sqlalchemy.orm import Session, sessionmaker
from zope.sqlalchemy import register

# The engine, with the option that makes SQLite take its write lock when a transaction begins.
WRITES_ENGINE_KEY = "charter.db.writes_engine"

# Tests put an open connection, inside a transaction they roll back at the
# end, under this WSGI environ key; the request's session then joins it
# through a savepoint instead of taking a pooled connection.
TEST_CONNECTION_ENVIRON_KEY = "charter.test_connection"
# Methods that change nothing; any other request's transaction may write.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_dbsession(request: Request) -> Session:
    """The session of this request; pyramid_tm commits or aborts it with the request."""
    factory: sessionmaker[Session] = request.registry["charter.db.session_factory"]
    connection = request.environ.get(TEST_CONNECTION_ENVIRON_KEY)
    if connection is None:
        engine_key = "charter.db.engine" if request.method in READ_METHODS else WRITES_ENGINE_KEY
        session = factory(bind=request.registry[engine_key])
    else:
        session = factory(bind=connection, join_transaction_mode="create_savepoint")
    register(session, transaction_manager=request.tm)
    return session
