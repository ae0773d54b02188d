"""The outermost tween: proxy headers and the request id, the access log, the request metrics.

It runs once per attempt of a request (pyramid_retry runs the tweens again
after a deadlock): an attempt that ends in a retryable error counts as a
retry and logs nothing; the attempt that answers logs the one access line.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from pyramid.interfaces import ISecurityPolicy
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import FileIter, Response
from pyramid_retry import is_error_retryable
from webob.static import FileIter as WebobFileIter

from charter.ops.requestid import ENVIRON_REQUEST_ID, ProxyTrust

ACCESS_LOGGER = "charter.access"
# Responses that stream a stored file: their bytes count as blob bytes out.
FILE_ITERS = (FileIter, WebobFileIter)
_NO_VALUE = object()


def known_user_id(request: Request, registry: Registry) -> int | None:
    """The caller's account id if the request already looked it up; never a query of its own
    (the transaction has ended when the access line is written)."""
    policy = registry.queryUtility(ISecurityPolicy)
    cache = getattr(policy, "_identity_cache", None)
    if cache is None:
        return None
    identity = cache.get(request, _NO_VALUE)
    return getattr(identity, "user_id", None) if identity is not _NO_VALUE else None


def ops_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """A tween giving every request its client address, scheme and id, every response its
    ``X-Request-ID``, and writing the access log line and the request metrics."""
    trust: ProxyTrust = registry["charter.ops.proxy_trust"]
    # A plain logging call: the formatter adds the request id and renders it.
    access = logging.getLogger(ACCESS_LOGGER)
    metrics_on = registry.settings["charter.metrics.enabled"]
    if metrics_on:
        from charter.ops import metrics

    # charter.blobs.accel_redirect: the proxy sends the bytes of stored files.
    accel_prefix = registry.settings["charter.blobs.accel_redirect"]
    blob_root = Path(registry["charter.blobs.store"].root) if accel_prefix else None
    bind = structlog.contextvars.bind_contextvars
    clear = structlog.contextvars.clear_contextvars

    def ops_tween(request: Request) -> Response:
        environ = request.environ
        trust.apply(environ)
        request_id = environ[ENVIRON_REQUEST_ID]
        clear()
        bind(request_id=request_id)
        started = time.perf_counter()
        if metrics_on:
            metrics.IN_FLIGHT.inc()
        try:
            response = handler(request)
        except BaseException as exc:
            if isinstance(exc, Exception) and is_error_retryable(request, exc):
                if metrics_on:
                    metrics.RETRIES.inc()
            else:
                _finish(request, None, started, 500)
            clear()
            raise
        finally:
            if metrics_on:
                metrics.IN_FLIGHT.dec()
        response.headers["X-Request-ID"] = request_id
        _finish(request, response, started, response.status_int)
        clear()
        if accel_prefix and isinstance(response.app_iter, FILE_ITERS):
            hand_to_proxy(response, accel_prefix, blob_root)
        return response

    def _finish(request: Request, response: Response | None, started: float, status: int) -> None:
        duration = time.perf_counter() - started
        size = None if response is None else response.content_length
        if metrics_on:
            route = metrics.route_label(request)
            code = str(status)
            metrics.REQUESTS.labels(request.method, route, code).inc()
            metrics.LATENCY.labels(route, code).observe(duration)
            if response is not None and isinstance(response.app_iter, FILE_ITERS) and size:
                metrics.BLOB_BYTES.labels("out").inc(_range_length(request, size))
        if access.isEnabledFor(logging.INFO):
            access.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                    "size": size,
                    "user_id": known_user_id(request, registry),
                    "client": request.remote_addr,
                    "pid": os.getpid(),
                },
            )

    return ops_tween


def hand_to_proxy(response: Response, prefix: str, blob_root: Path | None) -> None:
    """Turn a response streaming a stored blob into an ``X-Accel-Redirect`` to it: the view has
    checked the permission and set the headers; nginx sends the bytes (and answers Range
    requests itself)."""
    handle = getattr(response.app_iter, "file", None)
    name = getattr(handle, "name", None)
    if blob_root is None or not isinstance(name, str):
        return
    path = Path(name)
    if not path.is_relative_to(blob_root):
        return
    handle.close()
    response.app_iter = []
    response.headers["X-Accel-Redirect"] = prefix + path.relative_to(blob_root).as_posix()
    response.conditional_response = False
    response.content_length = 0


def _range_length(request: Request, size: int) -> int:
    # A Range request is cut to its range when the response is sent, after this tween.
    try:
        requested: Any = request.range
        content_range = requested.content_range(size) if requested is not None else None
    except Exception:
        return size
    if content_range is None:
        return size
    return content_range.stop - content_range.start
