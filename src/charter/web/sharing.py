"""The sharing page of a node: who holds which role here, and which roles come from above."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from webob.multidict import MultiDict

from charter.errors import ValidationFailed
from charter.input.numbers import whole_number
from charter.security.principals import AUTHENTICATED, EVERYONE, GROUP_PREFIX, USER_PREFIX
from charter.security.roles import LOCAL_ROLES, ROLE_PERMISSIONS, Permission, Role
from charter.security.sharing import Sharing
from charter.tree.models import Node
from charter.web.forms import refuse_form
from charter.web.helpers import breadcrumbs, node_url
from charter.web.i18n import _, flash, translate_errors

TEMPLATE = "charter:web/templates/sharing.jinja2"
SEARCH_LIMIT = 20
# The picker's answer: a few names to choose from while typing, not a directory.
PICKER_LIMIT = 10
# Nobody types more to find a person; longer text is cut, not refused.
MAX_PICKER_QUERY = 100
SYSTEM_NAMES = {
    AUTHENTICATED: "Everyone logged in",
    EVERYONE: "Everyone (also anonymous)",
}
# ASCII digits: \d also matches "٣", which int() reads as 3, naming another row's fields.
ENTRY_PRINCIPAL = re.compile(r"^entry-([0-9]{1,4})-principal$")
ERROR_POINTER = re.compile(r"^entries/([0-9]+)/")


@dataclass(frozen=True)
class PrincipalLabel:
    """How a page names a principal: ``name`` and a ``detail`` such as the login."""

    principal: str
    kind: str  # "user", "group", "system" or "unknown"
    name: str
    detail: str = ""
    inactive: bool = False


@dataclass
class GrantRow:
    """One line of the local grants table."""

    who: PrincipalLabel
    roles: set[str]
    errors: list[str] = field(default_factory=list)
    unsaved: bool = False  # added to the table, not saved yet


@dataclass(frozen=True)
class InheritedRow:
    """Roles that one principal holds here because of a grant on an ancestor."""

    who: PrincipalLabel
    roles: list[str]
    path: str
    source: Node | None


def sharing_url(request: Request, node: Node) -> str:
    """The sharing page of ``node``."""
    return node_url(request, node).rstrip("/") + "/@@sharing"


def principals_url(request: Request, node: Node) -> str:
    """Where the people picker of ``node``'s sharing page asks whom the typed text names."""
    return node_url(request, node).rstrip("/") + "/@@principals"


def describe_principals(request: Request, principals: Iterable[str]) -> dict[str, PrincipalLabel]:
    """Principals by name: a person's full name and login, a group's title, or a system name.

    All of them at once, so a page costs the same queries however many grants it shows.
    """
    principals = set(principals)
    users, groups = request.accounts.principals(principals)
    labels = {}
    for principal in principals:
        suffix = principal.split(":", 1)[-1]
        if principal in SYSTEM_NAMES:
            labels[principal] = PrincipalLabel(principal, "system", SYSTEM_NAMES[principal])
        elif principal.startswith(USER_PREFIX) and whole_number(suffix) in users:
            user = users[int(suffix)]
            labels[principal] = PrincipalLabel(
                principal, "user", user.full_name or user.login, user.login, not user.active
            )
        elif principal.startswith(GROUP_PREFIX) and suffix in groups:
            group = groups[suffix]
            labels[principal] = PrincipalLabel(
                principal, "group", group.title or group.name, group.name
            )
        else:
            labels[principal] = PrincipalLabel(principal, "unknown", principal)
    return labels


def posted_entries(post: MultiDict) -> list[tuple[str, list[str]]]:
    """The grants table as sent: ``(principal, roles)`` in table order, each principal once."""
    # In row order; each row's fields are named by its number as sent ("01" is not "1").
    rows = sorted(
        (int(match[1]), match[1]) for key in post if (match := ENTRY_PRINCIPAL.match(key))
    )
    entries: dict[str, list[str]] = {}
    for _position, index in rows:
        principal = post[f"entry-{index}-principal"].strip()
        if principal:
            roles = entries.setdefault(principal, [])
            roles += [r for r in post.getall(f"entry-{index}-roles") if r not in roles]
    return list(entries.items())


def _inherited_rows(
    context: Node, current: Sharing, labels: dict[str, PrincipalLabel]
) -> list[InheritedRow]:
    ancestors = {node.path: node for node in breadcrumbs(context)}
    grouped: dict[tuple[str, str], list[str]] = {}
    for grant in current.inherited:
        grouped.setdefault((grant.path, grant.principal), []).append(grant.role)
    return [
        InheritedRow(labels[principal], sorted(roles), path, ancestors.get(path))
        for (path, principal), roles in grouped.items()
    ]


def _search(request: Request, text: str, taken: set[str]) -> tuple[list[PrincipalLabel], int]:
    """Who matches ``text`` and is not in the table yet; and how many matched in all."""
    if not text:
        return [], 0
    found = [
        PrincipalLabel(
            f"{GROUP_PREFIX}{group.name}", "group", group.title or group.name, group.name
        )
        for group in request.accounts.list_groups(text, limit=SEARCH_LIMIT)
    ]
    found += [
        PrincipalLabel(
            f"{USER_PREFIX}{user.id}",
            "user",
            user.full_name or user.login,
            user.login,
            not user.active,
        )
        for user in request.accounts.list_users(text, limit=SEARCH_LIMIT)
    ]
    return [label for label in found if label.principal not in taken], len(found)


def _page(
    request: Request,
    context: Node,
    entries: Iterable[tuple[str, Iterable[str]]],
    inherit: bool,
    errors: Iterable[tuple[str, str]] = (),
    added: str | None = None,
) -> dict[str, Any]:
    entries = list(entries)
    current = request.sharing.sharing(context)
    labels = describe_principals(
        request,
        [p for p, _ in entries] + [g.principal for g in current.inherited] + list(SYSTEM_NAMES),
    )
    rows = [GrantRow(labels[p], set(roles), unsaved=p not in current.local) for p, roles in entries]
    general = []
    for pointer, message in errors:
        match = ERROR_POINTER.match(pointer)
        if match and int(match[1]) < len(rows):
            rows[int(match[1])].errors.append(message)
        else:
            general.append(message)
    taken = {row.who.principal for row in rows}
    query = request.params.get("q", "").strip()
    results, matched = _search(request, query, taken)
    return {
        "rows": rows,
        "inherit": inherit,
        "inherited": _inherited_rows(context, current, labels),
        "errors": general,
        "query": query,
        "results": results,
        "matched": matched,
        "added": labels.get(added) if added else None,
        "unsaved": any(row.unsaved for row in rows),
        "everyone": [labels[p] for p in SYSTEM_NAMES if p not in taken],
        "local_roles": [role.value for role in LOCAL_ROLES],
        "role_permissions": [(role.value, sorted(ROLE_PERMISSIONS[role])) for role in LOCAL_ROLES],
        "sharing_url": sharing_url,
        "principals_url": principals_url(request, context),
    }


SHARING_VIEW = {
    "context": Node,
    "name": "sharing",
    "renderer": TEMPLATE,
    "permission": Permission.SHARE,
}


@view_config(request_method="GET", **SHARING_VIEW)
def sharing_page(context: Node, request: Request) -> dict[str, Any]:
    """The node's local grants, whether it inherits, what it inherits, and a people search."""
    current = request.sharing.sharing(context)
    return _page(request, context, current.local.items(), current.inherit)


@view_config(
    context=Node,
    name="principals",
    request_method="GET",
    renderer="json",
    permission=Permission.SHARE,
)
def pick_principals(context: Node, request: Request) -> dict[str, Any]:
    """People and groups whose login, name or title match ``q``, for the picker of the
    sharing and group pages (so only for those who may share here).

    Neither e-mail addresses nor deactivated accounts: a picker offers whom to choose, and
    one who may share need not see everyone's address. ``kind=user`` leaves groups out,
    as group membership takes people only.
    """
    text = request.GET.get("q", "")[:MAX_PICKER_QUERY]
    users, groups = request.accounts.pick_people(
        text, PICKER_LIMIT, groups=request.GET.get("kind") != "user"
    )
    found = [
        {"principal": f"{GROUP_PREFIX}{g.name}", "kind": "group", "name": g.name, "title": g.title}
        for g in groups
    ] + [
        {"principal": f"{USER_PREFIX}{u.id}", "kind": "user", "name": u.login, "title": u.full_name}
        for u in users
    ]
    # Those whose login or name starts with the text first, then by name.
    start = text.strip().lower()
    found.sort(
        key=lambda item: (
            not (item["name"].startswith(start) or item["title"].lower().startswith(start)),
            item["name"],
        )
    )
    return {"results": found[:PICKER_LIMIT]}


@view_config(request_method="POST", **SHARING_VIEW)
def update_sharing(context: Node, request: Request) -> dict[str, Any] | Response:
    """Add a person or group to the table (nothing saved yet), or save the table."""
    entries = posted_entries(request.POST)
    inherit = "inherit" in request.POST
    added = request.POST.get("add", "").strip()
    if added:
        if added not in dict(entries):
            # Someone added is most often meant to read; the box can be unticked.
            entries.append((added, [Role.READER.value]))
        return _page(request, context, entries, inherit, added=added)
    try:
        request.sharing.update(context, dict(entries), inherit=inherit, actor=request.actor)
    except ValidationFailed as failure:
        refuse_form(request)
        return _page(
            request, context, entries, inherit, translate_errors(request, failure.messages)
        )
    flash(request, _("Sharing saved."))
    if request.has_permission(Permission.SHARE, context):
        return HTTPSeeOther(sharing_url(request, context))
    # The change took the caller's own right to share here away.
    flash(request, _("You no longer manage sharing here."))
    if request.has_permission(Permission.VIEW, context):
        return HTTPSeeOther(node_url(request, context))
    return HTTPSeeOther(request.application_url + "/")
