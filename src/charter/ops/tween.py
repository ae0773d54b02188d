"""The outermost tween: resolves the proxy headers and the request id, answers with the id."""

from __future__ import annotations

from collections.abc import Callable

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from charter.ops.requestid import ENVIRON_REQUEST_ID, ProxyTrust


def ops_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """A tween giving every request its client address, scheme and id, and every response
    its ``X-Request-ID``."""
    trust: ProxyTrust = registry["charter.ops.proxy_trust"]

    def ops_tween(request: Request) -> Response:
        environ = request.environ
        trust.apply(environ)
        response = handler(request)
        response.headers["X-Request-ID"] = environ[ENVIRON_REQUEST_ID]
        return response

    return ops_tween
