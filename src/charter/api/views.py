"""JSON views of content: ``/api/v1/content/<path>`` and ``/<path>`` asked for as JSON."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from charter.api.representation import representation
from charter.tree.models import Node
from charter.tree.paging import PageRequest

JSON_READ = {"request_method": ("GET", "HEAD"), "renderer": "json"}


@view_config(route_name="api.content", context=Node, **JSON_READ)
@view_config(context=Node, accept="application/json", **JSON_READ)
def content_json(context: Node, request: Request) -> dict[str, Any]:
    """The node's JSON; a folder's includes a page of its children."""
    children = page = None
    if context.is_container:
        page = PageRequest.from_params(request.GET, request.registry.settings)
        children = request.tree.children_page(context, page.limit, page.after)
    if request.matched_route is None:
        # The same URL also serves HTML; caches must keep the two apart.
        request.response.vary = ("Accept",)
    return representation(request, context, children, page)
