"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy.exc import SQLAlchemyError

from charter.db.migrations import head_revisions, pending_revisions

log = logging.getLogger(__name__)


def healthz(request: Request) -> Response:
    """200 whenever the process answers; touches nothing else."""
    response = Response(json_body={"status": "ok"})
    response.cache_control = "no-store"
    return response


def readyz(request: Request) -> Response:
    """200 when the database is reachable and migrated to head; 503 with the reason otherwise."""
    heads = request.registry["charter.db.heads"]
    try:
        missing = pending_revisions(request.registry["charter.db.engine"], heads)
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", exc.__class__.__name__)
        return _status(503, "database unreachable")
    if missing:
        return _status(
            503, "database not migrated to head; run charter-migrate", pending=sorted(missing)
        )
    return _status(200, "ok", revisions=sorted(heads))


def _status(status: int, reason: str, **extra: object) -> Response:
    response = Response(
        status=status,
        json_body={"status": "ok" if status == 200 else "unavailable", "reason": reason, **extra},
    )
    response.cache_control = "no-store"
    return response


def includeme(config: Configurator) -> None:
    """``GET /healthz`` and ``GET /readyz``."""
    config.registry["charter.db.heads"] = head_revisions()
    config.add_route("healthz", "/healthz", request_method="GET")
    config.add_route("readyz", "/readyz", request_method="GET")
    config.add_view(healthz, route_name="healthz")
    config.add_view(readyz, route_name="readyz")
