"""The audit log: an append-only record of security events (and, later, content events)."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request

from charter.audit.service import AuditLog


def audit_log(request: Request) -> AuditLog:
    """The audit log in this request's transaction."""
    return AuditLog(request.dbsession)


def includeme(config: Configurator) -> None:
    """Expose ``request.audit``."""
    config.add_request_method(audit_log, "audit", reify=True)
