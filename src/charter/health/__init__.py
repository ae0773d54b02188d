"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy.exc import SQLAlchemyError

from charter.addons import addon_version_locations
from charter.db.migrations import schema_status

log = logging.getLogger(__name__)


def healthz(request: Request) -> Response:
    """200 whenever the process answers; touches nothing else."""
    response = Response(json_body={"status": "ok"})
    response.cache_control = "no-store"
    return response


def readyz(request: Request) -> Response:
    """200 when the database is reachable and migrated to head (the core's and every enabled
    add-on's); 503 with the reason otherwise.

    A database migrated by a newer release still counts as ready: during a
    rolling upgrade the old processes keep serving until they are replaced.
    """
    try:
        status = schema_status(
            request.registry["charter.db.engine"],
            addon_version_locations(request.registry.settings),
        )
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", exc.__class__.__name__)
        return _status(503, "database unreachable")
    if status.newer:
        return _status(
            200, "database migrated by a newer release", revisions=sorted(status.current)
        )
    if not status.at_head:
        return _status(
            503,
            "database not migrated to head; run charter-migrate",
            pending=sorted(status.pending),
        )
    return _status(200, "ok", revisions=sorted(status.current))


def _status(status: int, reason: str, **extra: object) -> Response:
    response = Response(
        status=status,
        json_body={"status": "ok" if status == 200 else "unavailable", "reason": reason, **extra},
    )
    response.cache_control = "no-store"
    return response


def includeme(config: Configurator) -> None:
    """``GET /healthz`` and ``GET /readyz``."""
    config.add_route("healthz", "/healthz", request_method="GET")
    config.add_route("readyz", "/readyz", request_method="GET")
    config.add_view(healthz, route_name="healthz")
    config.add_view(readyz, route_name="readyz")
