"""JSON API of people: ``/api/v1/users``, ``/api/v1/groups``, ``/api/v1/me``, its tokens and
sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from pyramid.config import Configurator, not_
from pyramid.httpexceptions import HTTPForbidden, HTTPMethodNotAllowed, HTTPNoContent
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.accounts.models import User
from charter.accounts.services import GROUP_NAME_PATTERN, LOGIN_PATTERN
from charter.accounts.tokens import TOKEN_SCOPES
from charter.api.openapi.declare import NO_CONTENT, Param, made, ok, operation
from charter.api.people_representation import (
    FLAG,
    NO_NUL,
    TEXT_OR_NULL,
    ListOf,
    ObjectOf,
    Scalar,
    check_body,
    group_json,
    json_object,
    one_line,
    parse_moment,
    read_body,
    session_json,
    text_shape,
    token_json,
    user_json,
)
from charter.errors import Forbidden, ValidationFailed
from charter.input.text import WHITESPACE
from charter.security.denials import READ_ONLY_DETAIL
from charter.security.principals import user_principal
from charter.security.roles import Permission, Role
from charter.sessions.services import BY_ADMINISTRATOR

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Site administrators only: the policy grants manage through a site-wide role.
ADMIN = {"permission": Permission.MANAGE, "renderer": "json"}
# Any logged-in caller; the view decides the rest (see caller_view).
CALLER = {"caller": True, "renderer": "json"}

# The strings of people's bodies, as the account services check them (charter.accounts).
LOGIN = text_shape({"pattern": LOGIN_PATTERN.pattern})
_ADDRESS = f"[^@{WHITESPACE}\\x00-\\x1f\\x7f]+"
EMAIL = text_shape(
    {"pattern": f"^[{WHITESPACE}]*{_ADDRESS}@{_ADDRESS}[{WHITESPACE}]*$", "maxLength": 255}
)
FULL_NAME = text_shape({"pattern": one_line(255)})
PASSWORD = text_shape(
    {"pattern": NO_NUL, "minLength": "charter.password.min_length", "maxLength": 1024}
)
CURRENT_PASSWORD = text_shape({"format": "password", "maxLength": 1024})
# Logins of existing accounts (an unknown one is refused).
MEMBERS = ListOf(text_shape({"format": "charter-login"}))
GLOBAL_ROLES = ListOf(text_shape({"enum": [role.value for role in Role]}))
NEW_USER = ObjectOf(
    {"login": LOGIN, "email": EMAIL, "full_name": FULL_NAME, "password": PASSWORD},
    required=frozenset({"login", "email", "password"}),
)
ACCOUNT_CHANGES_BY_ADMIN = ObjectOf(
    {
        "email": EMAIL,
        "full_name": FULL_NAME,
        "active": FLAG,
        "password": PASSWORD,
        "global_roles": GLOBAL_ROLES,
    }
)
OWN_ACCOUNT_CHANGES = ObjectOf(
    {
        "email": EMAIL,
        "full_name": FULL_NAME,
        "password": PASSWORD,
        "current_password": CURRENT_PASSWORD,
    }
)
ADMIN_ONLY_FIELDS = ("active", "global_roles")
GROUP_TITLE = text_shape({"pattern": one_line(255)})
NEW_GROUP = ObjectOf(
    {
        "name": text_shape({"pattern": GROUP_NAME_PATTERN.pattern}),
        "title": GROUP_TITLE,
        "members": MEMBERS,
    },
    required=frozenset({"name"}),
)
GROUP_CHANGES = ObjectOf({"title": GROUP_TITLE, "members": MEMBERS})
NEW_TOKEN = ObjectOf(
    {
        "name": text_shape({"pattern": one_line(100, blank=False)}),
        "scope": text_shape({"enum": list(TOKEN_SCOPES)}),
        # An ISO 8601 moment with its offset, in the future; null: until revoked.
        "expires": Scalar(
            "a string or null",
            TEXT_OR_NULL.accepts,
            {"type": ["string", "null"], "format": "charter-future-moment"},
        ),
    },
    required=frozenset({"name", "scope"}),
)

# The methods each route answers, for the Allow header of a 405.
ROUTE_METHODS = {
    "api.users": ("GET", "HEAD", "POST"),
    "api.user": ("GET", "HEAD", "PATCH", "DELETE"),
    "api.user.sessions": ("DELETE",),
    "api.groups": ("GET", "HEAD", "POST"),
    "api.group": ("GET", "HEAD", "PATCH", "DELETE"),
    "api.me": ("GET", "HEAD", "PATCH"),
    "api.me.tokens": ("GET", "HEAD", "POST"),
    "api.me.token": ("GET", "HEAD", "DELETE"),
    "api.me.sessions": ("GET", "HEAD", "DELETE"),
    "api.me.session": ("GET", "HEAD", "DELETE"),
}


def add_routes(config: Configurator) -> None:
    """Declare the people routes and the ``caller`` view option their views use."""
    config.add_view_deriver(caller_view, under="secured_view", over="csrf_view")
    config.add_route("api.users", "/api/v1/users")
    # At most 18 digits: every such id fits the databases' 64-bit integers.
    config.add_route("api.user", "/api/v1/users/{user_id:[0-9]{1,18}}")
    config.add_route("api.user.sessions", "/api/v1/users/{user_id:[0-9]{1,18}}/sessions")
    config.add_route("api.groups", "/api/v1/groups")
    config.add_route("api.group", "/api/v1/groups/{name}")
    config.add_route("api.me", "/api/v1/me")
    config.add_route("api.me.tokens", "/api/v1/me/tokens")
    config.add_route("api.me.token", "/api/v1/me/tokens/{token_id:[0-9]{1,18}}")
    config.add_route("api.me.sessions", "/api/v1/me/sessions")
    config.add_route("api.me.session", "/api/v1/me/sessions/{session_id:[0-9]{1,18}}")


def caller_view(view: Callable, info: Any) -> Callable:
    """View option ``caller=True``: any logged-in caller may use the view, but a read token
    may not change anything through it.

    A view deriver rather than a check in the view, so that it runs where the
    permission check does: before the CSRF check, which would otherwise
    answer an anonymous write with 400 instead of 401.
    """
    if not info.options.get("caller"):
        return view

    def wrapper(context: Any, request: Request) -> Any:
        identity = request.identity
        if identity is None:
            raise HTTPForbidden()  # answered 401 with WWW-Authenticate
        if identity.read_only and request.method not in SAFE_METHODS:
            raise Forbidden(READ_ONLY_DETAIL)
        return view(context, request)

    return wrapper


caller_view.options = ("caller",)


def created(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Answer 201 with ``body``, and its ``@id`` as ``Location``."""
    request.response.status_int = 201
    request.response.location = body["@id"]
    return body


def _global_roles_of(request: Request, user: User) -> list[str]:
    return request.sharing.global_roles().get(user_principal(user.id), [])


def _check_role_names(roles: list[str]) -> None:
    names = {role.value for role in Role}
    problems = [
        (f"global_roles/{index}", f"{role!r} is not one of {', '.join(sorted(names))}")
        for index, role in enumerate(roles)
        if role not in names
    ]
    if problems:
        raise ValidationFailed(problems)


def change_account(request: Request, user: User, changes: dict[str, Any], by_admin: bool) -> None:
    """Apply checked changes to ``user``: an administrator's, or the person's own.

    A person changing their own password must give the current one.
    """
    if "global_roles" in changes:
        _check_role_names(changes["global_roles"])
    own_password_change = not by_admin and "password" in changes
    if "current_password" in changes and not own_password_change:
        raise ValidationFailed([("current_password", "only needed with a new password")])
    if own_password_change and "current_password" not in changes:
        raise ValidationFailed([("current_password", "required to set a new password")])
    actor = request.actor
    request.accounts.update_user(
        user,
        email=changes.get("email"),
        full_name=changes.get("full_name"),
        active=changes.get("active"),
        actor=actor,
    )
    if own_password_change:
        request.accounts.change_own_password(
            user, changes["current_password"], changes["password"], actor
        )
    elif "password" in changes:
        request.accounts.set_password(user, changes["password"], actor=actor)
    if "global_roles" in changes:
        try:
            request.sharing.set_global_roles(
                user_principal(user.id), changes["global_roles"], actor=actor
            )
        except ValidationFailed as failure:
            # The service speaks of "roles"; this body calls them "global_roles".
            raise ValidationFailed(
                [("global_roles" if f == "roles" else f, m) for f, m in failure.errors]
            ) from None


# -- users --------------------------------------------------------------------


@operation(
    "The accounts",
    tags=("people",),
    params=(Param("q", "Keep those whose names contain this text."),),
    responses={200: ok("UserList")},
    errors=(403,),
    operation_id="listUsers",
)
@view_config(route_name="api.users", request_method="GET", **ADMIN)
def list_users(request: Request) -> dict[str, Any]:
    """Accounts by login; ``?q=`` keeps those whose login, name or email contain it."""
    users = request.accounts.list_users(request.GET.get("q") or None)
    global_roles = request.sharing.global_roles()
    return {
        "items": [
            user_json(request, user, global_roles.get(user_principal(user.id), []))
            for user in users
        ]
    }


@operation(
    "Create an account",
    tags=("people",),
    body=NEW_USER,
    responses={
        201: made("User", links={"GetUser": ("getUser", {"user_id": "$response.body#/id"})})
    },
    errors=(409,),
    operation_id="createUser",
)
@view_config(route_name="api.users", request_method="POST", **ADMIN)
def create_user(request: Request) -> dict[str, Any]:
    """Create an account from ``{"login", "email", "full_name", "password"}``."""
    body = read_body(request, NEW_USER)
    user = request.accounts.create_user(
        body["login"],
        body["email"],
        body["password"],
        full_name=body.get("full_name", ""),
        actor=request.actor,
    )
    return created(request, user_json(request, user, []))


def _account_in_url(request: Request) -> tuple[User, bool]:
    """The account the URL names and whether the caller administers it; only an administrator
    may name someone else's."""
    user_id = int(request.matchdict["user_id"])
    by_admin = request.has_permission(Permission.MANAGE)
    if not by_admin and request.identity.user_id != user_id:
        raise Forbidden(
            "Only site administrators (with the session or a read-write token) "
            "may see or change other accounts."
        )
    return request.accounts.get_user(user_id), bool(by_admin)


@operation(
    "One account",
    tags=("people",),
    responses={200: ok("User")},
    errors=(403, 404),
    operation_id="getUser",
)
@view_config(route_name="api.user", request_method="GET", **CALLER)
def show_user(request: Request) -> dict[str, Any]:
    """One account: for site administrators, or for the person themselves."""
    user, _ = _account_in_url(request)
    return user_json(request, user, _global_roles_of(request, user))


@operation(
    "Change an account",
    tags=("people",),
    body=ACCOUNT_CHANGES_BY_ADMIN,
    responses={200: ok("User")},
    errors=(404, 409),
    operation_id="updateUser",
)
@view_config(route_name="api.user", request_method="PATCH", **CALLER)
def update_user(request: Request) -> dict[str, Any]:
    """Change an account; a person may change their own email, name and password."""
    user, by_admin = _account_in_url(request)
    body = json_object(request)
    if not by_admin and any(field in body for field in ADMIN_ONLY_FIELDS):
        raise Forbidden(f"Only site administrators may change {' or '.join(ADMIN_ONLY_FIELDS)}.")
    check_body(body, ACCOUNT_CHANGES_BY_ADMIN if by_admin else OWN_ACCOUNT_CHANGES)
    change_account(request, user, body, by_admin)
    return user_json(request, user, _global_roles_of(request, user))


@operation(
    "Deactivate an account",
    tags=("people",),
    responses={204: NO_CONTENT},
    errors=(404,),
    operation_id="deactivateUser",
)
@view_config(route_name="api.user", request_method="DELETE", permission=Permission.MANAGE)
def deactivate_user(request: Request) -> Response:
    """Deactivate an account: it can no longer log in or use its tokens; nothing is deleted."""
    user = request.accounts.get_user(int(request.matchdict["user_id"]))
    request.accounts.deactivate(user, actor=request.actor)
    return HTTPNoContent()


@operation(
    "End every session of an account",
    tags=("people",),
    responses={204: NO_CONTENT},
    errors=(404,),
    operation_id="endUserSessions",
)
@view_config(route_name="api.user.sessions", request_method="DELETE", permission=Permission.MANAGE)
def end_user_sessions(request: Request) -> Response:
    """End every session of an account at once; its API tokens go on working."""
    user = request.accounts.get_user(int(request.matchdict["user_id"]))
    request.user_sessions.end_all(user, request.actor, BY_ADMINISTRATOR)
    return HTTPNoContent()


# -- groups -------------------------------------------------------------------


@operation(
    "The groups",
    tags=("people",),
    params=(Param("q", "Keep those whose names contain this text."),),
    responses={200: ok("GroupList")},
    errors=(403,),
    operation_id="listGroups",
)
@view_config(route_name="api.groups", request_method="GET", **ADMIN)
def list_groups(request: Request) -> dict[str, Any]:
    """Groups by name; ``?q=`` keeps those whose name or title contain it."""
    groups = request.accounts.list_groups(request.GET.get("q") or None)
    return {"items": [group_json(request, group) for group in groups]}


@operation(
    "Create a group",
    tags=("people",),
    body=NEW_GROUP,
    responses={
        201: made("Group", links={"GetGroup": ("getGroup", {"name": "$response.body#/name"})})
    },
    errors=(409,),
    operation_id="createGroup",
)
@view_config(route_name="api.groups", request_method="POST", **ADMIN)
def create_group(request: Request) -> dict[str, Any]:
    """Create a group from ``{"name", "title", "members": [logins]}``."""
    body = read_body(request, NEW_GROUP)
    group = request.accounts.create_group(
        body["name"],
        title=body.get("title", ""),
        members=body.get("members", []),
        actor=request.actor,
    )
    return created(request, group_json(request, group))


@operation(
    "One group",
    tags=("people",),
    responses={200: ok("Group")},
    errors=(403, 404),
    operation_id="getGroup",
)
@view_config(route_name="api.group", request_method="GET", **ADMIN)
def show_group(request: Request) -> dict[str, Any]:
    """One group and its members."""
    return group_json(request, request.accounts.get_group(request.matchdict["name"]))


@operation(
    "Change a group",
    tags=("people",),
    body=GROUP_CHANGES,
    responses={200: ok("Group")},
    errors=(404,),
    operation_id="updateGroup",
)
@view_config(route_name="api.group", request_method="PATCH", **ADMIN)
def update_group(request: Request) -> dict[str, Any]:
    """Change a group's title, or make ``members`` exactly its members."""
    group = request.accounts.get_group(request.matchdict["name"], for_update=True)
    body = read_body(request, GROUP_CHANGES)
    request.accounts.update_group(
        group, title=body.get("title"), members=body.get("members"), actor=request.actor
    )
    return group_json(request, group)


@operation(
    "Delete a group",
    tags=("people",),
    responses={204: NO_CONTENT},
    errors=(404,),
    operation_id="deleteGroup",
)
@view_config(route_name="api.group", request_method="DELETE", permission=Permission.MANAGE)
def delete_group(request: Request) -> Response:
    """Delete a group and every role granted to it."""
    group = request.accounts.get_group(request.matchdict["name"], for_update=True)
    request.accounts.delete_group(group, actor=request.actor)
    return HTTPNoContent()


# -- the caller ---------------------------------------------------------------


def _caller(request: Request) -> User:
    return request.accounts.get_user(request.identity.user_id)


def _me_json(request: Request, user: User) -> dict[str, Any]:
    identity = request.identity
    # Every site-wide role the caller holds: their own and their groups'.
    body = user_json(request, user, [role.value for role in identity.global_roles])
    body["token"] = (
        None
        if identity.token_id is None
        else {"id": identity.token_id, "scope": identity.token_scope}
    )
    return body


@operation(
    "The caller's account",
    tags=("me",),
    responses={200: ok("Me")},
    operation_id="getMe",
)
@view_config(route_name="api.me", request_method="GET", **CALLER)
def show_me(request: Request) -> dict[str, Any]:
    """The caller's account, groups, site-wide roles, and token (when they sent one)."""
    return _me_json(request, _caller(request))


@operation(
    "Change the caller's account",
    tags=("me",),
    body=OWN_ACCOUNT_CHANGES,
    responses={200: ok("Me")},
    errors=(409,),
    operation_id="updateMe",
)
@view_config(route_name="api.me", request_method="PATCH", **CALLER)
def update_me(request: Request) -> dict[str, Any]:
    """Change the caller's own email, name or password (with the current password)."""
    user = _caller(request)
    change_account(request, user, read_body(request, OWN_ACCOUNT_CHANGES), by_admin=False)
    return _me_json(request, user)


@operation(
    "The caller's API tokens",
    tags=("me",),
    responses={200: ok("TokenList")},
    operation_id="listTokens",
)
@view_config(route_name="api.me.tokens", request_method="GET", **CALLER)
def list_tokens(request: Request) -> dict[str, Any]:
    """The caller's API tokens, newest first, revoked ones included."""
    return {"items": [token_json(request, t) for t in request.tokens.list(_caller(request))]}


@operation(
    "Create an API token",
    tags=("me",),
    body=NEW_TOKEN,
    responses={
        201: made(
            "NewToken",
            headers=("Cache-Control",),
            links={"GetToken": ("getToken", {"token_id": "$response.body#/id"})},
        )
    },
    operation_id="createToken",
)
@view_config(route_name="api.me.tokens", request_method="POST", **CALLER)
def create_token(request: Request) -> dict[str, Any]:
    """Create a token; its text is in this response only (``token``) and never again."""
    body = read_body(request, NEW_TOKEN)
    expires = body.get("expires")
    token, text = request.tokens.create(
        _caller(request),
        body["name"],
        scope=body["scope"],
        expires=None if expires is None else parse_moment(expires, "expires"),
        actor=request.actor,
    )
    # The token text is in this response only: no cache may keep a copy.
    request.response.cache_control.no_store = True
    return created(request, {**token_json(request, token), "token": text})


@operation(
    "One of the caller's tokens",
    tags=("me",),
    responses={200: ok("Token")},
    errors=(404,),
    operation_id="getToken",
)
@view_config(route_name="api.me.token", request_method="GET", **CALLER)
def show_token(request: Request) -> dict[str, Any]:
    """One of the caller's tokens."""
    token_id = int(request.matchdict["token_id"])
    return token_json(request, request.tokens.get(_caller(request), token_id))


@operation(
    "Revoke a token",
    tags=("me",),
    responses={204: NO_CONTENT},
    errors=(404,),
    operation_id="revokeToken",
)
@view_config(route_name="api.me.token", request_method="DELETE", caller=True)
def revoke_token(request: Request) -> Response:
    """Revoke one of the caller's tokens; it stops working at once."""
    token_id = int(request.matchdict["token_id"])
    request.tokens.revoke(_caller(request), token_id, actor=request.actor)
    return HTTPNoContent()


@operation(
    "The caller's sessions",
    tags=("me",),
    responses={200: ok("SessionList")},
    operation_id="listSessions",
)
@view_config(route_name="api.me.sessions", request_method="GET", **CALLER)
def list_sessions(request: Request) -> dict[str, Any]:
    """The caller's sessions, most recently seen first; ``current`` marks this request's."""
    user = _caller(request)
    current = request.user_sessions.current_id(user)
    return {"items": [session_json(request, s, current) for s in request.user_sessions.list(user)]}


@operation(
    "End the caller's other sessions",
    tags=("me",),
    responses={204: NO_CONTENT},
    operation_id="endOtherSessions",
)
@view_config(route_name="api.me.sessions", request_method="DELETE", caller=True)
def end_other_sessions(request: Request) -> Response:
    """End every session of the caller but this request's own (which gets a new key)."""
    request.user_sessions.end_all(_caller(request), request.actor, keep_current=True)
    return HTTPNoContent()


@operation(
    "One of the caller's sessions",
    tags=("me",),
    responses={200: ok("Session")},
    errors=(404,),
    operation_id="getSession",
)
@view_config(route_name="api.me.session", request_method="GET", **CALLER)
def show_session(request: Request) -> dict[str, Any]:
    """One of the caller's sessions."""
    user = _caller(request)
    session = request.user_sessions.get(user, int(request.matchdict["session_id"]))
    return session_json(request, session, request.user_sessions.current_id(user))


@operation(
    "End one of the caller's sessions",
    tags=("me",),
    responses={204: NO_CONTENT},
    errors=(404,),
    operation_id="endSession",
)
@view_config(route_name="api.me.session", request_method="DELETE", caller=True)
def end_session(request: Request) -> Response:
    """End one of the caller's sessions at once (this request's own logs it out)."""
    session_id = int(request.matchdict["session_id"])
    request.user_sessions.end(_caller(request), session_id, actor=request.actor)
    return HTTPNoContent()


def _other_methods(route_name: str) -> dict[str, Any]:
    # Changes nothing, so no CSRF token is needed to be told so.
    return {
        "route_name": route_name,
        "request_method": not_(ROUTE_METHODS[route_name]),
        "require_csrf": False,
    }


@view_config(**_other_methods("api.users"))
@view_config(**_other_methods("api.user"))
@view_config(**_other_methods("api.user.sessions"))
@view_config(**_other_methods("api.groups"))
@view_config(**_other_methods("api.group"))
@view_config(**_other_methods("api.me"))
@view_config(**_other_methods("api.me.tokens"))
@view_config(**_other_methods("api.me.token"))
@view_config(**_other_methods("api.me.sessions"))
@view_config(**_other_methods("api.me.session"))
def method_not_allowed(request: Request) -> NoReturn:
    """Say which methods this URL answers."""
    allowed = ROUTE_METHODS[request.matched_route.name]
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(allowed)})
