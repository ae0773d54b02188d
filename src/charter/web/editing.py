"""Editing pages of a node: add, edit, rename, move, copy and delete.

Forms are generated from the content type's schema (its JSON Schema), so an
add-on's type gets its pages without writing any. Every change goes through
``request.content`` (the editing service); a refused form is shown again with
the person's input and the errors beside the fields, and nothing is kept.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.content.registry import ContentType, types_of
from charter.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from charter.input.numbers import whole_number
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.web.forms import errors_by_field, refuse_form
from charter.web.helpers import nearest_visible, node_url, refuse_unless_folder, with_article
from charter.web.i18n import _, flash, plural, translate, type_with_article

ADD_TEMPLATE = "charter:web/templates/add.jinja2"
EDIT_TEMPLATE = "charter:web/templates/edit.jinja2"
RENAME_TEMPLATE = "charter:web/templates/rename.jinja2"
MOVE_TEMPLATE = "charter:web/templates/move.jinja2"
DELETE_TEMPLATE = "charter:web/templates/delete.jinja2"

# Free text that is usually long gets a textarea (so do strings allowed to be long).
LONG_TEXT_FIELDS = frozenset({"body", "description"})
# Fields written in Markdown (rendered by charter.content.markdown): their textarea
# gets the editor's toolbar, live preview and drafts (static/editor.js).
MARKDOWN_FIELDS = frozenset({"body"})
LONG_TEXT_LENGTH = 1000
# Beyond this many characters a textarea is for writing pages, not a sentence or two.
PAGE_TEXT_LENGTH = 10_000
# JSON Schema string formats and the HTML input type that edits them.
FORMAT_WIDGETS = {
    "date-time": "datetime-local",
    "date": "date",
    "time": "time",
    "email": "email",
    "uri": "url",
}
TEXT_WIDGETS = frozenset({"text", "textarea", "email", "url"})
# Child folders the destination picker lists per page (see ``transfer_page``).
PICKER_PAGE_SIZE = 100
# The edit form's input commenting the revision a save records; named like the
# API's key, which no schema field can be called.
COMMENT_FIELD = "@comment"


@dataclass(frozen=True)
class FormField:
    """One input of a generated form, derived from a property of the type's JSON Schema."""

    name: str
    label: str
    widget: str  # an <input> type, "textarea", "checkbox" or "select"
    required: bool = False
    help: str = ""
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    rows: int = 3
    markdown: bool = False


def view_url(
    request: Request, node: Node, view: str, query: Mapping[str, Any] | None = None
) -> str:
    """The URL of ``node``'s view ``view`` (``/docs/@@edit``), with an optional query."""
    url = node_url(request, node).rstrip("/") + "/@@" + view
    if query:
        url += "?" + urlencode(query, doseq=True)
    return url


def _resolved(prop: dict[str, Any], definitions: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A property with its ``$ref`` followed and ``anyOf [X, null]`` reduced to X; and
    whether null is allowed."""
    if "$ref" in prop:
        target = definitions[prop["$ref"].rsplit("/", 1)[-1]]
        prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    if "anyOf" not in prop:
        return prop, prop.get("type") == "null"
    options = [_resolved(option, definitions)[0] for option in prop["anyOf"]]
    concrete = [option for option in options if option.get("type") != "null"]
    rest = {k: v for k, v in prop.items() if k != "anyOf"}
    return {**(concrete[0] if concrete else {}), **rest}, len(concrete) < len(options)


def _widget(name: str, prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if kind == "string" and prop.get("format") in FORMAT_WIDGETS:
        return FORMAT_WIDGETS[prop["format"]]
    if name in LONG_TEXT_FIELDS or prop.get("maxLength", 0) > LONG_TEXT_LENGTH:
        return "textarea"
    return "text"


def form_fields(content_type: ContentType) -> list[FormField]:
    """The inputs of ``content_type``'s add and edit forms, in schema order."""
    schema = content_type.json_schema()
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        prop, nullable = _resolved(raw, definitions)
        widget = _widget(name, prop)
        max_length = prop.get("maxLength")
        fields.append(
            FormField(
                name=name,
                label=prop.get("title") or name.replace("_", " ").capitalize(),
                widget=widget,
                required=name in required,
                help=prop.get("description", ""),
                max_length=max_length,
                choices=tuple(str(choice) for choice in prop.get("enum", ())),
                nullable=nullable,
                rows=12 if (max_length or PAGE_TEXT_LENGTH) >= PAGE_TEXT_LENGTH else 3,
                markdown=widget == "textarea" and name in MARKDOWN_FIELDS,
            )
        )
    return fields


def posted_values(fields: Iterable[FormField], post: Mapping[str, str]) -> dict[str, Any]:
    """What the form sent, as the editing service takes it (the schema converts the text)."""
    values: dict[str, Any] = {}
    for field in fields:
        if field.widget == "checkbox":
            # An unticked box is not sent at all.
            values[field.name] = field.name in post
            continue
        # Browsers send CRLF line ends; stored text uses LF, so an untouched
        # body compares equal and is not a change.
        text = post.get(field.name, "").replace("\r\n", "\n")
        if text == "" and field.nullable:
            values[field.name] = None
        elif text == "" and field.widget not in TEXT_WIDGETS and not field.required:
            continue  # left empty: the schema's default (or, when editing, the current value)
        else:
            values[field.name] = text
    return values


def typed_values(fields: Iterable[FormField], post: Mapping[str, str]) -> dict[str, Any]:
    """The form's inputs exactly as the person left them, to show the form again."""
    return {
        field.name: (field.name in post)
        if field.widget == "checkbox"
        else post.get(field.name, "").replace("\r\n", "\n")
        for field in fields
    }


def shown_value(value: Any, widget: str = "") -> Any:
    """A stored value as its input shows it (booleans stay booleans, for checkboxes)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date) and widget == "datetime-local":
        # A browser blanks a bare date in a date-and-time input.
        return f"{value.isoformat()}T00:00"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def stored_values(fields: Iterable[FormField], node: Node) -> dict[str, Any]:
    """``node``'s current values, as the edit form shows them."""
    return {
        field.name: shown_value(getattr(node, field.name, None), field.widget) for field in fields
    }


def general_errors(errors: Mapping[str, list[str]], field_names: Iterable[str]) -> list[str]:
    """Messages about no input of the form: shown above it."""
    known = set(field_names)
    return [message for key, messages in errors.items() if key not in known for message in messages]


def _refuse(request: Request, status: int) -> None:
    refuse_form(request)
    request.response.status_int = status


# Why the top folder cannot be renamed, moved, copied or deleted.
NO_ROOT = {
    "renamed": _("the top folder of the site cannot be renamed"),
    "moved": _("the top folder of the site cannot be moved"),
    "copied": _("the top folder of the site cannot be copied"),
    "deleted": _("the top folder of the site cannot be deleted"),
}


def _no_root(context: Node, doing: str) -> None:
    if context.parent_id is None:
        raise Conflict(NO_ROOT[doing])


# -- add ----------------------------------------------------------------------


def _addable_type(request: Request, context: Node) -> ContentType | None:
    """The type asked for by ``?type=``; None when none was asked for (show the choice)."""
    name = request.params.get("type", "")
    if not name:
        return None
    types = types_of(request.registry)
    content_type = types.get(name)
    if content_type.upload or not content_type.addable or not types.fits(context, content_type):
        raise Conflict(
            _(
                "${type} cannot be added in “${title}”",
                mapping={"type": with_article(content_type), "title": context.title},
            )
        )
    return content_type


def _add_page(
    request: Request,
    context: Node,
    content_type: ContentType | None,
    values: Mapping[str, Any] | None = None,
    name: str = "",
    errors: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    errors = errors or {}
    if content_type is None:
        choices = [t for t in types_of(request.registry).addable_in(context) if not t.upload]
        return {"content_type": None, "choices": choices, "view_url": view_url}
    fields = form_fields(content_type)
    return {
        "content_type": content_type,
        "fields": fields,
        "values": values or {},
        "name": name,
        "errors": errors,
        "general_errors": general_errors(errors, [f.name for f in fields] + ["name"]),
        "view_url": view_url,
    }


ADD_VIEW = {"context": Node, "name": "add", "renderer": ADD_TEMPLATE, "permission": Permission.ADD}


@view_config(request_method="GET", **ADD_VIEW)
def add_form(context: Node, request: Request) -> dict[str, Any]:
    """The form to add an item of ``?type=`` here (or the list of types one may add)."""
    refuse_unless_folder(context)
    return _add_page(request, context, _addable_type(request, context))


@view_config(request_method="POST", **ADD_VIEW)
def add_item(context: Node, request: Request) -> dict[str, Any] | Response:
    """Create the item, then show it."""
    content_type = _addable_type(request, context)
    if content_type is None:
        raise NotFound(_("say which type of item to add"))
    fields = form_fields(content_type)
    name = request.POST.get("name", "").strip()
    try:
        node = request.content.create(
            context, content_type.name, posted_values(fields, request.POST), name=name or None
        )
    except ValidationFailed as failure:
        errors, status = errors_by_field(request, failure.messages), 400
    except Conflict as conflict:
        # The type was checked above, so what clashes is the name.
        errors, status = {"name": [translate(request, conflict.message)]}, 409
    else:
        flash(
            request,
            _(
                "${type} “${title}” was added.",
                mapping={"type": translate(request, _(content_type.title)), "title": node.title},
            ),
        )
        return HTTPSeeOther(node_url(request, node))
    _refuse(request, status)
    return _add_page(
        request, context, content_type, typed_values(fields, request.POST), name, errors
    )


# -- edit ---------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A field whose value the person typed differs from the one saved meanwhile."""

    field: FormField
    yours: Any
    current: Any


def _edit_page(
    request: Request,
    context: Node,
    values: Mapping[str, Any],
    version: int,
    errors: Mapping[str, list[str]] | None = None,
    differences: list[Difference] | None = None,
    comment: str = "",
) -> dict[str, Any]:
    errors = errors or {}
    fields = form_fields(types_of(request.registry).of(context))
    return {
        "fields": fields,
        "values": values,
        "version": version,
        "comment": comment,
        "errors": errors,
        "general_errors": general_errors(errors, [f.name for f in fields] + [COMMENT_FIELD]),
        "differences": differences,
        "view_url": view_url,
    }


EDIT_VIEW = {
    "context": Node,
    "name": "edit",
    "renderer": EDIT_TEMPLATE,
    "permission": Permission.EDIT,
}


@view_config(request_method="GET", **EDIT_VIEW)
def edit_form(context: Node, request: Request) -> dict[str, Any]:
    """The node's fields in a form, with the version being edited."""
    fields = form_fields(types_of(request.registry).of(context))
    return _edit_page(request, context, stored_values(fields, context), context.version)


def _posted_version(request: Request) -> int:
    version = whole_number(request.POST.get("version", ""))
    if version is None:
        raise ValidationFailed([("version", _("the form did not say which version it edited"))])
    return version


@view_config(request_method="POST", **EDIT_VIEW)
def save_edit(context: Node, request: Request) -> dict[str, Any] | Response:
    """Save the fields; a version changed meanwhile shows both and keeps the person's input."""
    fields = form_fields(types_of(request.registry).of(context))
    typed = typed_values(fields, request.POST)
    version = _posted_version(request)
    comment = request.POST.get(COMMENT_FIELD, "")
    try:
        request.content.update(context, posted_values(fields, request.POST), version, comment)
    except ValidationFailed as failure:
        _refuse(request, 400)
        errors = errors_by_field(request, failure.messages)
        return _edit_page(request, context, typed, version, errors, comment=comment)
    except PreconditionFailed:
        _refuse(request, 409)
        # What the database holds now (another request wrote it), not what this one loaded.
        request.dbsession.refresh(context)
        current = stored_values(fields, context)
        differences = [
            Difference(field, typed[field.name], current[field.name])
            for field in fields
            if field.name == "title" or typed[field.name] != current[field.name]
        ]
        return _edit_page(
            request, context, typed, context.version, differences=differences, comment=comment
        )
    if context.version == version:
        flash(request, _("Nothing was changed."))
    else:
        flash(request, _("“${title}” was saved.", mapping={"title": context.title}))
    return HTTPSeeOther(node_url(request, context))


# -- rename -------------------------------------------------------------------

RENAME_VIEW = {
    "context": Node,
    "name": "rename",
    "renderer": RENAME_TEMPLATE,
    "permission": Permission.EDIT,
}


def _rename_page(name: str, errors: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    errors = errors or {}
    return {
        "name": name,
        "errors": errors,
        "general_errors": general_errors(errors, ["name"]),
        "view_url": view_url,
    }


@view_config(request_method="GET", **RENAME_VIEW)
def rename_form(context: Node, request: Request) -> dict[str, Any]:
    """The node's name (its address segment), to change."""
    _no_root(context, "renamed")
    return _rename_page(context.name)


@view_config(request_method="POST", **RENAME_VIEW)
def rename_item(context: Node, request: Request) -> dict[str, Any] | Response:
    """Give the node its new name; its address and everything below it follow."""
    _no_root(context, "renamed")
    new_name = request.POST.get("name", "").strip()
    old_name = context.name
    try:
        request.content.rename(context, new_name)
    except ValidationFailed as failure:
        errors, status = errors_by_field(request, failure.messages), 400
    except Conflict as conflict:
        errors, status = {"name": [translate(request, conflict.message)]}, 409
    else:
        if context.name != old_name:
            flash(
                request,
                _(
                    "“${title}” is now at ${path}.",
                    mapping={"title": context.title, "path": context.path},
                ),
            )
        return HTTPSeeOther(node_url(request, context))
    _refuse(request, status)
    return _rename_page(new_name, errors)


# -- move and copy ------------------------------------------------------------

TRANSFER_VERBS = {"move": ("Move", "moved"), "copy": ("Copy", "copied")}


def path_segments(path: str) -> list[str]:
    """The names along a path as typed (``/a/b/`` and ``a/b`` are ``['a', 'b']``)."""
    return [segment for segment in path.strip().split("/") if segment]


def folder_at(request: Request, path: str) -> Node | None:
    """The folder at ``path`` with its lineage, if there is one the caller may view."""
    resolution = request.tree.resolve(path_segments(path))
    node = resolution.context
    if resolution.remainder or not request.has_permission(Permission.VIEW, node):
        return None
    return node if node.is_container else None


def _placement_problem(
    request: Request, kind: str, sources: list[Node], destination: Node
) -> str | None:
    """Why the sources cannot go into ``destination`` (shown before anyone tries), or None."""
    if not request.has_permission(Permission.ADD, destination):
        return translate(
            request, _("You may not add items to “${title}”.", mapping={"title": destination.title})
        )
    types = types_of(request.registry)
    for source in sources:
        if not types.fits(destination, types.of(source)):
            what = _capitalised(type_with_article(request, types.of(source)))
            return translate(
                request,
                _(
                    "${what} cannot be placed in “${title}”.",
                    mapping={"what": what, "title": destination.title},
                ),
            )
        if kind == "move" and (
            destination.path == source.path or destination.path.startswith(source.path + "/")
        ):
            return translate(
                request,
                _("“${title}” cannot be moved into itself.", mapping={"title": source.title}),
            )
    return None


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _default_destination(kind: str, sources: list[Node], at: Node | None) -> str:
    """The destination filled in: the folder being browsed, except when moving items out of
    it (moving there would fail "Already in ..."): then nothing, until another is opened."""
    if at is None or (kind == "move" and all(s.parent_id == at.id for s in sources)):
        return ""
    return at.path


def transfer_page(
    request: Request,
    kind: str,
    sources: list[Node],
    at: Node | None,
    action_url: str,
    hidden: Mapping[str, Any],
    destination: str | None = None,
    new_name: str = "",
    errors: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The destination picker for moving or copying ``sources``, browsing the folder ``at``.

    It lists the folders in ``at`` to descend into. Those come from the
    ordinary keyset page of ``at``'s children (one indexed query), keeping
    only the folders, so a page may show fewer than its size; "More
    folders" goes on from where it stopped. Only folders the person may view
    are listed; whether they may add to one is checked (from the lineage
    already loaded) when they open it, not for every folder listed. With no
    folder ``at`` (the person may view none above the sources), only the path
    can be typed.
    """

    def browse_url(path: str, after: str | None = None) -> str:
        return action_url_with(action_url, {**hidden, "at": path}, after)

    folders: list[Node] = []
    more_url = None
    if at is not None:
        after = request.params.get("after") or None
        children = request.tree.children_page(
            at, PICKER_PAGE_SIZE, after, viewers=request.viewer_principals
        )
        moving = {source.id for source in sources} if kind == "move" else set()
        folders = [c for c in children.items if c.is_container and c.id not in moving]
        if children.next_cursor is not None:
            more_url = browse_url(at.path, children.next_cursor)
    errors = errors or {}
    return {
        "kind": kind,
        "sources": sources,
        "at": at,
        "folders": folders,
        "more_url": more_url,
        "browse_url": browse_url,
        "problem": None if at is None else _placement_problem(request, kind, sources, at),
        "action_url": action_url,
        "hidden": hidden,
        "destination": _default_destination(kind, sources, at)
        if destination is None
        else destination,
        "new_name": new_name,
        "errors": errors,
        "general_errors": general_errors(errors, ["destination", "name"]),
        "view_url": view_url,
    }


def action_url_with(action_url: str, query: Mapping[str, Any], after: str | None = None) -> str:
    """``action_url`` with ``query`` (and a page cursor) appended."""
    query = {**query, "after": after} if after else dict(query)
    return action_url + "?" + urlencode(query, doseq=True)


def browse_start(request: Request, default: Node) -> Node | None:
    """The folder the picker shows: ``?at=`` when given, else ``default`` or the nearest
    folder above it that the person may view (None if there is none)."""
    path = request.params.get("at")
    if path is None:
        return nearest_visible(request, default)
    folder = folder_at(request, path)
    if folder is None:
        raise NotFound(_("there is no folder at ${path}", mapping={"path": path}))
    return folder


def transfer(
    request: Request,
    kind: str,
    sources: list[Node],
    origin: Node,
    action_url: str,
    hidden: Mapping[str, Any],
) -> tuple[list[Node], Node] | dict[str, Any]:
    """Move or copy ``sources`` to the posted destination.

    Returns the new nodes and the destination, or the picker page again
    (status set, nothing kept) with the reason beside the field concerned.
    """
    at = browse_start(request, origin)
    typed = request.POST.get("destination", "")
    new_name = request.POST.get("name", "").strip() if len(sources) == 1 else ""
    # A blank path would resolve to the root: the person must say so with "/".
    destination = folder_at(request, typed) if typed.strip() else None
    errors: dict[str, list[str]]
    if not typed.strip():
        errors = {
            "destination": [translate(request, _("Give the path of a folder, e.g. /projects."))]
        }
        status = 400
    elif destination is None:
        message = _("There is no folder at “${path}”.", mapping={"path": typed.strip()})
        errors, status = {"destination": [translate(request, message)]}, 400
    elif not request.has_permission(Permission.ADD, destination):
        message = _("You may not add items to “${title}”.", mapping={"title": destination.title})
        errors = {"destination": [translate(request, message)]}
        status = 403
    elif kind == "move" and not new_name and all(s.parent_id == destination.id for s in sources):
        message = _("Already in “${title}”.", mapping={"title": destination.title})
        errors, status = {"destination": [translate(request, message)]}, 400
    else:
        operation = request.content.move if kind == "move" else request.content.copy
        try:
            done = [operation(source, destination, new_name or None) for source in sources]
        except ValidationFailed as failure:
            errors, status = errors_by_field(request, failure.messages), 400
        except Forbidden as refusal:
            errors, status = {"form": [translate(request, refusal.message)]}, 403
        except Conflict as conflict:
            errors, status = (
                {"name" if new_name else "destination": [translate(request, conflict.message)]},
                409,
            )
        else:
            return done, destination
    _refuse(request, status)
    return transfer_page(request, kind, sources, at, action_url, hidden, typed, new_name, errors)


MOVE_VIEW = {
    "context": Node,
    "name": "move",
    "renderer": MOVE_TEMPLATE,
    "permission": Permission.DELETE,
}
COPY_VIEW = {**MOVE_VIEW, "name": "copy", "permission": Permission.VIEW}


@view_config(request_method="GET", **MOVE_VIEW)
@view_config(request_method="GET", **COPY_VIEW)
def transfer_picker(context: Node, request: Request) -> dict[str, Any]:
    """Where to move or copy the node: folders to pick from, starting beside it."""
    kind = request.view_name
    _no_root(context, TRANSFER_VERBS[kind][1])
    at = browse_start(request, context.__parent__ or context)
    return transfer_page(request, kind, [context], at, view_url(request, context, kind), {})


@view_config(request_method="POST", **MOVE_VIEW)
@view_config(request_method="POST", **COPY_VIEW)
def transfer_item(context: Node, request: Request) -> dict[str, Any] | Response:
    """Move or copy the node (and everything below it) to the folder picked, then show it."""
    kind = request.view_name
    _no_root(context, TRANSFER_VERBS[kind][1])
    origin = context.__parent__ or context
    outcome = transfer(request, kind, [context], origin, view_url(request, context, kind), {})
    if isinstance(outcome, dict):
        return outcome
    (node,), destination = outcome
    done = (
        _(
            "“${title}” was moved to “${to}”.",
            mapping={"title": node.title, "to": destination.title},
        )
        if kind == "move"
        else _(
            "“${title}” was copied to “${to}”.",
            mapping={"title": node.title, "to": destination.title},
        )
    )
    flash(request, done)
    return HTTPSeeOther(node_url(request, node))


# -- delete -------------------------------------------------------------------


@dataclass(frozen=True)
class Doomed:
    """An item a delete confirmation lists, with how many items go with it."""

    node: Node
    below: int


def delete_page(
    request: Request,
    items: list[Node],
    action_url: str,
    selection: bool = False,
    stale: list[Node] | None = None,
) -> dict[str, Any]:
    """The confirmation page for deleting ``items`` (each sent back with its version).

    ``selection``: the items were selected on a contents page (several may be).
    """
    doomed = [Doomed(item, _visible_below(request, item)) for item in items]
    return {
        "doomed": doomed,
        "total": sum(1 + item.below for item in doomed),
        "action_url": action_url,
        "selection": selection,
        "stale": stale or [],
        "view_url": view_url,
    }


def _visible_below(request: Request, item: Node) -> int:
    # Only what the person may view is counted: the page must not tell
    # whether anything hidden from them lies below (docs/security.md).
    return request.tree.count_visible_descendants(item, request.viewer_principals)


def require_removable(request: Request, items: list[Node]) -> None:
    """Refuse (403) before asking, when an item may not leave its folder (the service's rule)."""
    for item in items:
        if not request.content.may_remove(item):
            raise Forbidden(
                _(
                    "you may not delete “${title}”: that needs delete on its folder too",
                    mapping={"title": item.title},
                )
            )


def stale_items(items: list[Node], versions: Mapping[str, str]) -> list[Node]:
    """The items whose version is no longer the one the confirmation showed."""
    stale = []
    for item in items:
        version = whole_number(versions.get(item.name, ""))
        if version is None:
            raise ValidationFailed([("version", _("the form did not say which version to delete"))])
        if item.version != version:
            stale.append(item)
    return stale


def refuse_stale(request: Request, stale: list[Node]) -> None:
    """Answer 409, keep nothing, and reload the changed items so the page shows them as now."""
    _refuse(request, 409)
    for item in stale:
        request.dbsession.refresh(item)


def delete_all(request: Request, items: list[Node], versions: Mapping[str, str]) -> int:
    """Move ``items`` (at the versions checked by ``stale_items``) and everything below them to
    the trash; how many of the nodes that went the person could view."""
    removed = 0
    for item in items:
        removed += 1 + _visible_below(request, item)
        request.content.delete(item, expected_version=int(versions[item.name]))
    return removed


DELETE_VIEW = {
    "context": Node,
    "name": "delete",
    "renderer": DELETE_TEMPLATE,
    "permission": Permission.DELETE,
}


@view_config(request_method="GET", **DELETE_VIEW)
def delete_confirmation(context: Node, request: Request) -> dict[str, Any]:
    """Ask before moving to the trash, saying how many items go with a folder."""
    _no_root(context, "deleted")
    require_removable(request, [context])
    return delete_page(request, [context], view_url(request, context, "delete"))


@view_config(request_method="POST", **DELETE_VIEW)
def delete_item(context: Node, request: Request) -> dict[str, Any] | Response:
    """Move the node and everything below it to the trash, unless it changed since the
    confirmation."""
    _no_root(context, "deleted")
    action_url = view_url(request, context, "delete")
    versions = {context.name: request.POST.get("version", "")}
    stale = stale_items([context], versions)
    if stale:
        refuse_stale(request, stale)
        return delete_page(request, [context], action_url, stale=stale)
    # The page to land on: the folder it was in, unless that is hidden from the person.
    landing, title = nearest_visible(request, context.__parent__), context.title
    removed = delete_all(request, [context], versions)
    if removed == 1:
        message = _("“${title}” was moved to the trash.", mapping={"title": title})
    else:
        message = plural(
            request,
            "“${title}” was moved to the trash with the item inside it.",
            "“${title}” was moved to the trash with the ${count} items inside it.",
            removed - 1,
            title=title,
        )
    flash(request, message)
    return HTTPSeeOther(node_url(request, landing) if landing else request.application_url + "/")
