"""The audit log: every write, who made it, from where; readable, exportable, append-only."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request

from charter.audit.service import AuditLog, Origin


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


def includeme(config: Configurator) -> None:
    """Expose ``request.audit`` (the log) and ``request.audit_trail`` (reading it)."""
    config.add_request_method(audit_log, "audit", reify=True)
