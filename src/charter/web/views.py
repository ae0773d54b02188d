"""HTML pages of content nodes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pyramid.request import Request
from pyramid.view import view_config

from charter.content.models import Document, Folder
from charter.security.roles import Permission
from charter.tree.paging import PageRequest
from charter.web.dashboard import dashboard
from charter.web.helpers import node_url

HTML_READ = {
    "request_method": ("GET", "HEAD"),
    "accept": "text/html",
    "permission": Permission.VIEW,
}


@view_config(context=Folder, renderer="charter:web/templates/folder.jinja2", **HTML_READ)
def folder_page(context: Folder, request: Request) -> dict[str, Any]:
    """A folder: its description and a page of its children; the home page (the root) shows
    a logged-in person's dashboard above them."""
    page = PageRequest.from_params(request.GET, request.registry.settings)
    children = request.tree.children_page(
        context, page.limit, page.after, viewers=request.viewer_principals
    )
    next_url = None
    if children.next_cursor is not None:
        next_url = (
            node_url(request, context) + "?" + urlencode(page.next_query(children.next_cursor))
        )
    request.response.vary = ("Accept",)
    home = dashboard(request) if context.parent_id is None else None
    return {"children": children, "next_url": next_url, "dashboard": home}


@view_config(context=Document, renderer="charter:web/templates/document.jinja2", **HTML_READ)
def document_page(context: Document, request: Request) -> dict[str, Any]:
    """A document: its rendered body."""
    request.response.vary = ("Accept",)
    return {}
