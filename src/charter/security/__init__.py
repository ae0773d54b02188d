"""Security: the security policy, CSRF, login limits, sharing and site roles."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request

from charter.audit.service import Actor
from charter.security import identity_cache
from charter.security.login import LoginService
from charter.security.policy import CharterSecurityPolicy, bearer_token, viewer
from charter.security.ratelimit import DatabaseRateLimiter, RateLimiter, RedisRateLimiter
from charter.security.sharing import SharingService


def uses_cookie_credentials(request: Request) -> bool:
    """CSRF protection applies unless the request authenticates with a bearer token."""
    return bearer_token(request) is None


def actor(request: Request) -> Actor:
    """Who is acting in this request, for the audit log."""
    identity = request.identity
    if identity is None:
        return Actor(address=request.remote_addr)
    return Actor(identity.user_id, identity.login, request.remote_addr)


def sharing_service(request: Request) -> SharingService:
    """Local and site-wide roles."""
    return SharingService(request.dbsession, audit=request.audit, notify=request.registry.notify)


def login_limiter(request: Request) -> RateLimiter:
    """Failed-login counters: in Redis when configured, else in the database."""
    settings = request.registry.settings
    client = request.registry.get("charter.redis")
    if client is not None:
        return RedisRateLimiter(client, settings["charter.login.window"])
    return DatabaseRateLimiter(request.dbsession, settings["charter.login.window"])


def login_service(request: Request) -> LoginService:
    """Password logins with this site's failure limits."""
    settings = request.registry.settings
    return LoginService(
        request.dbsession,
        request.login_limiter,
        max_failures=settings["charter.login.max_failures"],
        max_failures_per_address=settings["charter.login.max_failures_per_address"],
        audit=request.audit,
    )


def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


def includeme(config: Configurator) -> None:
    """The security policy, CSRF defaults, the Redis client and the security services."""
    settings = config.get_settings()
    config.set_security_policy(CharterSecurityPolicy())
    identity_cache.install(
        config.registry,
        settings["charter.identity_cache.seconds"],
        settings["charter.identity_cache.size"],
    )
    config.set_default_csrf_options(require_csrf=True, callback=uses_cookie_credentials)
    if settings["charter.redis_url"]:
        config.registry["charter.redis"] = _redis_client(settings["charter.redis_url"])

    config.add_request_method(viewer, "viewer", reify=True)
    # The name listings used before workflows: the same Viewer (or None).
    config.add_request_method(viewer, "viewer_principals", reify=True)
    config.add_request_method(actor, "actor", reify=True)
    config.add_request_method(sharing_service, "sharing", reify=True)
    config.add_request_method(login_limiter, "login_limiter", reify=True)
    config.add_request_method(login_service, "login_service", reify=True)
