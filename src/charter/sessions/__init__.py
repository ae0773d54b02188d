"""Sessions: a visitor's in a signed cookie, a logged-in person's as a record on the server.

The record lives in the database, or in Redis when ``charter.redis_url`` is
set; either way every process sees a session end at once. See
docs/security.md, "Sessions".
"""

from __future__ import annotations

import datetime as dt

from pyramid.config import Configurator
from pyramid.csrf import LegacySessionCSRFStoragePolicy
from pyramid.request import Request

from charter.security.policy import bearer_token
from charter.sessions.services import SessionService
from charter.sessions.session import CharterSessionFactory, SessionOptions
from charter.sessions.store import DatabaseSessionStore, RedisSessionStore, SessionStore


def session_store(request: Request) -> SessionStore:
    """Session records: in Redis when configured, else in the primary database (never a
    replica: an ended session must end at once)."""
    client = request.registry.get("charter.redis")
    if client is not None:
        return RedisSessionStore(client, request.primary_dbsession)
    return DatabaseSessionStore(request.primary_dbsession)


def user_sessions(request: Request) -> SessionService:
    """People's sessions; the request's own is the current one (none for a bearer token)."""
    current = request.session if bearer_token(request) is None else None
    return SessionService(request.session_store, request.audit, request.tm, current)


def includeme(config: Configurator) -> None:
    """The session factory, CSRF tokens kept in the session, ``request.user_sessions``."""
    settings = config.get_settings()
    options = SessionOptions(
        timeout=dt.timedelta(seconds=settings["charter.session.timeout"]),
        secure=settings["charter.session.secure"],
        samesite=settings["charter.session.samesite"],
    )
    config.set_session_factory(CharterSessionFactory(settings["charter.session.secret"], options))
    # The session makes its CSRF token itself (at login, so pages write nothing).
    config.set_csrf_storage_policy(LegacySessionCSRFStoragePolicy())
    config.add_request_method(session_store, "session_store", reify=True)
    config.add_request_method(user_sessions, "user_sessions", reify=True)
