"""Prometheus metrics: what the ops tween, the database pool and the blob store count.

Off unless ``charter.metrics.enabled``. Under gunicorn with several workers,
set ``PROMETHEUS_MULTIPROC_DIR`` (``deploy/gunicorn.conf.py`` does, and empties
it at start): every worker then writes its values to files there and
``/metrics`` adds them up, whichever worker answers the scrape.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from charter.ops.requestid import ProxyTrust

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "charter_http_requests",
    "HTTP requests answered, by method, route and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "charter_http_request_duration_seconds",
    "Time from the request reaching Charter to its response being ready, by route and status.",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
IN_FLIGHT = Gauge(
    "charter_http_requests_in_flight",
    "Requests being handled now, over every process.",
    multiprocess_mode="livesum",
)
RETRIES = Counter(
    "charter_db_retries",
    "Requests run again after a deadlock, lock timeout or serialization failure.",
)
POOL_CHECKED_OUT = Gauge(
    "charter_db_pool_checked_out",
    "Database connections in use now, over every process.",
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "charter_db_pool_capacity",
    "Database connections the processes may open (pool size plus overflow), summed.",
    multiprocess_mode="livesum",
)
BLOB_BYTES = Counter(
    "charter_blob_bytes",
    "Bytes of files stored (in) and sent (out).",
    ["direction"],
)


def route_label(request: Request) -> str:
    """The route that matched, or ``(none)``: a label with few values, never the raw path."""
    route = request.matched_route
    return route.name if route is not None else "(none)"


def observe_pool(engine: Engine, pool_size: int, max_overflow: int) -> None:
    """Count the engine's checked-out connections as they come and go."""
    if engine.dialect.name != "sqlite":
        POOL_CAPACITY.inc(pool_size + max_overflow)

    @event.listens_for(engine, "checkout")
    def checkout(*args: Any) -> None:
        POOL_CHECKED_OUT.inc()

    @event.listens_for(engine, "checkin")
    def checkin(*args: Any) -> None:
        POOL_CHECKED_OUT.dec()


def count_blob_writes(store: Any) -> None:
    """Count the bytes ``store.write`` stores (``charter_blob_bytes_total{direction="in"}``)."""
    write: Callable[..., Any] = store.write
    counter = BLOB_BYTES.labels("in")

    def counted_write(*args: Any, **kwargs: Any) -> Any:
        info = write(*args, **kwargs)
        counter.inc(info.size)
        return info

    store.write = counted_write


class OutboxCollector:
    """The webhook outbox's messages by state, read from the database at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One gauge, ``charter_webhook_messages{state}``; nothing when there is no outbox."""
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT state, COUNT(*) FROM webhook_messages GROUP BY state")
                ).all()
        except SQLAlchemyError:
            return  # no outbox table (yet), or no database: the other metrics still count
        family = GaugeMetricFamily(
            "charter_webhook_messages",
            "Webhook messages in the outbox, by state (pending ones are the backlog).",
            labels=["state"],
        )
        for state, count in rows:
            family.add_metric([str(state)], count)
        yield family


def metrics_view(request: Request) -> Response:
    """The metrics in Prometheus's text format, to allowed addresses or the bearer of the token."""
    settings = request.registry.settings
    if not allowed(request, settings["charter.metrics.token"], request.registry):
        response = Response(status=403, text="metrics are for the monitoring system only\n")
        response.content_type = "text/plain"
        return response
    if os.environ.get(MULTIPROCESS_VARIABLE):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Delegate(REGISTRY))
    registry.register(OutboxCollector(request.registry["charter.db.engine"]))
    response = Response(body=generate_latest(registry))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.cache_control = "no-store"
    return response


class _Delegate:
    """The process's own metrics (single-process mode)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        return self.registry.collect()


def allowed(request: Request, token: str | None, registry: Registry) -> bool:
    """Whether the client's address is in ``charter.metrics.allow`` or it sent the token."""
    allow: ProxyTrust = registry["charter.ops.metrics_allow"]
    if allow.trusts(request.remote_addr):
        return True
    if not token:
        return False
    authorization = request.headers.get("Authorization", "")
    scheme, _, sent = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        sent.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
    )


def includeme(config: Configurator) -> None:
    """``GET /metrics``, and the counters on the pool and the blob store (when enabled)."""
    settings = config.get_settings()
    config.registry["charter.ops.metrics_allow"] = ProxyTrust(settings["charter.metrics.allow"])
    config.add_route("metrics", "/metrics", request_method="GET")
    config.add_view(metrics_view, route_name="metrics")

    def instrument() -> None:
        registry = config.registry
        observe_pool(
            registry["charter.db.engine"],
            settings["charter.db.pool_size"],
            settings["charter.db.max_overflow"],
        )
        count_blob_writes(registry["charter.blobs.store"])

    # An action: the engine and the blob store exist once every domain is included.
    config.action(("charter.ops.metrics", "instrument"), instrument, order=1)
