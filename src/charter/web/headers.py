"""Security headers on every response (the HTML-specific ones on HTML pages)."""

from __future__ import annotations

from collections.abc import Callable

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

# Scripts and styles only from this site: no inline script can run, and the
# pages may not be framed by other sites.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy(image_sources: tuple[str, ...] = ()) -> str:
    """The policy, with the other sites images may come from (charter.web.image_sources)."""
    if not image_sources:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", "img-src 'self' data: " + " ".join(image_sources)
    )


HSTS = "max-age=31536000; includeSubDomains"


def security_headers_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """A tween adding the security headers to whatever the app answers."""
    policy = content_security_policy(registry.settings.get("charter.web.image_sources", ()))

    def security_headers_tween(request: Request) -> Response:
        response = handler(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.content_type == "text/html":
            headers.setdefault("Content-Security-Policy", policy)
            headers.setdefault("X-Frame-Options", "DENY")
        if request.scheme == "https":
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    return security_headers_tween
