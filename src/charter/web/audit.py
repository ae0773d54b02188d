"""The audit log page (Administration → Audit log) and its CSV and NDJSON exports.

Administrators read every entry; a Manager of a folder reads the entries
about what lies in it and that they may view (charter.audit.reading). The
exports stream a filtered selection from a connection of their own, a batch
at a time, so a million rows take no more memory than one batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.audit import export_connection
from charter.audit.actions import ACTIONS, action_label
from charter.audit.export import csv_lines, ndjson_lines
from charter.audit.reading import (
    AuditQuery,
    page,
    statement,
    stream,
)
from charter.errors import ValidationFailed
from charter.security.policy import effective_roles
from charter.security.roles import Role
from charter.tree.models import Node
from charter.web.forms import errors_by_field
from charter.web.i18n import _

TEMPLATE = "charter:web/templates/audit.jinja2"
# Any logged-in person: what they may read is decided by request.audit_access.
CALLER = {"caller": True}
FORMATS = {
    "csv": ("text/csv", "audit-log.csv"),
    "ndjson": ("application/x-ndjson", "audit-log.ndjson"),
}


def add_routes(config: Configurator) -> None:
    """Declare the audit log page and its export."""
    config.add_route("admin.audit", "/admin/audit")
    config.add_route("admin.audit.export", "/admin/audit/export")


def node_audit_url(request: Request, node: Node) -> str | None:
    """The audit log page filtered to ``node`` and what lies below it, for a caller who may
    read those entries: a site Administrator, or a Manager of the node (site-wide or of a
    folder above it); None for anyone else. Decided from the lineage traversal loaded, with
    no query, so every node page can ask."""
    identity = request.identity
    if identity is None:
        return None
    roles = {str(role) for role in effective_roles(identity, node)}
    if not roles & {Role.ADMINISTRATOR.value, Role.MANAGER.value}:
        return None
    return request.route_url("admin.audit", _query={"path": node.path})


@view_config(route_name="admin.audit", request_method="GET", renderer=TEMPLATE, **CALLER)
def audit_page(request: Request) -> dict[str, Any]:
    """The entries the caller may read, newest first, filtered and paged (keyset)."""
    settings = request.registry.settings
    errors: dict[str, list[str]] = {}
    try:
        query = AuditQuery.from_params(request.GET, settings)
    except ValidationFailed as failure:
        # The filters are shown again with the reason; the list is unfiltered meanwhile.
        errors = errors_by_field(request, failure.messages)
        request.response.status_int = 400
        query = AuditQuery.from_params({}, settings)
    result = page(request.dbsession, query, request.audit_access)
    filters = query.filters()
    next_url = None
    if result.next_cursor is not None:
        next_url = request.route_url("admin.audit", _query=query.next_query(result.next_cursor))
    return {
        "entries": result.items,
        "next_url": next_url,
        "first_url": request.route_url("admin.audit", _query=filters) if query.after else None,
        "filters": {
            name: request.GET.get(name, "")
            for name in ("actor", "action", "path", "since", "until")
        },
        "exports": {
            name: request.route_url("admin.audit.export", _query={**filters, "format": name})
            for name in FORMATS
        },
        "actions": sorted(ACTIONS.items(), key=lambda item: item[1]),
        "label": action_label,
        "everything": request.audit_access.everything,
        "errors": errors,
    }


@view_config(route_name="admin.audit.export", request_method="GET", **CALLER)
def export(request: Request) -> Response:
    """The filtered selection as CSV or NDJSON (``format``), streamed newest first."""
    return export_response(request, request.GET.get("format", "csv"))


def export_response(
    request: Request, format_name: str, query: AuditQuery | None = None
) -> Response:
    """A streamed export of ``query`` (the request's filters unless given) as the caller may
    read it; ValidationFailed for a format or filter that is not right."""
    if format_name not in FORMATS:
        raise ValidationFailed([("format", _("csv or ndjson"))])
    if query is None:
        query = AuditQuery.from_params(request.GET, request.registry.settings)
    access = request.audit_access
    # Refused now, before the response starts, if the caller may read nothing.
    statement(query, access)
    content_type, filename = FORMATS[format_name]
    writer = csv_lines if format_name == "csv" else ndjson_lines

    def body() -> Iterator[bytes]:
        with export_connection(request) as connection:
            yield from writer(stream(connection, query, access))

    response = Response(content_type=content_type, charset="utf-8", app_iter=body())
    response.content_disposition = f'attachment; filename="{filename}"'
    response.cache_control = "no-store"
    return response
