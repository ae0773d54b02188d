"""The audit log over the JSON API.

``GET /api/v1/audit`` lists the entries the caller may read (filters as on
the audit page, keyset pages newest first); ``GET /api/v1/audit/export``
streams the filtered selection as NDJSON or CSV; ``GET <node>/@audit`` lists
one node's entries for those who manage it.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlencode

from pyramid.config import Configurator
from pyramid.config.predicates import not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.api.openapi.declare import CURSOR, LIMIT, Param, Reply, ok, operation
from charter.api.representation import api_url
from charter.audit.reading import EVERYTHING, AuditAccess, AuditQuery, entry_record, page
from charter.errors import Forbidden
from charter.security.policy import effective_roles
from charter.security.roles import Permission, Role
from charter.trash.listing import MAX_PATH_LENGTH
from charter.tree.models import Node
from charter.web.audit import export_response

CALLER = {"caller": True}
AUDIT = "@audit"
NOT_MANAGER = "only Administrators and the Managers of this item may read its audit log"
# What the log and its export answer (a GET view answers HEAD too).
READ_METHODS = ("GET", "HEAD")

_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_INTEGER = {"type": ["integer", "null"]}
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "action": {"type": "string"},
        "label": {"type": "string"},
        "actor": _NULLABLE_STRING,
        "actor_id": _NULLABLE_INTEGER,
        "token_id": _NULLABLE_INTEGER,
        "address": _NULLABLE_STRING,
        "user_agent": _NULLABLE_STRING,
        "request_id": _NULLABLE_STRING,
        "target": {"type": "string"},
        "node": {
            "type": ["object", "null"],
            "properties": {
                "uid": {"type": "string"},
                "path": _NULLABLE_STRING,
                "title": _NULLABLE_STRING,
            },
            "required": ["uid", "path", "title"],
            "additionalProperties": False,
        },
        "details": {"type": "object"},
    },
    "required": [
        "id",
        "at",
        "action",
        "label",
        "actor",
        "actor_id",
        "token_id",
        "address",
        "user_agent",
        "request_id",
        "target",
        "node",
        "details",
    ],
    "additionalProperties": False,
}
PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": ENTRY_SCHEMA},
        "next": {"type": ["string", "null"], "format": "uri"},
    },
    "required": ["items", "next"],
    "additionalProperties": False,
}


# Filter text: printable characters only (str.isprintable), at most so many.
def _text(maximum: int) -> dict[str, Any]:
    return {"type": "string", "format": "charter-printable", "maxLength": maximum}


FILTERS = (
    LIMIT,
    CURSOR,
    Param("actor", "Entries by this login.", _text(100)),
    Param("action", "Entries of this action code.", _text(64)),
    Param("path", "Entries about this path or below it.", _text(MAX_PATH_LENGTH)),
    Param(
        "since",
        "From then: a date, or a moment with its offset.",
        {"type": "string", "format": "charter-moment"},
    ),
    Param(
        "until",
        "Until then: a date (the whole day), or a moment with its offset.",
        {"type": "string", "format": "charter-moment"},
    ),
    Param(
        "node",
        "Entries about the node with this uid.",
        {"type": "string", "pattern": "^[0-9A-Za-z]{0,32}$"},
    ),
)


def add_routes(config: Configurator) -> None:
    """Declare ``/api/v1/audit`` and its export."""
    config.add_route("api.audit", "/api/v1/audit")
    config.add_route("api.audit.export", "/api/v1/audit/export")


def _page_body(request: Request, query: AuditQuery, access: AuditAccess, url: str) -> dict:
    result = page(request.dbsession, query, access)
    request.response.cache_control = "private, no-store"
    return {
        "items": [entry_record(entry) for entry in result.items],
        "next": None
        if result.next_cursor is None
        else f"{url}?{urlencode(query.next_query(result.next_cursor))}",
    }


@operation(
    "Audit log entries the caller may read, newest first",
    tags=("audit",),
    params=FILTERS,
    responses={200: ok(PAGE_SCHEMA)},
    errors=(403,),
    operation_id="listAuditEntries",
)
@view_config(route_name="api.audit", request_method=READ_METHODS, renderer="json", **CALLER)
def list_entries(request: Request) -> dict[str, Any]:
    """A page of entries: everything for Administrators, the entries about what they manage
    (and may view) for Managers of a folder; ``403`` for anyone else."""
    query = AuditQuery.from_params(request.GET, request.registry.settings)
    return _page_body(request, query, request.audit_access, request.route_url("api.audit"))


@operation(
    "Export the filtered audit log (streamed)",
    tags=("audit",),
    params=FILTERS[2:],
    responses={
        200: Reply(
            "One entry per line (NDJSON) or row (CSV), newest first.",
            {"type": "string"},
            media_type="application/x-ndjson",
        )
    },
    errors=(403,),
    operation_id="exportAuditEntries",
)
@view_config(route_name="api.audit.export", request_method="GET", **CALLER)
def export_entries(request: Request) -> Response:
    """Every entry of the selection the caller may read as NDJSON, streamed a batch at a time
    (the same selection as CSV: ``/admin/audit/export?format=csv``, with the same token)."""
    return export_response(request, "ndjson")


# Changes nothing, so no CSRF token is needed to be told so.
@view_config(route_name="api.audit", request_method=not_(READ_METHODS), require_csrf=False)
@view_config(route_name="api.audit.export", request_method=not_(READ_METHODS), require_csrf=False)
# Only those who may view the node learn that it exists.
@view_config(
    route_name="api.content",
    context=Node,
    name=AUDIT,
    request_method=not_(READ_METHODS),
    permission=Permission.VIEW,
    require_csrf=False,
)
def audit_method_not_allowed(request: Request) -> NoReturn:
    """Say which methods the log, its export and a node's log answer."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(READ_METHODS)})


@operation(
    "One item's audit log entries, newest first",
    tags=("audit",),
    params=FILTERS,
    responses={200: ok(PAGE_SCHEMA)},
    errors=(403, 404),
    operation_id="listNodeAuditEntries",
)
@view_config(
    route_name="api.content",
    context=Node,
    name=AUDIT,
    request_method=READ_METHODS,
    permission=Permission.VIEW,
    renderer="json",
)
def node_entries(context: Node, request: Request) -> dict[str, Any]:
    """The entries about this item (whatever path it had then), for Administrators and the
    Managers of the item."""
    identity = request.identity
    roles = {str(role) for role in effective_roles(identity, context)}
    if identity is None or not roles & {Role.MANAGER.value, Role.ADMINISTRATOR.value}:
        raise Forbidden(NOT_MANAGER)
    if Role.ADMINISTRATOR.value in {str(role) for role in identity.global_roles}:
        access = EVERYTHING
    else:
        access = AuditAccess(subtrees=None, viewer=request.viewer)
    query = AuditQuery.from_params(request.GET, request.registry.settings).for_node(context.uid)
    url = api_url(request, context.path).rstrip("/") + "/" + AUDIT
    return _page_body(request, query, access, url)
