"""JSON API of the trash (``/api/v1/trash``) and of legal holds (``<node>/@legal-hold``).

Deleting a node (``DELETE /api/v1/content/<path>``, charter.api.editing)
moves it here; these endpoints list, restore and purge what the caller may.
"""

from __future__ import annotations

from typing import Any, NoReturn

from pyramid.config import Configurator, not_
from pyramid.httpexceptions import HTTPMethodNotAllowed, HTTPNoContent
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config

from charter.api.openapi.components import NAME_PATTERN
from charter.api.openapi.declare import LIMIT, NO_CONTENT, Param, ok, operation
from charter.api.problems import problem_response
from charter.api.representation import api_url, representation
from charter.api.views import node_response
from charter.errors import ValidationFailed
from charter.input import json_object
from charter.security.roles import Permission
from charter.trash.listing import MAX_PATH_LENGTH, TrashQuery
from charter.trash.models import TrashEntry
from charter.trash.services import RestoreConflict, UnderLegalHold
from charter.tree.models import Node
from charter.tree.services import ChildrenPage

# The methods each route answers, for the Allow header of a 405.
ROUTE_METHODS = {
    "api.trash": ("GET", "HEAD", "DELETE"),
    "api.trash.entry": ("GET", "HEAD", "DELETE"),
    "api.trash.restore": ("POST",),
    "api.trash.hold": ("PUT", "DELETE"),
}
NODE_HOLD_METHODS = ("GET", "HEAD", "PUT", "DELETE")
NODE_HOLD_VIEW = {"route_name": "api.content", "context": Node, "name": "@legal-hold"}
# Any logged-in caller (a read token only reads): the trash service decides what they see.
CALLER = {"caller": True, "renderer": "json"}
RESTORE_KEYS = ("target", "name")
# Text of at most so many characters once stripped, and no NUL.
NO_NUL_UP_TO = "^\\s*[^\\x00]{0,%d}\\s*$"
# The optional body of a restore (checked key by key by _restore_body).
RESTORE_BODY = {
    "type": "object",
    "properties": {
        "target": {
            "type": ["string", "null"],
            "format": "charter-folder",
            "description": "A folder's path.",
        },
        "name": {"type": ["string", "null"], "pattern": f"^{NAME_PATTERN}$"},
    },
    "additionalProperties": False,
}


def add_routes(config: Configurator) -> None:
    """Declare the trash routes."""
    config.add_route("api.trash", "/api/v1/trash")
    # At most 18 digits: every such id fits the databases' 64-bit integers.
    config.add_route("api.trash.entry", "/api/v1/trash/{entry_id:[0-9]{1,18}}")
    config.add_route("api.trash.restore", "/api/v1/trash/{entry_id:[0-9]{1,18}}/@restore")
    config.add_route("api.trash.hold", "/api/v1/trash/{entry_id:[0-9]{1,18}}/@legal-hold")


def entry_url(request: Request, entry_id: int) -> str:
    """The API URL of the trash entry ``entry_id``."""
    return request.route_url("api.trash.entry", entry_id=entry_id)


def entry_json(request: Request, entry: TrashEntry) -> dict[str, Any]:
    """What the trash lists for an entry: the deleted item, where it was, who deleted it."""
    return {
        "@id": entry_url(request, entry.id),
        "id": entry.id,
        "@type": entry.type,
        "uid": entry.uid,
        "title": entry.title,
        "name": entry.name,
        "original_path": entry.original_path,
        "deleted_by": entry.deleted_by_login,
        "deleted_at": entry.deleted_at.isoformat(),
        "item_count": entry.item_count,
        "file_bytes": entry.file_bytes,
        "legal_hold": entry.legal_hold,
        # Spelt out: route_url would percent-encode the "@".
        "restore": f"{entry_url(request, entry.id)}/@restore",
    }


def entry_details(request: Request, entry: TrashEntry) -> dict[str, Any]:
    """An entry's JSON with where it would go back to and what is held inside it."""
    folder = request.trash.original_folder(entry)
    visible = folder is not None and request.has_permission(Permission.VIEW, folder)
    return {
        **entry_json(request, entry),
        # Null when the folder it came from is gone (or hidden): restoring needs a target.
        "original_folder": api_url(request, folder.path) if visible else None,
        "held_items": request.trash.held_items(entry),
    }


def _entry_id(request: Request) -> int:
    return int(request.matchdict["entry_id"])


@operation(
    "The trash entries the caller may see",
    tags=("trash",),
    params=(
        LIMIT,
        Param(
            "after",
            "Where the page starts: take it from a `next` URL; it is opaque.",
            # Any other text is refused (400): the format names what the server hands out.
            {"type": "string", "format": "charter-trash-cursor"},
        ),
        Param("type", "Entries of this type.", {"type": "string", "pattern": NO_NUL_UP_TO % 64}),
        Param(
            "deleted_by",
            "Entries deleted by this login.",
            {"type": "string", "pattern": NO_NUL_UP_TO % 100},
        ),
        Param(
            "since",
            "Deleted from then: a date, or a moment with its offset.",
            {"type": "string", "format": "charter-moment"},
        ),
        Param(
            "until",
            "Deleted until then: a date, or a moment with its offset.",
            {"type": "string", "format": "charter-moment"},
        ),
        Param(
            "path",
            "Deleted from this path or below it.",
            {"type": "string", "pattern": NO_NUL_UP_TO % MAX_PATH_LENGTH},
        ),
    ),
    responses={200: ok("TrashList")},
    operation_id="listTrash",
)
@view_config(route_name="api.trash", request_method="GET", **CALLER)
def list_trash(request: Request) -> dict[str, Any]:
    """The entries the caller may see, newest first, filtered and paged (keyset)."""
    query = TrashQuery.from_params(request.GET, request.registry.settings)
    page = request.trash.page(query)
    next_url = None
    if page.next_cursor is not None:
        next_url = request.route_url("api.trash", _query=query.next_query(page.next_cursor))
    return {"items": [entry_json(request, entry) for entry in page.items], "next": next_url}


@operation(
    "Empty the trash (all but what is held)",
    tags=("trash",),
    responses={200: ok("EmptiedTrash")},
    operation_id="emptyTrash",
)
@view_config(route_name="api.trash", request_method="DELETE", **CALLER)
def empty_trash(request: Request) -> dict[str, Any]:
    """Purge every entry the caller may see except those under legal hold (listed)."""
    outcome = request.trash.empty()
    return {
        "purged": outcome.purged,
        "items": outcome.items,
        "held": [entry_json(request, entry) for entry in outcome.held],
    }


@operation(
    "One trash entry",
    tags=("trash",),
    responses={200: ok("TrashEntryDetails")},
    errors=(404,),
    operation_id="getTrashEntry",
)
@view_config(route_name="api.trash.entry", request_method="GET", **CALLER)
def show_entry(request: Request) -> dict[str, Any]:
    """One entry; ``404`` for one the caller may not see, exactly like a missing one."""
    return entry_details(request, request.trash.get(_entry_id(request)))


@operation(
    "Purge a trash entry for good",
    tags=("trash",),
    responses={204: NO_CONTENT},
    errors=(404, 409),
    operation_id="purgeTrashEntry",
)
@view_config(route_name="api.trash.entry", request_method="DELETE", caller=True)
def purge_entry(request: Request) -> Response:
    """Delete the entry's items for good: ``204``; ``409`` under legal hold."""
    request.trash.purge(_entry_id(request))
    return HTTPNoContent()


def _restore_body(request: Request) -> dict[str, Any]:
    """The optional ``{"target", "name"}`` of a restore: no body at all is ``{}``."""
    if not request.body:
        return {}
    body = json_object(request)
    problems = [
        (key, "unknown key; give target and/or name") for key in body if key not in RESTORE_KEYS
    ]
    problems += [
        (key, "must be a string or null")
        for key in RESTORE_KEYS
        if body.get(key) is not None and not isinstance(body[key], str)
    ]
    if problems:
        raise ValidationFailed(problems)
    return body


@operation(
    "Restore a trash entry",
    tags=("trash",),
    body=RESTORE_BODY,
    responses={200: ok("Node", headers=("ETag", "Content-Location"))},
    errors=(404, 409),
    operation_id="restoreTrashEntry",
    body_required=False,
)
@view_config(route_name="api.trash.restore", request_method="POST", **CALLER)
def restore_entry(request: Request) -> dict[str, Any]:
    """Bring the entry back: ``200`` with the node's JSON, ``Content-Location`` its URL.

    ``409`` with ``reason`` (``parent-gone`` or ``name-taken``) when it cannot go
    back where it was; ``target`` and/or ``name`` in the body resolve it.
    """
    body = _restore_body(request)
    node = request.trash.restore(_entry_id(request), body.get("target"), body.get("name"))
    children = ChildrenPage([], None) if node.is_container else None
    restored = representation(request, node, children)
    request.response.content_location = restored["@id"]
    return node_response(request, node, restored)


@operation(
    "Put a trash entry under legal hold, or lift it",
    tags=("trash",),
    responses={200: ok("TrashEntryDetails")},
    errors=(404,),
    operation_id={"PUT": "holdTrashEntry", "DELETE": "releaseTrashEntry"},
)
@view_config(route_name="api.trash.hold", request_method="PUT", **CALLER)
@view_config(route_name="api.trash.hold", request_method="DELETE", **CALLER)
def entry_hold(request: Request) -> dict[str, Any]:
    """Put the entry under legal hold (``PUT``) or lift it (``DELETE``); Administrators."""
    entry = request.trash.set_entry_hold(_entry_id(request), request.method == "PUT")
    return entry_details(request, entry)


@operation(
    "Whether a node is under legal hold",
    tags=("trash",),
    responses={200: ok("LegalHold")},
    errors=(403,),
    operation_id="getLegalHold",
)
@view_config(
    request_method=("GET", "HEAD"), permission=Permission.MANAGE, renderer="json", **NODE_HOLD_VIEW
)
def show_node_hold(context: Node, request: Request) -> dict[str, Any]:
    """Whether the node is under legal hold; Administrators."""
    return {"@id": api_url(request, context.path), "legal_hold": context.legal_hold}


@operation(
    "Put a node under legal hold, or lift it",
    tags=("trash",),
    responses={200: ok("LegalHold")},
    operation_id={"PUT": "holdNode", "DELETE": "releaseNode"},
)
@view_config(
    request_method=("PUT", "DELETE"),
    permission=Permission.MANAGE,
    renderer="json",
    **NODE_HOLD_VIEW,
)
def change_node_hold(context: Node, request: Request) -> dict[str, Any]:
    """Put the node under legal hold (``PUT``) or lift it (``DELETE``): no purge of it, by
    hand or by retention, while it is on, wherever a delete takes it."""
    request.trash.set_node_hold(context, request.method == "PUT")
    return {"@id": api_url(request, context.path), "legal_hold": context.legal_hold}


@exception_view_config(RestoreConflict, api_request=True)
def restore_conflict_problem(exc: RestoreConflict, request: Request) -> Response:
    """``409`` saying why the entry cannot go back where it was."""
    return problem_response(
        request,
        409,
        "Conflict",
        exc.detail,
        "urn:charter:problem:restore-conflict",
        reason=exc.reason,
    )


@exception_view_config(UnderLegalHold, api_request=True)
def legal_hold_problem(exc: UnderLegalHold, request: Request) -> Response:
    """``409``: a purge of what is under legal hold."""
    return problem_response(request, 409, "Conflict", exc.detail, "urn:charter:problem:legal-hold")


def _other_methods(route_name: str) -> dict[str, Any]:
    # Changes nothing, so no CSRF token is needed to be told so.
    return {
        "route_name": route_name,
        "request_method": not_(ROUTE_METHODS[route_name]),
        "require_csrf": False,
    }


@view_config(**_other_methods("api.trash"))
@view_config(**_other_methods("api.trash.entry"))
@view_config(**_other_methods("api.trash.restore"))
@view_config(**_other_methods("api.trash.hold"))
def trash_method_not_allowed(request: Request) -> NoReturn:
    """Say which methods this URL answers."""
    allowed = ROUTE_METHODS[request.matched_route.name]
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(allowed)})


# Only those who may view the node learn that it exists.
@view_config(
    request_method=not_(NODE_HOLD_METHODS),
    require_csrf=False,
    permission=Permission.VIEW,
    **NODE_HOLD_VIEW,
)
def node_hold_method_not_allowed(context: Node, request: Request) -> NoReturn:
    """Say which methods a legal-hold URL answers."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(NODE_HOLD_METHODS)})
