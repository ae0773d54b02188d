"""JSON views of content: ``/api/v1/content/<path>`` and ``/<path>`` asked for as JSON."""

from __future__ import annotations

from typing import Any, NoReturn

from pyramid.config import not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.view import view_config

from charter.api.representation import representation
from charter.content.models import Document, Folder
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.tree.paging import PageRequest

READ_METHODS = ("GET", "HEAD")
JSON_READ = {"request_method": READ_METHODS, "renderer": "json", "permission": Permission.VIEW}


@view_config(route_name="api.content", context=Node, **JSON_READ)
# Registered for each type that has an HTML page as well, so that Pyramid
# weighs both views of one type against the client's Accept header (q-values).
@view_config(context=Node, accept="application/json", **JSON_READ)
@view_config(context=Folder, accept="application/json", **JSON_READ)
@view_config(context=Document, accept="application/json", **JSON_READ)
def content_json(context: Node, request: Request) -> dict[str, Any]:
    """The node's JSON; a folder's includes a page of its children."""
    children = page = None
    if context.is_container:
        page = PageRequest.from_params(request.GET, request.registry.settings)
        children = request.tree.children_page(
            context, page.limit, page.after, viewers=request.viewer_principals
        )
    if request.matched_route is None:
        # The same URL also serves HTML; caches must keep the two apart.
        request.response.vary = ("Accept",)
    return representation(request, context, children, page)


# Changes nothing, so no CSRF token is needed to be told so.
@view_config(
    route_name="api.content",
    context=Node,
    request_method=not_(READ_METHODS),
    require_csrf=False,
    # Only those who may view the node learn that it exists.
    permission=Permission.VIEW,
)
def content_method_not_allowed(context: Node, request: Request) -> NoReturn:
    """Content is read-only through the API for now: say which methods work."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(READ_METHODS)})
