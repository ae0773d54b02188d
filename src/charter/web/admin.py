"""The admin area: accounts and groups, for site administrators."""

from __future__ import annotations

import re
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.accounts.models import Group, User
from charter.errors import Conflict, ValidationFailed
from charter.security.principals import group_principal, user_principal
from charter.security.roles import Permission, Role
from charter.sessions.devices import describe_device
from charter.sessions.services import BY_ADMINISTRATOR
from charter.web.forms import errors_by_field, refuse_form
from charter.web.i18n import _, flash, plural, translate

USERS_TEMPLATE = "charter:web/templates/admin_users.jinja2"
USER_TEMPLATE = "charter:web/templates/admin_user.jinja2"
GROUPS_TEMPLATE = "charter:web/templates/admin_groups.jinja2"
GROUP_TEMPLATE = "charter:web/templates/admin_group.jinja2"

# These routes have no node as context, so only site-wide roles can grant this.
ADMIN = {"permission": Permission.MANAGE}
ALL_ROLES = [role.value for role in Role]
LOGIN_SEPARATORS = re.compile(r"[\s,]+")


def parse_logins(text: str) -> list[str]:
    """Logins typed one per line or separated by commas or spaces."""
    return [login for login in LOGIN_SEPARATORS.split(text) if login]


def _posted(request: Request, *names: str) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in names}


# -- people -----------------------------------------------------------------


def _users_page(request: Request, **extra: Any) -> dict[str, Any]:
    query = request.GET.get("q", "").strip()
    page: dict[str, Any] = {
        "query": query,
        "users": request.accounts.list_users(query or None),
        "global_roles": request.sharing.global_roles(),
        "form": {"login": "", "email": "", "full_name": ""},
        "errors": {},
    }
    page.update(extra)
    return page


@view_config(route_name="admin.users", request_method="GET", renderer=USERS_TEMPLATE, **ADMIN)
def users_page(request: Request) -> dict[str, Any]:
    """Every account (or those matching a search), and the form to create one."""
    return _users_page(request)


@view_config(route_name="admin.users", request_method="POST", renderer=USERS_TEMPLATE, **ADMIN)
def create_user(request: Request) -> dict[str, Any] | Response:
    """Create an account, then show it."""
    form = _posted(request, "login", "email", "full_name")
    try:
        user = request.accounts.create_user(
            form["login"],
            form["email"],
            request.POST.get("password", ""),
            full_name=form["full_name"],
            actor=request.actor,
        )
    except ValidationFailed as failure:
        errors = errors_by_field(request, failure.messages)
    except Conflict as conflict:
        errors = {"login": [translate(request, conflict.message)]}
    else:
        flash(request, _("The account ${login} was created.", mapping={"login": user.login}))
        return HTTPSeeOther(request.route_url("admin.user", user_id=user.id))
    refuse_form(request)
    return _users_page(request, form=form, errors=errors)


def _user_page(request: Request, user: User, **extra: Any) -> dict[str, Any]:
    page: dict[str, Any] = {
        "user": user,
        "roles": ALL_ROLES,
        "held_roles": request.sharing.global_roles().get(user_principal(user.id), []),
        "form": {"email": user.email, "full_name": user.full_name},
        "sessions": [
            (record, describe_device(record.user_agent))
            for record in request.user_sessions.list(user)
        ],
        "errors": {},
    }
    page.update(extra)
    return page


def _user(request: Request) -> User:
    return request.accounts.get_user(int(request.matchdict["user_id"]))


@view_config(route_name="admin.user", request_method="GET", renderer=USER_TEMPLATE, **ADMIN)
def user_page(request: Request) -> dict[str, Any]:
    """One account: its details, password, sessions, site-wide roles and groups."""
    return _user_page(request, _user(request))


def _edit_profile(request: Request, user: User) -> str:
    request.accounts.update_user(
        user,
        email=request.POST.get("email", ""),
        full_name=request.POST.get("full_name", ""),
        actor=request.actor,
    )
    return _("The details were saved.")


def _set_password(request: Request, user: User) -> str:
    password = request.POST.get("password", "")
    if password != request.POST.get("password_repeat", ""):
        raise ValidationFailed([("password_repeat", _("the two passwords differ"))])
    request.accounts.set_password(user, password, actor=request.actor)
    return _(
        "The password of ${login} was set; their sessions have ended.",
        mapping={"login": user.login},
    )


def _set_active(request: Request, user: User) -> str:
    active = request.POST.get("active") == "yes"
    request.accounts.update_user(user, active=active, actor=request.actor)
    if active:
        return _("${login} may log in again.", mapping={"login": user.login})
    return _("${login} can no longer log in or use API tokens.", mapping={"login": user.login})


def _end_sessions(request: Request, user: User) -> str:
    count = request.user_sessions.end_all(user, request.actor, BY_ADMINISTRATOR)
    return plural(
        request,
        "${count} session of ${login} ended; they must log in again.",
        "${count} sessions of ${login} ended; they must log in again.",
        count,
        login=user.login,
    )


def _set_user_roles(request: Request, user: User) -> str:
    roles = request.POST.getall("roles")
    request.sharing.set_global_roles(user_principal(user.id), roles, actor=request.actor)
    return _("The site-wide roles were saved.")


USER_ACTIONS = {
    "profile": _edit_profile,
    "password": _set_password,
    "active": _set_active,
    "sessions": _end_sessions,
    "roles": _set_user_roles,
}


def _refused(
    request: Request, action: str, failure: ValidationFailed, details_form: str, *fields: str
) -> dict[str, Any]:
    """What a page shows again after its form ``action`` was refused: the input and errors.

    ``details_form`` is the action of the page's form of text ``fields``, whose input is kept.
    """
    extra: dict[str, Any] = {}
    if action == "roles":
        # The sharing service names the roles of its one entry "entries/0/roles".
        extra["errors"] = {
            "roles": {"roles": [translate(request, message) for _, message in failure.messages]}
        }
        extra["held_roles"] = request.POST.getall("roles")
        return extra
    extra["errors"] = {action: errors_by_field(request, failure.messages)}
    if action == details_form:
        extra["form"] = _posted(request, *fields)
    return extra


@view_config(route_name="admin.user", request_method="POST", renderer=USER_TEMPLATE, **ADMIN)
def change_user(request: Request) -> dict[str, Any] | Response:
    """Apply one of the account page's forms (named by ``action``)."""
    user = _user(request)
    action = request.POST.get("action", "")
    if action not in USER_ACTIONS:
        raise ValidationFailed(
            [("action", _("unknown action ${action}", mapping={"action": repr(action)}))]
        )
    try:
        message = USER_ACTIONS[action](request, user)
    except ValidationFailed as failure:
        refuse_form(request)
        return _user_page(
            request, user, **_refused(request, action, failure, "profile", "email", "full_name")
        )
    flash(request, message)
    return HTTPSeeOther(request.route_url("admin.user", user_id=user.id))


# -- groups -----------------------------------------------------------------


def _groups_page(request: Request, **extra: Any) -> dict[str, Any]:
    query = request.GET.get("q", "").strip()
    page: dict[str, Any] = {
        "query": query,
        "groups": request.accounts.list_groups(query or None),
        "global_roles": request.sharing.global_roles(),
        "form": {"name": "", "title": "", "members": ""},
        "errors": {},
    }
    page.update(extra)
    return page


@view_config(route_name="admin.groups", request_method="GET", renderer=GROUPS_TEMPLATE, **ADMIN)
def groups_page(request: Request) -> dict[str, Any]:
    """Every group (or those matching a search), and the form to create one."""
    return _groups_page(request)


@view_config(route_name="admin.groups", request_method="POST", renderer=GROUPS_TEMPLATE, **ADMIN)
def create_group(request: Request) -> dict[str, Any] | Response:
    """Create a group with its members, then show it."""
    form = _posted(request, "name", "title", "members")
    try:
        group = request.accounts.create_group(
            form["name"], form["title"], parse_logins(form["members"]), actor=request.actor
        )
    except ValidationFailed as failure:
        errors = errors_by_field(request, failure.messages)
    except Conflict as conflict:
        errors = {"name": [translate(request, conflict.message)]}
    else:
        flash(request, _("The group ${name} was created.", mapping={"name": group.name}))
        return HTTPSeeOther(request.route_url("admin.group", name=group.name))
    refuse_form(request)
    return _groups_page(request, form=form, errors=errors)


def _group_page(request: Request, group: Group, **extra: Any) -> dict[str, Any]:
    page: dict[str, Any] = {
        "group": group,
        "roles": ALL_ROLES,
        "held_roles": request.sharing.global_roles().get(group_principal(group.name), []),
        "form": {"title": group.title, "members": "\n".join(u.login for u in group.members)},
        "errors": {},
    }
    page.update(extra)
    return page


@view_config(route_name="admin.group", request_method="GET", renderer=GROUP_TEMPLATE, **ADMIN)
def group_page(request: Request) -> dict[str, Any]:
    """One group: title, members, site-wide roles, and deleting it."""
    return _group_page(request, request.accounts.get_group(request.matchdict["name"]))


def _edit_group(request: Request, group: Group) -> str:
    request.accounts.update_group(
        group,
        title=request.POST.get("title", ""),
        members=parse_logins(request.POST.get("members", "")),
        actor=request.actor,
    )
    return _("The group was saved.")


def _set_group_roles(request: Request, group: Group) -> str:
    principal = group_principal(group.name)
    request.sharing.set_global_roles(principal, request.POST.getall("roles"), actor=request.actor)
    return _("The site-wide roles were saved.")


def _delete_group(request: Request, group: Group) -> str:
    if request.POST.get("confirm") != "yes":
        raise ValidationFailed([("confirm", _("tick the box to confirm the deletion"))])
    request.accounts.delete_group(group, actor=request.actor)
    return _("The group ${name} was deleted.", mapping={"name": group.name})


GROUP_ACTIONS = {"edit": _edit_group, "roles": _set_group_roles, "delete": _delete_group}


@view_config(route_name="admin.group", request_method="POST", renderer=GROUP_TEMPLATE, **ADMIN)
def change_group(request: Request) -> dict[str, Any] | Response:
    """Apply one of the group page's forms (named by ``action``)."""
    group = request.accounts.get_group(request.matchdict["name"], for_update=True)
    action = request.POST.get("action", "")
    if action not in GROUP_ACTIONS:
        raise ValidationFailed(
            [("action", _("unknown action ${action}", mapping={"action": repr(action)}))]
        )
    try:
        message = GROUP_ACTIONS[action](request, group)
    except ValidationFailed as failure:
        refuse_form(request)
        extra = _refused(request, action, failure, "edit", "title", "members")
        return _group_page(request, group, **extra)
    flash(request, message)
    if action == "delete":
        return HTTPSeeOther(request.route_url("admin.groups"))
    return HTTPSeeOther(request.route_url("admin.group", name=group.name))
