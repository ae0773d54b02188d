"""Creating and changing content through the JSON API.

``POST /api/v1/content/<folder>`` adds a child from ``{"@type", "name"?, ...fields}``;
``PATCH /api/v1/content/<path>`` changes the fields sent, only when ``If-Match``
names the node's current version.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from pyramid.config import not_
from pyramid.httpexceptions import HTTPMethodNotAllowed, HTTPPreconditionRequired
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.api.openapi.components import NAME_PATTERN
from charter.api.openapi.declare import CURSOR, LIMIT, Reply, created, ok, operation
from charter.api.representation import representation
from charter.api.trash import entry_url
from charter.api.views import node_json, node_response, page_request
from charter.content.registry import ContentType, types_of
from charter.errors import MalformedRequest, NotFound, ValidationFailed
from charter.input import json_object
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.tree.paging import PageRequest
from charter.tree.services import ChildrenPage

# The key beside the fields of a POST or PATCH body that comments the revision it makes.
COMMENT_KEY = "@comment"
# The keys of a POST body that are about the new node rather than its fields.
NEW_NODE_KEYS = ("@type", "name", COMMENT_KEY)
# An ETag this API hands out: the version, then (for a folder) "-" and a digest
# of the listing, which If-Match does not compare.
IF_MATCH = re.compile(r'"(?P<version>[0-9]{1,18})(?:-[0-9a-f]{1,64})?"')


class ContainerPredicate:
    """View predicate ``container``: whether the context is a node that holds children."""

    def __init__(self, value: bool, config: Any) -> None:
        self.value = bool(value)

    def text(self) -> str:
        """How Pyramid names the predicate in its introspection and errors."""
        return f"container = {self.value}"

    phash = text

    def __call__(self, context: Any, request: Request) -> bool:
        return isinstance(context, Node) and context.is_container == self.value


class IfMatchRequired(HTTPPreconditionRequired):
    """428: a change to a node must say which version of it the client edited."""

    explanation = (
        "Send the header If-Match with the ETag the node was read with, "
        'such as If-Match: "3", so that a change made meanwhile is not overwritten.'
    )


def expected_version(request: Request) -> int:
    """The node version the client edited, from its ``If-Match: "<version>"`` header.

    ``428`` without the header; ``400`` unless it holds exactly one ETag of
    this API. A folder's ETag also carries a digest of its listing, which is
    ignored: the version alone says whether the folder itself changed.
    """
    header = request.headers.get("If-Match")
    if header is None:
        raise IfMatchRequired()
    match = IF_MATCH.fullmatch(header.strip())
    if match is None:
        raise MalformedRequest(
            'If-Match must hold one ETag of the node, as its ETag header gave it, such as "3".'
        )
    return int(match["version"])


def revision_comment(body: dict[str, Any]) -> Any:
    """What ``@comment`` holds ("" when absent or null); the editing service checks it."""
    comment = body.get(COMMENT_KEY)
    return "" if comment is None else comment


def _type_of_new_node(request: Request, type_name: Any) -> ContentType:
    types = types_of(request.registry)
    if type_name is None:
        problem = "required: the type of the new item, such as Document"
    elif not isinstance(type_name, str):
        problem = "must be a string"
    else:
        try:
            return types.get(type_name)
        except NotFound:
            known = ", ".join(content_type.name for content_type in types)
            problem = f"unknown type {type_name!r}; the types are {known}"
    raise ValidationFailed([("@type", problem)])


@operation(
    "Add a child to a folder",
    tags=("content",),
    body="new-node",
    responses={201: created("Node", headers=("ETag",))},
    errors=(405, 409),
    operation_id="createNode",
)
@view_config(
    route_name="api.content",
    context=Node,
    request_method="POST",
    container=True,
    permission=Permission.ADD,
    renderer="json",
)
def create_node(context: Node, request: Request) -> dict[str, Any]:
    """Add a child to the folder: ``201`` with its JSON, ``Location`` and ``ETag``.

    ``name`` (its URL segment) is made from the title when left out or null.
    """
    body = json_object(request)
    content_type = _type_of_new_node(request, body.get("@type"))
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise ValidationFailed([("name", "must be a string")])
    fields = {key: value for key, value in body.items() if key not in NEW_NODE_KEYS}
    node = request.content.create(context, content_type.name, fields, name, revision_comment(body))
    # A new folder is empty: no need to ask the database for its children.
    children = ChildrenPage([], None) if node.is_container else None
    created = representation(request, node, children)
    request.response.status_int = 201
    request.response.location = created["@id"]
    return node_response(request, node, created)


@operation(
    "Change a node's fields",
    tags=("content",),
    body="node-changes",
    params=(LIMIT, CURSOR),
    if_match=True,
    responses={200: ok("Node", headers=("ETag",))},
    errors=(409,),
    operation_id="updateNode",
)
@view_config(
    route_name="api.content",
    context=Node,
    request_method="PATCH",
    permission=Permission.EDIT,
    renderer="json",
)
def update_node(context: Node, request: Request) -> dict[str, Any]:
    """Change the fields sent (the others keep their values): ``200`` with the new JSON and ETag.

    ``412`` with ``current_version`` when the node moved past the version in
    If-Match; nothing changes then. ``@comment`` comments the revision.
    """
    version = expected_version(request)
    body = json_object(request)
    fields = {key: value for key, value in body.items() if key != COMMENT_KEY}
    page = page_request(request, context)
    node = request.content.update(context, fields, version, revision_comment(body))
    return node_response(request, node, node_json(request, node, page))


@operation(
    "Move a node and its subtree to the trash",
    tags=("content",),
    if_match=True,
    responses={204: Reply("In the trash; Link names its entry.", None, "", headers=("Link",))},
    errors=(409,),
    operation_id="deleteNode",
)
@view_config(
    route_name="api.content", context=Node, request_method="DELETE", permission=Permission.DELETE
)
def delete_node(context: Node, request: Request) -> Response:
    """Move the node and everything below it to the trash: ``204``, with a ``Link`` to the
    trash entry (``rel="related"``); needs ``If-Match``."""
    entry = request.content.delete(context, expected_version(request))
    response = Response(status=204)
    response.headers["Link"] = (
        f'<{entry_url(request, entry.id)}>; rel="related"; title="trash entry"'
    )
    return response


MOVE_KEYS = ("destination", "name")
# The body of @move and @copy (the views check it key by key).
MOVE_OR_COPY = {
    "type": "object",
    "properties": {
        "destination": {
            "type": "string",
            "format": "charter-folder",
            "description": "The folder's path (such as /projects) or uid.",
        },
        "name": {
            "type": ["string", "null"],
            "pattern": f"^{NAME_PATTERN}$",
            "description": "A new name (null: the one it has).",
        },
    },
    "required": ["destination"],
    "additionalProperties": False,
}


def _only(body: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """``body`` when it has no key but ``keys``; ValidationFailed naming each other one."""
    unknown = [key for key in body if key not in keys]
    if unknown:
        expected = ", ".join(keys)
        raise ValidationFailed([(key, f"unknown field; expected {expected}") for key in unknown])
    return body


def _destination(request: Request, body: dict[str, Any]) -> Node:
    """The folder named by ``destination`` (a path such as /projects, or a uid); one the
    caller may not view is refused exactly like a missing one, by path or by uid."""
    value = body.get("destination")
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed([("destination", "give the folder's path or uid")])
    value = value.strip()
    unknown = ValidationFailed(
        [("destination", f"no folder you may view has the path or uid {value!r}")]
    )
    path = value if value.startswith("/") else None
    if path is None:
        # Looked up through the viewer filter, so a hidden uid is simply not found.
        path = request.tree.path_of_uid(value, request.viewer_principals)
        if path is None:
            raise unknown
    resolution = request.tree.resolve([segment for segment in path.split("/") if segment])
    if resolution.remainder or not request.has_permission(Permission.VIEW, resolution.context):
        raise unknown
    return resolution.context


def _new_name(body: dict[str, Any]) -> str | None:
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise ValidationFailed([("name", "must be a string")])
    if name == "":
        # As when adding a node: no name is null, not "" (which a copy took for no name).
        raise ValidationFailed([("name", "a name cannot be empty")])
    return name


@operation(
    "Move or rename a node",
    tags=("content",),
    body=MOVE_OR_COPY,
    responses={200: ok("Node", headers=("ETag",))},
    errors=(409,),
    operation_id="moveNode",
    at_root=False,
)
@view_config(
    route_name="api.content",
    context=Node,
    name="@move",
    request_method="POST",
    permission=Permission.VIEW,
    renderer="json",
)
def move_node(context: Node, request: Request) -> dict[str, Any]:
    """Move the node (``{"destination": path or uid, "name"?: new name}``); its new JSON."""
    body = _only(json_object(request), MOVE_KEYS)
    request.content.move(context, _destination(request, body), _new_name(body))
    return node_response(request, context, representation(request, context, _no_items(context)))


@operation(
    "Copy a node and its subtree",
    tags=("content",),
    body=MOVE_OR_COPY,
    responses={201: created("Node", headers=("ETag",))},
    errors=(409,),
    operation_id="copyNode",
    at_root=False,
)
@view_config(
    route_name="api.content",
    context=Node,
    name="@copy",
    request_method="POST",
    permission=Permission.VIEW,
    renderer="json",
)
def copy_node(context: Node, request: Request) -> dict[str, Any]:
    """Copy the node and its subtree: ``201`` with the copy's JSON and ``Location``."""
    body = _only(json_object(request), MOVE_KEYS)
    copy = request.content.copy(context, _destination(request, body), _new_name(body))
    created = representation(request, copy, _no_items(copy))
    request.response.status_int = 201
    request.response.location = created["@id"]
    return node_response(request, copy, created)


@operation(
    "Put a folder's children in a new order",
    tags=("content",),
    body={
        "type": "object",
        "properties": {
            "order": {
                "type": "array",
                "items": {"type": "string", "format": "charter-child-name"},
                "description": "Names of the folder's children.",
            }
        },
        "additionalProperties": False,
        "required": ["order"],
    },
    params=(LIMIT, CURSOR),
    responses={200: ok("Node")},
    errors=(409,),
    operation_id="orderChildren",
)
@view_config(
    route_name="api.content",
    context=Node,
    name="@order",
    request_method="POST",
    container=True,
    permission=Permission.EDIT,
    renderer="json",
)
def order_children(context: Node, request: Request) -> dict[str, Any]:
    """Put some or all children in a new order: ``{"order": [names]}``; the first page after."""
    body = _only(json_object(request), ("order",))
    order = body.get("order")
    if not isinstance(order, list) or not all(isinstance(name, str) for name in order):
        raise ValidationFailed([("order", "give the children's names as a list of strings")])
    request.tree.check_visible_children(context, order, request.viewer_principals)
    request.content.reorder(context, order)
    page = PageRequest.from_params(request.GET, request.registry.settings)
    children = request.tree.children_page(
        context, page.limit, page.after, viewers=request.viewer_principals
    )
    return representation(request, context, children, page)


def _no_items(node: Node) -> ChildrenPage | None:
    # The listing is not re-read after a move or copy; clients GET the folder for it.
    return ChildrenPage([], None) if node.is_container else None


def _other_methods(name: str) -> dict[str, Any]:
    return {
        "route_name": "api.content",
        "context": Node,
        "name": name,
        "request_method": not_(("POST",)),
        "require_csrf": False,
        "permission": Permission.VIEW,
    }


# Changes nothing, so no CSRF token is needed to be told so; only those who may view the
# node learn that it exists.
@view_config(**_other_methods("@move"))
@view_config(**_other_methods("@copy"))
@view_config(**_other_methods("@order"))
def action_method_not_allowed(context: Node, request: Request) -> NoReturn:
    """Say which methods ``@move``, ``@copy`` and ``@order`` answer (POST)."""
    raise HTTPMethodNotAllowed(headers={"Allow": "POST"})
