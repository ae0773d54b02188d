"""Logging in and out of the web UI."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from charter.security.login import LoginRefused
from charter.web.i18n import translate

TEMPLATE = "charter:web/templates/login.jinja2"


def safe_came_from(request: Request, came_from: str | None) -> str:
    """Where to go after logging in: ``came_from`` when it is on this site, else home."""
    home = request.application_url + "/"
    if not came_from:
        return home
    target = urlsplit(came_from)
    own = urlsplit(request.application_url)
    if (target.scheme, target.netloc) in {("", ""), (own.scheme, own.netloc)} and (
        target.path.startswith("/") and not target.path.startswith("//")
    ):
        return came_from if target.netloc else request.application_url + came_from
    return home


@view_config(
    route_name="login",
    request_method="GET",
    renderer=TEMPLATE,
    permission=NO_PERMISSION_REQUIRED,
)
def login_form(request: Request) -> dict[str, Any]:
    """The login page."""
    return {"login": "", "error": None, "came_from": request.GET.get("came_from", "")}


@view_config(
    route_name="login",
    request_method="POST",
    renderer=TEMPLATE,
    permission=NO_PERMISSION_REQUIRED,
)
def login_submit(request: Request) -> dict[str, Any] | Response:
    """Check the credentials; on success start a session and go where the person was headed."""
    login = request.POST.get("login", "")
    came_from = request.POST.get("came_from", "")
    try:
        user = request.login_service.authenticate(
            login, request.POST.get("password", ""), request.remote_addr
        )
    except LoginRefused as refusal:
        # Answered, not raised: the failure counters and audit entry must be committed.
        request.response.status_int = 429 if refusal.retry_after else 400
        if refusal.retry_after:
            request.response.headers["Retry-After"] = str(refusal.retry_after)
        return {
            "login": login,
            "error": translate(request, refusal.message),
            "came_from": came_from,
        }
    headers = remember(request, user.id)
    return HTTPSeeOther(safe_came_from(request, came_from), headers=headers)


@view_config(route_name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout(request: Request) -> Response:
    """End the session (a POST, so that no link or image can log anyone out)."""
    identity = request.identity
    if identity is not None:
        request.audit.record("logout", request.actor, f"user:{identity.user_id}")
    headers = forget(request)
    return HTTPSeeOther(request.route_url("login"), headers=headers)
