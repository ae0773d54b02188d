"""A folder's contents page: its children in a table, to sort, select, delete, move, copy
and reorder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.blobs.thumbnails import SOURCE_FORMATS
from charter.content.registry import types_of
from charter.errors import Forbidden, NotFound, ValidationFailed
from charter.input.numbers import whole_number
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.tree.paging import PageRequest
from charter.tree.services import SORTABLE_COLUMNS
from charter.web.editing import (
    DELETE_TEMPLATE,
    MOVE_TEMPLATE,
    browse_start,
    delete_all,
    delete_page,
    path_segments,
    refuse_stale,
    require_removable,
    stale_items,
    transfer,
    transfer_page,
    view_url,
)
from charter.web.forms import refuse_form
from charter.web.i18n import _, flash, plural, translate
from charter.web.listing import (
    MAX_SORTED_CHILDREN,
    child_details,
    cursor_pager,
    page_number,
    sorted_page,
)

CONTENTS_TEMPLATE = "charter:web/templates/contents.jinja2"
SELECTION_ACTIONS = {"delete": "delete-items", "move": "move-items", "copy": "copy-items"}
POSITION_PREFIX = "position-"
MAX_POSITION = 100_000
THUMBNAIL_TYPES = frozenset(SOURCE_FORMATS)


@dataclass(frozen=True)
class Sort:
    """The order the table is in: a column (None: the folder's own order) and a direction."""

    column: str | None = None
    descending: bool = False

    @classmethod
    def from_param(cls, text: str) -> Sort:
        """Read ``?sort=``: ``title``, ``-modified``...; empty for the folder's own order."""
        if not text:
            return cls()
        column = text.removeprefix("-")
        if column not in SORTABLE_COLUMNS:
            raise ValidationFailed(
                [
                    (
                        "sort",
                        _(
                            "sort by one of ${columns}",
                            mapping={"columns": ", ".join(SORTABLE_COLUMNS)},
                        ),
                    )
                ]
            )
        return cls(column, text.startswith("-"))

    def param_for(self, column: str) -> str:
        """The ``?sort=`` value of a column header's link: that column, reversed if current."""
        ascending = self.column != column or self.descending
        return column if ascending else f"-{column}"


def _require_folder(context: Node) -> None:
    if not context.is_container:
        raise HTTPNotFound()


def _contents_page(
    request: Request,
    context: Node,
    positions: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    sort = Sort.from_param(request.params.get("sort", ""))
    page = PageRequest.from_params(request.GET, request.registry.settings)
    viewers = request.viewer_principals
    next_url = first_url = previous_url = None
    page_urls: list[tuple[int | None, str | None]] = []
    capped = False
    if sort.column is None:
        children_page = request.tree.children_page(context, page.limit, page.after, viewers=viewers)
        children = children_page.items
        pager = cursor_pager(request.dbsession, context, page.after, len(children), viewers)
        limit = {"limit": str(page.limit)} if page.limit_given else {}
        if children_page.next_cursor is not None:
            next_url = view_url(
                request, context, "contents", page.next_query(children_page.next_cursor)
            )
        if page.after:
            first_url = view_url(request, context, "contents", limit)
    else:
        number = page_number(request.params.get("page"))
        children, pager, capped = sorted_page(
            request.dbsession, context, sort.column, sort.descending, number, page.limit, viewers
        )

        def numbered(n: int) -> str:
            query = {"sort": request.params["sort"], "page": str(n)}
            if page.limit_given:
                query["limit"] = str(page.limit)
            return view_url(request, context, "contents", query)

        page_urls = [(n, numbered(n) if n else None) for n in pager.numbers()]
        if pager.number and pager.page_count and pager.number < pager.page_count:
            next_url = numbered(pager.number + 1)
        previous_url = numbered(pager.number - 1) if pager.number and pager.number > 1 else None
    # Each row's workflow menu checks permissions on the child: its grants in one query.
    request.tree.load_grants(children)
    may_delete = bool(request.has_permission(Permission.DELETE, context))
    may_add = bool(request.has_permission(Permission.ADD, context))
    type_titles = {
        content_type.name: content_type.title for content_type in types_of(request.registry)
    }
    return {
        "children": children,
        "details": child_details(request.dbsession, children),
        # Images get a thumbnail, scaled by the file's @@thumbnail (charter.web.thumbnails).
        "thumbnail_types": THUMBNAIL_TYPES,
        "type_titles": type_titles,
        "sort": sort,
        "pager": pager,
        "next_url": next_url,
        "first_url": first_url,
        "previous_url": previous_url,
        "page_urls": page_urls,
        "after": page.after,
        "capped": capped,
        "max_sorted": MAX_SORTED_CHILDREN,
        "may_reorder": sort.column is None
        and bool(request.has_permission(Permission.EDIT, context)),
        "may_delete": may_delete,
        # Copying needs add on the destination; the folder itself is the likeliest one.
        "may_copy": may_add,
        "positions": positions
        or {child.name: str(number) for number, child in enumerate(children, start=1)},
        "errors": errors or {},
        "view_url": view_url,
    }


CONTENTS_VIEW = {
    "context": Node,
    "name": "contents",
    "renderer": CONTENTS_TEMPLATE,
    "permission": Permission.VIEW,
}


@view_config(request_method="GET", **CONTENTS_VIEW)
def contents_page(context: Node, request: Request) -> dict[str, Any]:
    """The folder's children in a table: title (a thumbnail for images), type, size, author,
    modified; sortable and paged."""
    _require_folder(context)
    return _contents_page(request, context)


def _posted_positions(request: Request) -> tuple[dict[str, str], list[str], dict[str, list[str]]]:
    """The position typed for each child (in page order), the names in their new order, and
    errors beside the positions that are not whole numbers."""
    typed = {
        key.removeprefix(POSITION_PREFIX): value.strip()
        for key, value in request.POST.items()
        if key.startswith(POSITION_PREFIX)
    }
    errors = {
        f"{POSITION_PREFIX}{name}": [f"a whole number from 1 to {MAX_POSITION}"]
        for name, text in typed.items()
        if whole_number(text, minimum=1, maximum=MAX_POSITION) is None
    }
    if errors:
        return typed, [], errors
    # Equal numbers keep the order the items had on the page.
    page_order = list(typed)
    order = sorted(page_order, key=lambda name: (int(typed[name]), page_order.index(name)))
    return typed, order, {}


def _moved_one_step(request: Request) -> tuple[str, int] | None:
    """The item whose "Move up" (-1) or "Move down" (+1) button was pressed, if one was."""
    for key, step in (("move-up", -1), ("move-down", 1)):
        if request.POST.get(key):
            return request.POST[key], step
    return None


def _one_step(page_order: list[str], name: str, step: int) -> list[str]:
    """The page's names with ``name`` swapped with its neighbour ``step`` away (unchanged at
    either end of the page)."""
    if name not in page_order:
        raise ValidationFailed([("form", _("that item is not on this page (any more)"))])
    index = page_order.index(name)
    other = index + step
    if 0 <= other < len(page_order):
        page_order[index], page_order[other] = page_order[other], page_order[index]
    return page_order


@view_config(request_method="POST", **CONTENTS_VIEW)
def contents_action(context: Node, request: Request) -> dict[str, Any] | Response:
    """Save a new order, or take the selected items to the delete, move or copy page."""
    _require_folder(context)
    action = request.POST.get("action", "")
    back = {"after": request.POST["after"]} if request.POST.get("after") else None
    moved = _moved_one_step(request)
    if action == "reorder" or moved:
        typed, order, errors = _posted_positions(request)
        if moved and not errors:
            order = _one_step(list(typed), *moved)
        if not errors:
            try:
                request.tree.check_visible_children(context, order, request.viewer_principals)
                request.content.reorder(context, order)
            except ValidationFailed as failure:
                errors = {"form": [translate(request, message) for _, message in failure.messages]}
        if errors:
            refuse_form(request)
            return _contents_page(request, context, typed, errors)
        flash(request, _("The new order was saved."))
        return HTTPSeeOther(view_url(request, context, "contents", back))
    if action not in SELECTION_ACTIONS:
        raise ValidationFailed([("action", _("choose what to do with the selected items"))])
    selected = request.POST.getall("item")
    if not selected:
        flash(request, _("Select at least one item first."), "error")
        return HTTPSeeOther(view_url(request, context, "contents", back))
    return HTTPSeeOther(view_url(request, context, SELECTION_ACTIONS[action], {"item": selected}))


def selected_children(request: Request, folder: Node) -> list[Node]:
    """The children of ``folder`` named by ``item`` parameters, each with its lineage loaded
    (one query each: what the security policy needs to check them one by one)."""
    names = list(dict.fromkeys(request.params.getall("item")))
    if not names:
        raise ValidationFailed([("item", _("select at least one item"))])
    segments = path_segments(folder.path)
    children = []
    for name in names:
        resolution = request.tree.resolve([*segments, name])
        child = resolution.context
        if (
            resolution.remainder
            or child.parent_id != folder.id
            or not request.has_permission(Permission.VIEW, child)
        ):
            raise NotFound(
                _(
                    "“${title}” holds no item named ${name} (any more)",
                    mapping={"title": folder.title, "name": repr(name)},
                )
            )
        children.append(child)
    return children


def _require_each(request: Request, items: list[Node], permission: Permission) -> None:
    for item in items:
        if not request.has_permission(permission, item):
            raise Forbidden(
                _(
                    "you may not ${permission} “${title}”",
                    mapping={"permission": _(permission.value), "title": item.title},
                )
            )


# -- move and copy the selected items -------------------------------------------------

MOVE_ITEMS_VIEW = {
    "context": Node,
    "name": "move-items",
    "renderer": MOVE_TEMPLATE,
    "permission": Permission.VIEW,
}
COPY_ITEMS_VIEW = {**MOVE_ITEMS_VIEW, "name": "copy-items"}
KIND_OF_VIEW = {"move-items": "move", "copy-items": "copy"}


def _selection(request: Request, context: Node) -> tuple[str, list[Node]]:
    _require_folder(context)
    kind = KIND_OF_VIEW[request.view_name]
    items = selected_children(request, context)
    if kind == "move":
        _require_each(request, items, Permission.DELETE)
    return kind, items


@view_config(request_method="GET", **MOVE_ITEMS_VIEW)
@view_config(request_method="GET", **COPY_ITEMS_VIEW)
def selection_picker(context: Node, request: Request) -> dict[str, Any]:
    """Where to move or copy the selected items: folders to pick from, starting here."""
    kind, items = _selection(request, context)
    hidden = {"item": [item.name for item in items]}
    at = browse_start(request, context)
    action_url = view_url(request, context, request.view_name)
    return transfer_page(request, kind, items, at, action_url, hidden)


@view_config(request_method="POST", **MOVE_ITEMS_VIEW)
@view_config(request_method="POST", **COPY_ITEMS_VIEW)
def transfer_selection(context: Node, request: Request) -> dict[str, Any] | Response:
    """Move or copy every selected item to the folder picked; all of them or none."""
    kind, items = _selection(request, context)
    hidden = {"item": [item.name for item in items]}
    action_url = view_url(request, context, request.view_name)
    outcome = transfer(request, kind, items, context, action_url, hidden)
    if isinstance(outcome, dict):
        return outcome
    done, destination = outcome
    moved, copied = (
        (
            "${count} item moved to “${title}”.",
            "${count} items moved to “${title}”.",
        ),
        (
            "${count} item copied to “${title}”.",
            "${count} items copied to “${title}”.",
        ),
    )
    singular, plural_form = moved if kind == "move" else copied
    flash(request, plural(request, singular, plural_form, len(done), title=destination.title))
    return HTTPSeeOther(view_url(request, destination, "contents"))


# -- delete the selected items --------------------------------------------------------

DELETE_ITEMS_VIEW = {
    "context": Node,
    "name": "delete-items",
    "renderer": DELETE_TEMPLATE,
    "permission": Permission.VIEW,
}


def _deletable_selection(request: Request, context: Node) -> list[Node]:
    _require_folder(context)
    items = selected_children(request, context)
    _require_each(request, items, Permission.DELETE)
    require_removable(request, items)
    return items


@view_config(request_method="GET", **DELETE_ITEMS_VIEW)
def delete_selection_confirmation(context: Node, request: Request) -> dict[str, Any]:
    """Ask before deleting the selected items, saying how many go with each folder."""
    items = _deletable_selection(request, context)
    return delete_page(request, items, view_url(request, context, "delete-items"), selection=True)


@view_config(request_method="POST", **DELETE_ITEMS_VIEW)
def delete_selection(context: Node, request: Request) -> dict[str, Any] | Response:
    """Move every selected item to the trash, unless one changed since the confirmation: then
    none."""
    items = _deletable_selection(request, context)
    versions = {item.name: request.POST.get(f"version-{item.name}", "") for item in items}
    stale = stale_items(items, versions)
    action_url = view_url(request, context, "delete-items")
    if stale:
        refuse_stale(request, stale)
        return delete_page(request, items, action_url, selection=True, stale=stale)
    removed = delete_all(request, items, versions)
    if removed > len(items):
        message = plural(
            request,
            "${count} item moved to the trash (${removed} with what they held).",
            "${count} items moved to the trash (${removed} with what they held).",
            len(items),
            removed=removed,
        )
    else:
        message = plural(
            request,
            "${count} item moved to the trash.",
            "${count} items moved to the trash.",
            len(items),
        )
    flash(request, message)
    return HTTPSeeOther(view_url(request, context, "contents"))
