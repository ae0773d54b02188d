"""Small functions the templates call."""

from __future__ import annotations

from pyramid.location import lineage
from pyramid.request import Request

from charter.security.roles import Permission, permissions_of
from charter.tree.models import Node


def node_url(request: Request, node: Node) -> str:
    """The HTML page of ``node``."""
    return request.application_url + node.path


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
