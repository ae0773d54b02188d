"""Liveness and readiness probes for load balancers and orchestrators, and the version.

``/healthz`` says the process answers; ``/readyz`` that it can serve: the
database answers and is migrated, the blob store takes a write, Redis (when
configured) answers. ``/api/v1/version`` names the release, the build and the
schema revisions. All three answer with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn

from pyramid.config import Configurator, not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from charter.addons import addon_version_locations
from charter.db.migrations import SchemaStatus, core_versions, schema_status

log = logging.getLogger(__name__)

# The build (an image tag, a commit) set by whoever built the deployment.
BUILD_VARIABLE = "CHARTER_BUILD"
# This release's schema heads and known revisions, read from the scripts once.
EXPECTED_KEY = "charter.health.expected_revisions"
# Seconds Redis may take to answer a readiness ping.
REDIS_TIMEOUT = 0.2


def release() -> str:
    """Charter's version as installed."""
    try:
        return version("charter")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "unknown"


def healthz(request: Request) -> Response:
    """200 whenever the process answers; touches nothing else."""
    response = Response(json_body={"status": "ok"})
    response.cache_control = "no-store"
    return response


def readyz(request: Request) -> Response:
    """200 when the database is reachable and migrated to head (the core's and every enabled
    add-on's), the blob store is writable and Redis (if configured) answers; 503 naming the
    first check that failed otherwise.

    A database migrated by a newer release still counts as ready: during a
    rolling upgrade the old processes keep serving until they are replaced.
    """
    failure = _blob_store_failure(request) or _redis_failure(request)
    if failure is not None:
        return _status(503, failure)
    try:
        status = _schema_status(request.registry)
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", exc.__class__.__name__)
        return _status(503, "database unreachable")
    if status.newer:
        return _status(
            200,
            "database migrated by a newer release",
            revisions=sorted(status.current),
        )
    if not status.at_head:
        return _status(
            503,
            "database not migrated to head; run charter-migrate",
            pending=sorted(status.pending),
        )
    return _status(200, "ok", revisions=sorted(status.current))


def _schema_status(registry: Any) -> SchemaStatus:
    """Where the schema stands: the version tables read with one SELECT each, compared with
    this release's revisions (read from the migration scripts once per process)."""
    engine = registry["charter.db.engine"]
    locations = addon_version_locations(registry.settings)
    expected = registry.get(EXPECTED_KEY)
    if expected is not None:
        try:
            with engine.connect() as connection:
                current = frozenset().union(
                    *(
                        location.qualified(
                            connection.scalars(
                                text(f"SELECT version_num FROM {location.version_table}")  # noqa: S608
                            )
                        )
                        for location in (core_versions(), *locations)
                    )
                )
            return SchemaStatus(current, *expected)
        except SQLAlchemyError:
            pass  # no version table (an empty database): the full check says what is missing
    status = schema_status(engine, locations)
    registry[EXPECTED_KEY] = (status.heads, status.known)
    return status


def _blob_store_failure(request: Request) -> str | None:
    store = request.registry["charter.blobs.store"]
    probe = store.temporary / f"readyz-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        with open(probe, "wb") as handle:
            handle.write(b"ok")
        probe.unlink()
    except OSError as exc:
        log.warning("readiness: blob store not writable: %s", exc.strerror)
        return "blob store not writable"
    return None


def _redis_failure(request: Request) -> str | None:
    client = request.registry.get("charter.health.redis")
    if client is None:
        return None
    try:
        client.ping()
    except Exception as exc:  # redis raises its own ConnectionError, TimeoutError...
        log.warning("readiness: redis unreachable: %s", exc.__class__.__name__)
        return "redis unreachable"
    return None


def version_view(request: Request) -> Response:
    """The release, the build and the schema revisions the database is at (and this release's
    heads)."""
    body: dict[str, Any] = {
        "name": "charter",
        "version": release(),
        "build": os.environ.get(BUILD_VARIABLE) or None,
    }
    try:
        status = schema_status(
            request.registry["charter.db.engine"],
            addon_version_locations(request.registry.settings),
        )
    except SQLAlchemyError:
        body["schema"] = None
    else:
        body["schema"] = {
            "revisions": sorted(status.current),
            "heads": sorted(status.heads),
            "at_head": status.at_head,
        }
    response = Response(json_body=body)
    response.cache_control = "no-store"
    return response


def version_method_not_allowed(request: Request) -> NoReturn:
    """``/api/v1/version`` only reads."""
    raise HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})


def _status(status: int, reason: str, **extra: object) -> Response:
    response = Response(
        status=status,
        json_body={"status": "ok" if status == 200 else "unavailable", "reason": reason, **extra},
    )
    response.cache_control = "no-store"
    return response


def includeme(config: Configurator) -> None:
    """``GET /healthz``, ``GET /readyz`` and ``GET /api/v1/version``."""
    url = config.get_settings()["charter.redis_url"]
    if url:
        import redis

        # A client of its own, with short timeouts: a hung Redis makes the
        # probe fail fast instead of hanging with it.
        config.registry["charter.health.redis"] = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
    config.add_route("healthz", "/healthz", request_method="GET")
    config.add_route("readyz", "/readyz", request_method="GET")
    config.add_route("api.version", "/api/v1/version")
    config.add_view(healthz, route_name="healthz")
    config.add_view(readyz, route_name="readyz")
    config.add_view(version_view, route_name="api.version", request_method=("GET", "HEAD"))
    config.add_view(
        version_method_not_allowed,
        route_name="api.version",
        request_method=not_(("GET", "HEAD")),
        require_csrf=False,
    )
