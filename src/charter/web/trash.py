"""The trash pages: what one deleted (or could have), to restore or purge; legal holds.

Every change goes through ``request.trash`` (the trash service); a refused
form is shown again with the person's input and the reason, and nothing is kept.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.content.registry import types_of
from charter.errors import Conflict, Forbidden, ValidationFailed
from charter.security.roles import Permission
from charter.trash.listing import TrashQuery
from charter.trash.models import TrashEntry
from charter.trash.services import PARENT_GONE, RestoreConflict, UnderLegalHold
from charter.tree.models import Node
from charter.web.forms import errors_by_field, refuse_form
from charter.web.helpers import node_url
from charter.web.i18n import _, flash, plural, translate

TRASH_TEMPLATE = "charter:web/templates/trash.jinja2"
ENTRY_TEMPLATE = "charter:web/templates/trash_entry.jinja2"
PURGE_TEMPLATE = "charter:web/templates/trash_purge.jinja2"
EMPTY_TEMPLATE = "charter:web/templates/trash_empty.jinja2"
# Any logged-in person: the trash service decides what they see and may do.
CALLER = {"caller": True}


def add_routes(config: Configurator) -> None:
    """Declare the trash pages under ``/trash`` (a name reserved at the top of the site)."""
    config.add_route("trash", "/trash")
    config.add_route("trash.empty", "/trash/empty")
    # At most 18 digits: a longer id cannot be a 64-bit key, and is simply not found.
    config.add_route("trash.entry", "/trash/{entry_id:[0-9]{1,18}}")
    config.add_route("trash.restore", "/trash/{entry_id:[0-9]{1,18}}/restore")
    config.add_route("trash.purge", "/trash/{entry_id:[0-9]{1,18}}/purge")
    config.add_route("trash.hold", "/trash/{entry_id:[0-9]{1,18}}/legal-hold")


def _entry_id(request: Request) -> int:
    return int(request.matchdict["entry_id"])


def _listing(request: Request, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    settings = request.registry.settings
    try:
        query = TrashQuery.from_params(request.GET, settings)
    except ValidationFailed as failure:
        # The filters are shown again with the reason; the list is unfiltered meanwhile.
        errors = errors_by_field(request, failure.messages)
        request.response.status_int = 400
        query = TrashQuery.from_params({}, settings)
    page = request.trash.page(query)
    next_url = None
    if page.next_cursor is not None:
        next_url = request.route_url("trash", _query=query.next_query(page.next_cursor))
    return {
        "entries": page.items,
        "next_url": next_url,
        "first_url": request.route_url("trash", _query=query.filters()) if query.after else None,
        "filters": {
            name: request.GET.get(name, "")
            for name in ("type", "deleted_by", "path", "since", "until")
        },
        "types": [content_type.name for content_type in types_of(request.registry)],
        "errors": errors or {},
    }


def _translated_hold(request: Request, entry: TrashEntry) -> str | None:
    """Why ``entry`` may not be purged, in the request's language (None when it may)."""
    hold = request.trash.hold_of(entry)
    return None if hold is None else translate(request, hold)


@view_config(route_name="trash", request_method="GET", renderer=TRASH_TEMPLATE, **CALLER)
def trash_page(request: Request) -> dict[str, Any]:
    """What the person may restore or purge, newest first, filtered and paged."""
    return _listing(request)


def _entry_page(
    request: Request,
    entry: TrashEntry,
    target: str | None = None,
    name: str | None = None,
    errors: dict[str, list[str]] | None = None,
    conflict: str | None = None,
) -> dict[str, Any]:
    folder = request.trash.original_folder(entry)
    if folder is not None and not request.has_permission(Permission.VIEW, folder):
        folder = None
    return {
        "entry": entry,
        "original_folder": folder,
        # Without a folder to go back to, the person must choose one.
        "target": (folder.path if folder else "") if target is None else target,
        "name": entry.name if name is None else name,
        "errors": errors or {},
        "conflict": conflict,
        "hold": _translated_hold(request, entry),
    }


@view_config(route_name="trash.entry", request_method="GET", renderer=ENTRY_TEMPLATE, **CALLER)
def entry_page(request: Request) -> dict[str, Any]:
    """One deleted item: where it was, what it held, and the forms to restore or purge it."""
    return _entry_page(request, request.trash.get(_entry_id(request)))


@view_config(route_name="trash.restore", request_method="POST", renderer=ENTRY_TEMPLATE, **CALLER)
def restore(request: Request) -> dict[str, Any] | Response:
    """Restore into the folder and under the name given (the original ones by default)."""
    entry_id = _entry_id(request)
    target = request.POST.get("target", "").strip()
    name = request.POST.get("name", "").strip()
    entry = request.trash.get(entry_id)
    original = request.trash.original_folder(entry)
    # An unchanged form means "where it was": the service then says if that is not possible.
    same_place = original is not None and target == original.path
    try:
        node = request.trash.restore(
            entry_id, None if same_place or not target else target, name or None
        )
    except RestoreConflict as conflict:
        field = "target" if conflict.reason == PARENT_GONE else "name"
        errors, status, reason = (
            {field: [translate(request, conflict.message)]},
            409,
            conflict.reason,
        )
    except ValidationFailed as failure:
        errors, status, reason = errors_by_field(request, failure.messages), 400, None
    except Forbidden as refusal:
        errors, status, reason = {"target": [translate(request, refusal.message)]}, 403, None
    except Conflict as conflict:
        errors, status, reason = {"target": [translate(request, conflict.message)]}, 409, None
    else:
        flash(
            request,
            _(
                "“${title}” was restored to ${path}.",
                mapping={"title": node.title, "path": node.path},
            ),
        )
        return HTTPSeeOther(node_url(request, node))
    refuse_form(request)
    request.response.status_int = status
    return _entry_page(request, request.trash.get(entry_id), target, name, errors, reason)


@view_config(route_name="trash.purge", request_method="GET", renderer=PURGE_TEMPLATE, **CALLER)
def purge_confirmation(request: Request) -> dict[str, Any]:
    """Ask before deleting for good."""
    entry = request.trash.get(_entry_id(request))
    return {"entry": entry, "hold": _translated_hold(request, entry)}


@view_config(route_name="trash.purge", request_method="POST", renderer=PURGE_TEMPLATE, **CALLER)
def purge(request: Request) -> dict[str, Any] | Response:
    """Delete the item and everything it held for good, unless under legal hold."""
    entry = request.trash.get(_entry_id(request))
    title = entry.title
    try:
        count = request.trash.purge(entry.id)
    except UnderLegalHold as held:
        refuse_form(request)
        request.response.status_int = 409
        return {"entry": entry, "hold": translate(request, held.message)}
    if count == 1:
        message = _("“${title}” was deleted for good.", mapping={"title": title})
    else:
        message = plural(
            request,
            "“${title}” was deleted for good with the item it held.",
            "“${title}” was deleted for good with the ${count} items it held.",
            count - 1,
            title=title,
        )
    flash(request, message)
    return HTTPSeeOther(request.route_url("trash"))


@view_config(route_name="trash.empty", request_method="GET", renderer=EMPTY_TEMPLATE, **CALLER)
def empty_confirmation(request: Request) -> dict[str, Any]:
    """Ask before emptying the trash, saying how much it holds."""
    page = request.trash.page(
        TrashQuery(limit=request.registry.settings["charter.api.max_page_size"])
    )
    return {"entries": page.items, "more": page.next_cursor is not None}


@view_config(route_name="trash.empty", request_method="POST", **CALLER)
def empty(request: Request) -> Response:
    """Purge everything the person may, except what is under legal hold."""
    outcome = request.trash.empty()
    flash(
        request,
        plural(
            request,
            "${count} deleted item (${items} with what they held) was deleted for good.",
            "${count} deleted items (${items} with what they held) were deleted for good.",
            outcome.purged,
            items=outcome.items,
        ),
    )
    if outcome.held:
        message = _(
            "${count} stayed in the trash: under legal hold.", mapping={"count": len(outcome.held)}
        )
        flash(request, message, "error")
    return HTTPSeeOther(request.route_url("trash"))


def _hold_message(title: str, on: bool) -> str:
    """What the page says after a legal hold was put on or lifted."""
    if on:
        return _("“${title}” is now under legal hold.", mapping={"title": title})
    return _("“${title}” is no longer under legal hold.", mapping={"title": title})


@view_config(route_name="trash.hold", request_method="POST", **CALLER)
def entry_hold(request: Request) -> Response:
    """Put a deleted item under legal hold or lift it (site Administrators)."""
    on = request.POST.get("legal_hold") == "on"
    entry = request.trash.set_entry_hold(_entry_id(request), on)
    flash(request, _hold_message(entry.title, on))
    return HTTPSeeOther(request.route_url("trash.entry", entry_id=entry.id))


@view_config(context=Node, name="legal-hold", request_method="POST", permission=Permission.MANAGE)
def node_hold(context: Node, request: Request) -> Response:
    """Put an item under legal hold or lift it (site Administrators): while on, no purge
    deletes it, wherever a delete takes it."""
    on = request.POST.get("legal_hold") == "on"
    request.trash.set_node_hold(context, on)
    flash(request, _hold_message(context.title, on))
    return HTTPSeeOther(node_url(request, context))
