"""The audit log: every write, who made it, from where; readable, exportable, append-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pyramid.config import Configurator
from pyramid.request import Request
from sqlalchemy import Connection

if TYPE_CHECKING:
    from charter.audit.reading import AuditAccess

from charter.audit.service import AuditLog, Origin
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY


def request_origin(request: Request) -> Origin:
    """What this request tells about where its writes come from."""
    identity = request.identity
    return Origin(
        address=request.remote_addr,
        user_agent=request.user_agent,
        # Set by charter.ops (one id per request, also in the logs and the response).
        request_id=getattr(request, "request_id", None),
        user_id=None if identity is None else identity.user_id,
        token_id=None if identity is None else identity.token_id,
    )


def audit_log(request: Request) -> AuditLog:
    """The audit log in this request's transaction, knowing the request."""
    return AuditLog(request.dbsession, origin=lambda: request_origin(request))


def audit_access(request: Request) -> AuditAccess:
    """What this request's caller may read of the audit log (at most one query)."""
    # Imported here: reading knows the tree and the content types, which write to this log.
    from charter.audit.reading import AuditAccess, access_for

    identity = request.identity
    if identity is None:
        return AuditAccess()
    return access_for(
        request.dbsession,
        identity.principals,
        frozenset(str(role) for role in identity.global_roles),
        request.viewer,
    )


@contextmanager
def export_connection(request: Request) -> Iterator[Connection]:
    """A connection of its own for streaming an export after the request's transaction ended
    (in tests, the test's connection: what it wrote is visible there only)."""
    shared = request.environ.get(TEST_CONNECTION_ENVIRON_KEY)
    if shared is not None:
        yield shared
        return
    with request.registry["charter.db.engine"].connect() as connection, connection.begin():
        yield connection


def includeme(config: Configurator) -> None:
    """Expose ``request.audit`` (the log to write to) and ``request.audit_access``."""
    config.add_request_method(audit_log, "audit", reify=True)
    config.add_request_method(audit_access, "audit_access", reify=True)
