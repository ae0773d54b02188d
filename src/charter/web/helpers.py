"""Small functions the templates call."""

from __future__ import annotations

from pyramid.location import lineage
from pyramid.request import Request

from charter.errors import Conflict
from charter.i18n import _
from charter.security.roles import Permission, permissions_of
from charter.tree.models import Node

VOWELS = frozenset("aeiou")


def node_url(request: Request, node: Node) -> str:
    """The HTML page of ``node``."""
    return request.application_url + node.path


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
