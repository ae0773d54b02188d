"""JSON views of content by path (``/api/v1/content/<path>``, ``/<path>`` as JSON) and by uid."""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from pyramid.config import Configurator, not_
from pyramid.httpexceptions import (
    HTTPForbidden,
    HTTPMethodNotAllowed,
    HTTPNotModified,
    HTTPSeeOther,
)
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.api.openapi.declare import CURSOR, IF_NONE_MATCH, LIMIT, Reply, ok, operation
from charter.api.representation import api_url, representation
from charter.content.models import Document, File, Folder
from charter.errors import NotFound
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.tree.paging import PageRequest

READ_METHODS = ("GET", "HEAD")
JSON_READ = {"request_method": READ_METHODS, "renderer": "json", "permission": Permission.VIEW}
# What a node's JSON depends on includes who asks (a folder lists only what
# the caller may view), so no shared cache may keep it; clients may keep it
# and revalidate it with If-None-Match.
CACHE_CONTROL = "private, no-cache"


def add_routes(config: Configurator) -> None:
    """Declare ``/api/v1/nodes/<uid>``."""
    config.add_route("api.node", "/api/v1/nodes/{uid}")


def node_methods(node: Node) -> tuple[str, ...]:
    """The methods a node's API URL answers (the Allow header of a 405)."""
    writes = ("POST", "PATCH", "DELETE") if node.is_container else ("PATCH", "DELETE")
    return READ_METHODS + writes


def entity_tag(node: Node, body: dict[str, Any]) -> str:
    """The entity tag (without quotes) of ``body``, the JSON of ``node``.

    The node's version, which every change to it moves on. A folder's JSON
    also lists a page of its children, which change without the folder's
    own version moving, so its tag adds a digest of the whole body:
    ``<version>-<digest>``. Either way the version leads, and it is all
    ``If-Match`` compares (charter.api.editing.expected_version).
    """
    if not node.is_container:
        return str(node.version)
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return f"{node.version}-{hashlib.sha256(encoded).hexdigest()[:16]}"


def node_response(
    request: Request, node: Node, body: dict[str, Any], etag: str | None = None
) -> dict[str, Any]:
    """``body`` (the JSON of ``node``) for the renderer, with the node's ETag and cache rules.

    ``etag``: the body's entity tag when the caller has it already (a folder's
    costs a serialisation and a digest of its whole page).
    """
    response = request.response
    response.etag = entity_tag(node, body) if etag is None else etag
    response.cache_control = CACHE_CONTROL
    return body


def page_request(request: Request, node: Node) -> PageRequest | None:
    """The page of children the query string asks for, when ``node`` is a folder.

    Checked for every node: a bad ``limit`` or ``after`` is a 400 wherever it is sent.
    """
    page = PageRequest.from_params(request.GET, request.registry.settings)
    return page if node.is_container else None


def node_json(request: Request, node: Node, page: PageRequest | None) -> dict[str, Any]:
    """The JSON of ``node``; a folder's has the ``page`` of children the caller may view."""
    if page is None:
        return representation(request, node)
    children = request.tree.children_page(
        node, page.limit, page.after, viewers=request.viewer_principals
    )
    return representation(request, node, children, page)


@operation(
    "Read a node",
    tags=("content",),
    params=(LIMIT, CURSOR, IF_NONE_MATCH),
    responses={
        200: ok("Node", headers=("ETag", "Cache-Control")),
        304: Reply("The client's copy is current.", None, "", headers=("ETag",)),
    },
    security="optional",
    operation_id="getNode",
)
@view_config(route_name="api.content", context=Node, **JSON_READ)
# Registered for each type that has an HTML page as well, so that Pyramid
# weighs both views of one type against the client's Accept header (q-values).
@view_config(context=Node, accept="application/json", **JSON_READ)
@view_config(context=Folder, accept="application/json", **JSON_READ)
@view_config(context=Document, accept="application/json", **JSON_READ)
@view_config(context=File, accept="application/json", **JSON_READ)
def content_json(context: Node, request: Request) -> dict[str, Any] | Response:
    """The node's JSON and ETag; a folder's includes a page of its children.

    ``304 Not Modified`` when the client already holds it (If-None-Match).
    """
    if request.matched_route is None:
        # The same URL also serves HTML; caches must keep the two apart.
        request.response.vary = ("Accept",)
    if not context.is_container and str(context.version) in request.if_none_match:
        # A leaf's ETag is its version alone: the client is answered before any JSON is built.
        return _not_modified(request, str(context.version))
    body = node_json(request, context, page_request(request, context))
    etag = entity_tag(context, body)
    if etag in request.if_none_match:
        return _not_modified(request, etag)
    return node_response(request, context, body, etag)


def _not_modified(request: Request, etag: str) -> Response:
    not_modified = HTTPNotModified()
    not_modified.etag = etag
    not_modified.cache_control = CACHE_CONTROL
    not_modified.vary = request.response.vary
    return not_modified


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
    """Say which methods the node's URL answers (POST only for a folder)."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(node_methods(context))})


@operation(
    "Find a node by its uid",
    tags=("content",),
    responses={303: Reply("Where the node is: its API URL.", None, "", headers=("Location",))},
    errors=(404,),
    operation_id="findNodeByUid",
)
@view_config(route_name="api.node", request_method=READ_METHODS)
def node_by_uid(request: Request) -> Response:
    """``303 See Other`` to the API URL of the node with this uid.

    A node the caller may not view answers ``404`` exactly like an unknown
    uid; the anonymous get ``401`` for both, like for content.
    """
    uid = request.matchdict["uid"]
    path = request.tree.path_of_uid(uid, request.viewer_principals)
    if path is None:
        if request.identity is None:
            raise HTTPForbidden()  # answered 401 with WWW-Authenticate
        raise NotFound(f"No item has the uid {uid!r}, or you may not view it.")
    return HTTPSeeOther(location=api_url(request, path))


@view_config(route_name="api.node", request_method=not_(READ_METHODS), require_csrf=False)
def node_by_uid_method_not_allowed(request: Request) -> NoReturn:
    """Say which methods ``/api/v1/nodes/<uid>`` answers."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(READ_METHODS)})
