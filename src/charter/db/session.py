"""The per-request database session, joined to the request's transaction."""

from __future__ import annotations

from pyramid.request import Request
from sqlalchemy.orm import Session, sessionmaker
from zope.sqlalchemy import register

# Tests put an open connection, inside a transaction they roll back at the
# end, under this WSGI environ key; the request's session then joins it
# through a savepoint instead of taking a pooled connection.
TEST_CONNECTION_ENVIRON_KEY = "charter.test_connection"


def request_dbsession(request: Request) -> Session:
    """The session of this request; pyramid_tm commits or aborts it with the request."""
    factory: sessionmaker[Session] = request.registry["charter.db.session_factory"]
    connection = request.environ.get(TEST_CONNECTION_ENVIRON_KEY)
    if connection is None:
        session = factory()
    else:
        session = factory(bind=connection, join_transaction_mode="create_savepoint")
    register(session, transaction_manager=request.tm)
    return session
