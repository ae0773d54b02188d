"""My account: the logged-in person's details, password, sessions and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from charter.accounts.models import ApiToken, User
from charter.accounts.tokens import READ_SCOPE, TOKEN_SCOPES
from charter.db.meta import utcnow
from charter.errors import ValidationFailed
from charter.input.numbers import whole_number
from charter.security.principals import user_principal
from charter.sessions.devices import describe_device
from charter.web.forms import errors_by_field, refuse_form
from charter.web.i18n import _, flash, plural, translate

ACCOUNT_TEMPLATE = "charter:web/templates/account.jinja2"
TOKENS_TEMPLATE = "charter:web/templates/tokens.jinja2"

# The account pages decide access themselves: their context is not a node, and
# every logged-in person may use them whatever roles they hold.
OWN_ACCOUNT = {"permission": NO_PERMISSION_REQUIRED}


def own_account(request: Request, write: bool = False) -> User:
    """The caller's account; the anonymous are sent to log in, read-only tokens may not write."""
    identity = request.identity
    if identity is None or (write and identity.read_only):
        raise HTTPForbidden()
    return request.accounts.get_user(identity.user_id)


def _account_page(request: Request, user: User, **extra: Any) -> dict[str, Any]:
    page: dict[str, Any] = {
        "user": user,
        "global_roles": request.sharing.global_roles().get(user_principal(user.id), []),
        "sessions": [
            (record, describe_device(record.user_agent))
            for record in request.user_sessions.list(user)
        ],
        "current_session_id": request.user_sessions.current_id(user),
        "errors": {},
        "details": {"full_name": user.full_name, "email": user.email},
    }
    page.update(extra)
    return page


@view_config(route_name="account", request_method="GET", renderer=ACCOUNT_TEMPLATE, **OWN_ACCOUNT)
def account_page(request: Request) -> dict[str, Any]:
    """Who the caller is, their groups, their sessions, and the form to change their password."""
    return _account_page(request, own_account(request))


@view_config(route_name="account", request_method="POST", renderer=ACCOUNT_TEMPLATE, **OWN_ACCOUNT)
def change_password(request: Request) -> dict[str, Any] | Response:
    """Change the caller's own password; their other sessions end, this one goes on."""
    user = own_account(request, write=True)
    current = request.POST.get("current_password", "")
    new = request.POST.get("new_password", "")
    errors: dict[str, list[str]] = {}
    if new != request.POST.get("new_password_repeat", ""):
        errors["new_password_repeat"] = [translate(request, _("the two new passwords differ"))]
    else:
        try:
            request.accounts.change_own_password(user, current, new, actor=request.actor)
        except ValidationFailed as failure:
            # The service calls the new password just "password".
            errors = errors_by_field(
                request,
                [
                    ("new_password" if field == "password" else field, message)
                    for field, message in failure.messages
                ],
            )
    if errors:
        refuse_form(request)
        return _account_page(request, user, errors=errors)
    flash(request, _("Your password was changed. Your other sessions have been logged out."))
    return HTTPSeeOther(request.route_url("account"))


@view_config(
    route_name="account",
    request_method="POST",
    request_param="action=details",
    renderer=ACCOUNT_TEMPLATE,
    **OWN_ACCOUNT,
)
def change_details(request: Request) -> dict[str, Any] | Response:
    """Change the caller's own name and email, as ``PATCH /api/v1/me`` does."""
    user = own_account(request, write=True)
    details = {
        "full_name": request.POST.get("full_name", "").strip(),
        "email": request.POST.get("email", "").strip(),
    }
    try:
        request.accounts.update_user(user, **details, actor=request.actor)
    except ValidationFailed as failure:
        refuse_form(request)
        return _account_page(
            request, user, errors=errors_by_field(request, failure.messages), details=details
        )
    flash(request, _("Your details were saved."))
    return HTTPSeeOther(request.route_url("account"))


@view_config(
    route_name="account", request_method="POST", request_param="action=end-session", **OWN_ACCOUNT
)
def end_session(request: Request) -> Response:
    """End one of the caller's other sessions: that browser is logged out at once."""
    user = own_account(request, write=True)
    session_id = whole_number(request.POST.get("session_id", ""))
    if session_id is None:
        raise ValidationFailed([("session_id", _("choose a session to end"))])
    request.user_sessions.end(user, session_id, actor=request.actor)
    flash(request, _("The session was ended; that browser is logged out."))
    return HTTPSeeOther(request.route_url("account"))


@view_config(
    route_name="account",
    request_method="POST",
    request_param="action=end-other-sessions",
    **OWN_ACCOUNT,
)
def end_other_sessions(request: Request) -> Response:
    """Log the caller out everywhere but here."""
    user = own_account(request, write=True)
    count = request.user_sessions.end_all(user, request.actor, keep_current=True)
    flash(
        request,
        plural(
            request,
            "You were logged out everywhere else (${count} session ended).",
            "You were logged out everywhere else (${count} sessions ended).",
            count,
        ),
    )
    return HTTPSeeOther(request.route_url("account"))


def token_status(token: ApiToken, now: dt.datetime) -> str:
    """The state ``token`` is in: revoked, expired or active."""
    if token.revoked is not None:
        return "revoked"
    if token.expires is not None and token.expires <= now:
        return "expired"
    return "active"


def _tokens_page(request: Request, user: User, **extra: Any) -> dict[str, Any]:
    now = utcnow()
    page: dict[str, Any] = {
        "tokens": [(token, token_status(token, now)) for token in request.tokens.list(user)],
        "scopes": TOKEN_SCOPES,
        "form": {"name": "", "scope": READ_SCOPE, "expires": ""},
        "errors": {},
        "new_token": None,
    }
    page.update(extra)
    return page


@view_config(
    route_name="account.tokens", request_method="GET", renderer=TOKENS_TEMPLATE, **OWN_ACCOUNT
)
def tokens_page(request: Request) -> dict[str, Any]:
    """The caller's API tokens and the form to create one."""
    return _tokens_page(request, own_account(request))


def parse_expiry(text: str) -> dt.datetime | None:
    """The start (UTC) of the day given as YYYY-MM-DD, or None when blank."""
    if not text.strip():
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed([("expires", _("enter a date such as 2030-01-31"))]) from None
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


@view_config(
    route_name="account.tokens",
    request_method="POST",
    request_param="action=create",
    renderer=TOKENS_TEMPLATE,
    **OWN_ACCOUNT,
)
def create_token(request: Request) -> dict[str, Any]:
    """Create a token and show its text in this response only; it is never shown again."""
    user = own_account(request, write=True)
    form = {
        "name": request.POST.get("name", ""),
        "scope": request.POST.get("scope", ""),
        "expires": request.POST.get("expires", ""),
    }
    try:
        token, text = request.tokens.create(
            user,
            form["name"],
            scope=form["scope"],
            expires=parse_expiry(form["expires"]),
            actor=request.actor,
        )
    except ValidationFailed as failure:
        errors = errors_by_field(request, failure.messages)
        refuse_form(request)
        return _tokens_page(request, user, form=form, errors=errors)
    # The token text is in this page only: no cache may keep a copy.
    request.response.cache_control.no_store = True
    return _tokens_page(request, user, new_token={"token": token, "text": text})


@view_config(
    route_name="account.tokens",
    request_method="POST",
    request_param="action=revoke",
    **OWN_ACCOUNT,
)
def revoke_token(request: Request) -> Response:
    """Revoke one of the caller's tokens."""
    user = own_account(request, write=True)
    token_id = whole_number(request.POST.get("token_id", ""))
    if token_id is None:
        raise ValidationFailed([("token_id", _("choose a token to revoke"))])
    token = request.tokens.revoke(user, token_id, actor=request.actor)
    flash(
        request,
        _("The token “${name}” was revoked; it no longer works.", mapping={"name": token.name}),
    )
    return HTTPSeeOther(request.route_url("account.tokens"))
