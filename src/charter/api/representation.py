"""The JSON shape of nodes, the same for every type and interface."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from charter.tree.models import Node
from charter.tree.paging import PageRequest
from charter.tree.paths import ROOT_PATH, parent_path
from charter.tree.services import ChildrenPage


def api_url(request: Request, path: str) -> str:
    """The API URL (``@id``) of the node at ``path``."""
    return request.route_url("api.content", traverse=_traverse(path))


def _traverse(path: str) -> str:
    # The route is /api/v1/content*traverse: the root is the bare prefix.
    return "" if path == ROOT_PATH else path


def summary(request: Request, node: Node) -> dict[str, Any]:
    """The keys every node has; what a folder lists for each child."""
    parent = parent_path(node.path)
    return {
        "@id": api_url(request, node.path),
        "@type": node.type_name,
        "uid": node.uid,
        "name": node.name,
        "title": node.title,
        "description": node.description,
        "path": node.path,
        "parent": None if parent is None else api_url(request, parent),
        "created": node.created.isoformat(),
        "modified": node.modified.isoformat(),
        "version": node.version,
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
        body["items"] = [summary(request, child) for child in children.items]
        body["next"] = None
        if children.next_cursor is not None and page is not None:
            body["next"] = request.route_url(
                "api.content",
                traverse=_traverse(node.path),
                _query=page.next_query(children.next_cursor),
            )
    return body
