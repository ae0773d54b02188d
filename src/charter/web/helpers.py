"""Small functions the templates call."""

from __future__ import annotations

from collections.abc import Callable

from pyramid.location import lineage
from pyramid.request import Request

from charter.errors import Conflict
from charter.i18n import _
from charter.security.roles import Permission, permissions_of
from charter.tree.models import Node

VOWELS = frozenset("aeiou")
# registry key: (kind, name) -> the path of a fixed page or a static file below the site's address
SITE_PATHS_KEY = "charter.web.site_paths"


def node_url(request: Request, node: Node) -> str:
    """The HTML page of ``node``."""
    return request.application_url + node.path


def static_url(request: Request, spec: str) -> str:
    """``request.static_url(spec)``, its path below the site's address worked out once a
    registry: the static views are registered by name (charter.web) with no cache buster, so
    only the address of the site (the Host of the request) differs from one request to another."""
    return _below_site(request, ("static", spec), request.static_url, spec)


def page_url(request: Request, route_name: str) -> str:
    """``request.route_url(route_name)`` of a route with no placeholder (the trash, the
    account page, the forms of the layout), its path worked out once a registry."""
    return _below_site(request, ("route", route_name), request.route_url, route_name)


def _below_site(
    request: Request, key: tuple[str, str], make_url: Callable[[str], str], name: str
) -> str:
    site = request.application_url
    paths = request.registry[SITE_PATHS_KEY]
    path = paths.get(key)
    if path is None:
        path = paths[key] = make_url(name).removeprefix(site)
    return site + path


def with_article(content_type: object) -> str:
    """A type's title with its indefinite article, "a Document", "an Event": the type's own
    ``article`` when it declares one (a title such as "Hour" or "User guide" needs it), else
    "an" before a vowel."""
    title = str(getattr(content_type, "title", content_type))
    article = getattr(content_type, "article", None) or (
        "an" if title[:1].lower() in VOWELS else "a"
    )
    return f"{article} {title}"


def is_site_administrator(request: Request) -> bool:
    """True when the caller may manage accounts and groups (a site-wide grant only)."""
    identity = request.identity
    return identity is not None and Permission.MANAGE in permissions_of(identity.global_roles)


def breadcrumbs(node: Node) -> list[Node]:
    """The nodes from the root down to ``node`` (as loaded by traversal)."""
    return list(reversed(list(lineage(node))))


def crumb_trail(request: Request, node: Node) -> list[tuple[Node, str | None]]:
    """The breadcrumbs above ``node``: its ancestors from the root down, each with the address
    of its page when the caller may view it, else None (the trail then shows only its name:
    docs/security.md, "Shared into a hidden folder"). Decided here for the whole trail, not by
    a macro call and a permission check through the template for each ancestor."""
    base = request.application_url
    return [
        (each, base + each.path if request.has_permission(Permission.VIEW, each) else None)
        for each in breadcrumbs(node)[:-1]
    ]


def nearest_visible(request: Request, node: Node | None) -> Node | None:
    """``node`` or its closest ancestor the caller may view (from the lineage traversal
    loaded); None when there is none."""
    while node is not None and not request.has_permission(Permission.VIEW, node):
        node = node.__parent__
    return node


def refuse_unless_folder(context: Node) -> None:
    """Refuse (Conflict) to add or upload into ``context`` when it cannot hold items."""
    if not context.is_container:
        raise Conflict(
            _("“${title}” is not a folder and cannot hold items", mapping={"title": context.title})
        )
