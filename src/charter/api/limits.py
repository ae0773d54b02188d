"""Per-token rate limits on ``/api/``: ``charter.api.rate_limit`` requests a window.

Each API token (by its digest: no lookup needed, so a burst of bad tokens
is counted too) gets ``charter.api.rate_limit`` requests per
``charter.api.rate_limit_window`` seconds, counted in Redis when
``charter.redis_url`` is set, else in the database (a short transaction of
its own before the request's, so counting never holds the request's locks).
Past the limit the answer is ``429`` with ``Retry-After``; every counted
answer carries ``RateLimit-Limit``, ``RateLimit-Remaining``,
``RateLimit-Reset`` and ``RateLimit-Policy``. Off (0) by default: requests
with a session cookie are not counted here (logins have their own limits).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy.orm import Session

from charter.api.problems import problem_response
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY, WRITES_ENGINE_KEY
from charter.security.policy import bearer_token
from charter.security.ratelimit import DatabaseRateLimiter, RedisRateLimiter

PREFIX = "/api/"


def token_key(token: str) -> str:
    """The counter's key of a bearer token: a digest, never the token itself."""
    return "api-token:" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:40]


@contextmanager
def _counter(request: Request, window: int) -> Any:
    client = request.registry.get("charter.redis")
    if client is not None:
        yield RedisRateLimiter(client, window)
        return
    connection = request.environ.get(TEST_CONNECTION_ENVIRON_KEY)
    if connection is not None:
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
    else:
        session = Session(bind=request.registry[WRITES_ENGINE_KEY])
    with session, session.begin():
        yield DatabaseRateLimiter(session, window)


def rate_limit_tween_factory(handler: Callable[[Request], Response], registry: Registry):
    """Count API requests per token; 429 past the limit."""
    limit = registry.settings["charter.api.rate_limit"]
    window = registry.settings["charter.api.rate_limit_window"]
    if not limit:
        return handler

    def tween(request: Request) -> Response:
        token = bearer_token(request) if request.path_info.startswith(PREFIX) else None
        if token is None:
            return handler(request)
        key = token_key(token)
        with _counter(request, window) as counter:
            count = counter.hit(key)
            reset = counter.retry_after(key) or window
        headers = {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(max(limit - count, 0)),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{limit};w={window}",
        }
        if count > limit:
            response = problem_response(
                request,
                429,
                "Too Many Requests",
                f"This token made more than {limit} requests in {window} seconds; "
                f"retry in {reset} seconds.",
                "urn:charter:problem:rate-limited",
            )
            response.headers["Retry-After"] = str(reset)
        else:
            response = handler(request)
        response.headers.update(headers)
        return response

    return tween
