"""The JSON shape of nodes, the same for every type and interface."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.traversal import PATH_SAFE, quote_path_segment

from charter.security.roles import Permission
from charter.tree.models import Node
from charter.tree.paging import PageRequest
from charter.tree.paths import ROOT_PATH
from charter.tree.services import ChildrenPage

# Where api_url keeps the request's URL of the API's content root.
_API_BASE_KEY = "_charter_api_base"


def api_url(request: Request, path: str) -> str:
    """The API URL (``@id``) of the node at ``path``.

    What ``request.route_url("api.content", traverse=path)`` gives, with the
    route generated once per request: a folder's page names fifty children
    and their parent, and Pyramid's URL generation costs more than the rest
    of a child's JSON. The path is quoted as Pyramid quotes a ``*traverse``.
    """
    base = request.__dict__.get(_API_BASE_KEY)
    if base is None:
        base = request.__dict__[_API_BASE_KEY] = request.route_url("api.content", traverse="")
    if path == ROOT_PATH:
        return base
    return base + quote_path_segment(path, safe=PATH_SAFE)


def _traverse(path: str) -> str:
    # The route is /api/v1/content*traverse: the root is the bare prefix.
    return "" if path == ROOT_PATH else path


def parent_url(request: Request, node: Node) -> str | None:
    """The API URL of ``node``'s folder (``__parent__``, as loaded: no query), or None for
    the root, for a folder the caller may not view (docs/security.md) and if not loaded."""
    parent = node.__parent__
    if parent is None or not request.has_permission(Permission.VIEW, parent):
        return None
    return api_url(request, parent.path)


def ancestor_urls(request: Request, node: Node) -> dict[str, str]:
    """The API URL of each ancestor of ``node`` that the caller may view, by path (from the
    lineage traversal loaded)."""
    urls = {}
    ancestor = node.__parent__
    while ancestor is not None:
        if request.has_permission(Permission.VIEW, ancestor):
            urls[ancestor.path] = api_url(request, ancestor.path)
        ancestor = ancestor.__parent__
    return urls


def summary(request: Request, node: Node) -> dict[str, Any]:
    """The keys every node has; what a folder lists for each child."""
    return _summary(request, node, parent_url(request, node))


def _summary(request: Request, node: Node, parent: str | None) -> dict[str, Any]:
    return {
        "@id": api_url(request, node.path),
        "@type": node.type_name,
        "uid": node.uid,
        "name": node.name,
        "title": node.title,
        "description": node.description,
        "path": node.path,
        "parent": parent,
        "created": node.created.isoformat(),
        "modified": node.modified.isoformat(),
        "version": node.version,
        # As ``state`` of the node's @workflow (charter.api.workflow); None: no workflow.
        "state": node.workflow_state,
    }


def representation(
    request: Request,
    node: Node,
    children: ChildrenPage | None = None,
    page: PageRequest | None = None,
) -> dict[str, Any]:
    """The full JSON of ``node``: its summary, its own fields and, for a folder, a page of items."""
    body = summary(request, node)
    body.update(node.content_fields())
    if children is not None:
        # The children of one folder share their parent: it is decided once.
        listed_in = parent_url(request, children.items[0]) if children.items else None
        body["items"] = [_summary(request, child, listed_in) for child in children.items]
        body["next"] = None
        if children.next_cursor is not None and page is not None:
            body["next"] = request.route_url(
                "api.content",
                traverse=_traverse(node.path),
                _query=page.next_query(children.next_cursor),
            )
    return body
