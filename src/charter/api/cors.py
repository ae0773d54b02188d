"""CORS for browser-based partners: which other origins' scripts may call ``/api/``.

Configured in the ini (``charter.cors.*``); off when no origin is listed. A
preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from a listed
origin is answered here, before authentication, with the allowed methods
and headers; an actual request from a listed origin gets
``Access-Control-Allow-Origin`` and the headers its script may read. Cookies
(``Access-Control-Allow-Credentials``) only when
``charter.cors.allow_credentials`` is set; tokens need no credentials mode.
"""

from __future__ import annotations

from collections.abc import Callable

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from charter.api.problems import problem_response

PREFIX = "/api/"
# What a partner's script may read besides the CORS-safelisted response headers.
EXPOSED = (
    "ETag",
    "Location",
    "Content-Location",
    "Link",
    "Allow",
    "Retry-After",
    "Idempotent-Replayed",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "WWW-Authenticate",
)


def _vary_origin(response: Response) -> None:
    vary = [v.strip() for v in (response.headers.get("Vary") or "").split(",") if v.strip()]
    if "Origin" not in vary:
        response.headers["Vary"] = ", ".join([*vary, "Origin"])


def cors_tween_factory(handler: Callable[[Request], Response], registry: Registry):
    """Answer preflights and mark API responses for the listed origins."""
    settings = registry.settings
    origins: frozenset[str] = settings["charter.cors.allowed_origins"]
    if not origins:
        return handler
    any_origin = "*" in origins
    credentials = settings["charter.cors.allow_credentials"]
    methods = ", ".join(settings["charter.cors.allowed_methods"])
    headers = ", ".join(settings["charter.cors.allowed_headers"])
    max_age = str(settings["charter.cors.max_age"])

    def allowed(origin: str) -> bool:
        return any_origin or origin in origins

    def mark(response: Response, origin: str) -> None:
        response.headers["Access-Control-Allow-Origin"] = (
            "*" if any_origin and not credentials else origin
        )
        if credentials:
            response.headers["Access-Control-Allow-Credentials"] = "true"
        _vary_origin(response)

    def tween(request: Request) -> Response:
        origin = request.headers.get("Origin")
        if origin is None or not request.path_info.startswith(PREFIX):
            return handler(request)
        preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if preflight:
            if not allowed(origin):
                response = problem_response(
                    request,
                    403,
                    "Forbidden",
                    "This origin may not call the API from a browser (charter.cors).",
                )
                _vary_origin(response)
                return response
            response = Response(status=204)
            mark(response, origin)
            response.headers["Access-Control-Allow-Methods"] = methods
            response.headers["Access-Control-Allow-Headers"] = headers
            response.headers["Access-Control-Max-Age"] = max_age
            return response
        response = handler(request)
        if allowed(origin):
            mark(response, origin)
            response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED)
        else:
            _vary_origin(response)
        return response

    return tween
