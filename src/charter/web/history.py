"""The history pages of a node: its versions, one version, what changed between two, restoring
one; and a file's "Upload a new version" form.

Reading goes through ``request.revisions``; restoring and new file versions go
through ``request.content`` like the edit form, with the same answer to a
version changed meanwhile: nothing is kept, the page says so and offers to go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.content.models import File
from charter.content.registry import types_of
from charter.errors import Conflict, NotFound, PreconditionFailed, TooLarge, ValidationFailed
from charter.history.models import Revision
from charter.history.revisions import MAX_NUMBER, HistoryPageRequest
from charter.input.numbers import whole_number
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.web.editing import form_fields, general_errors, view_url
from charter.web.files import chosen_files
from charter.web.forms import errors_by_field, refuse_form
from charter.web.helpers import node_url
from charter.web.i18n import _, flash, format_size, translate, upload_limit

HISTORY_TEMPLATE = "charter:web/templates/history.jinja2"
REVISION_TEMPLATE = "charter:web/templates/revision.jinja2"
DIFF_TEMPLATE = "charter:web/templates/diff.jinja2"
REPLACE_TEMPLATE = "charter:web/templates/replace.jinja2"
# How a file's snapshot names its blob, for people.
BLOB_LABELS = {"filename": "File name", "size": "Size", "mime_type": "Type", "sha256": "SHA-256"}
# What a service calls the fields of the forms here.
SERVICE_FIELDS = {"@comment": "comment", "filename": "file"}
READ_METHODS = ("GET", "HEAD")


def history_url(request: Request, node: Node, *segments: object) -> str:
    """The URL of ``node``'s history page, or of what lies below it (``3``, ``3/restore``)."""
    return "/".join([view_url(request, node, "history"), *(str(s) for s in segments)])


def diff_url(request: Request, node: Node, first: int, second: int) -> str:
    """The page comparing versions ``first`` and ``second`` of ``node``."""
    return view_url(request, node, "diff", {"from": first, "to": second})


def field_labels(request: Request, node: Node) -> dict[str, str]:
    """What each key of ``node``'s snapshots is called on its forms, in the schema's order (a
    file's blob after)."""
    fields = form_fields(types_of(request.registry).of(node))
    return {**{field.name: field.label for field in fields}, **BLOB_LABELS}


def labelled_fields(labels: Mapping[str, str], revision: Revision) -> list[tuple[str, str, Any]]:
    """``(name, label, value)`` of each field ``revision`` keeps, in the order of ``labels``,
    then those the type no longer has, by name."""
    known = [name for name in labels if name in revision.fields]
    others = sorted(set(revision.fields) - set(labels))
    return [(name, labels.get(name, name), revision.fields[name]) for name in known + others]


def _number(text: str, field: str | None = None) -> int:
    """A version number from the address (NotFound) or a query parameter (ValidationFailed)."""
    number = whole_number(text, minimum=1, maximum=MAX_NUMBER)
    if number is not None:
        return number
    if field is None:
        raise NotFound(
            _("${text} is not the number of a version", mapping={"text": repr(text[:20])})
        )
    raise ValidationFailed([(field, _("give the number of a version"))])


def _refuse(request: Request, status: int) -> None:
    refuse_form(request)
    request.response.status_int = status


def _helpers() -> dict[str, Any]:
    return {
        "history_url": history_url,
        "diff_url": diff_url,
        "view_url": view_url,
    }


def _read(subpath: str) -> dict[str, Any]:
    """The view_config of the history page's URL ``subpath`` (see SubpathPredicate)."""
    return {
        "context": Node,
        "name": "history",
        "subpath": subpath,
        "request_method": READ_METHODS,
        "permission": Permission.VIEW,
    }


@view_config(renderer=HISTORY_TEMPLATE, **_read(""))
def history_page(context: Node, request: Request) -> dict[str, Any]:
    """The node's versions, newest first, to look at, compare and restore."""
    page_request = HistoryPageRequest.from_params(request.GET, request.registry.settings)
    page = request.revisions.page(context, page_request)
    next_url = None
    if page.next_cursor is not None:
        query = urlencode(page_request.next_query(page.next_cursor))
        next_url = f"{history_url(request, context)}?{query}"
    return {
        "page": page,
        "next_url": next_url,
        "is_file": types_of(request.registry).of(context).upload,
        "steps": _workflow_steps(request, context, page),
        **_helpers(),
    }


def _workflow_steps(request: Request, context: Node, page: Any) -> list[Any]:
    """The node's workflow steps, shown beside its versions on the first page.

    Every step moves the node's version on without a revision, so a node
    whose version is its newest revision's number has taken none: its page
    costs no query for them.
    """
    if not page.first_page or not page.items or context.version <= page.items[0].number:
        return []
    return request.workflow.history(context)


def revision_page(
    request: Request,
    context: Node,
    revision: Revision,
    comment: str = "",
    errors: Mapping[str, list[str]] | None = None,
    changed_meanwhile: bool = False,
) -> dict[str, Any]:
    """The page of one version, with the "Restore this version" form (sending the version of
    the node it shows)."""
    errors = errors or {}
    return {
        "revision": revision,
        "current": request.revisions.current_number(context),
        "fields": labelled_fields(field_labels(request, context), revision),
        "is_file": types_of(request.registry).of(context).upload,
        "comment": comment,
        "errors": errors,
        "general_errors": general_errors(errors, ["comment"]),
        "changed_meanwhile": changed_meanwhile,
        **_helpers(),
    }


@view_config(renderer=REVISION_TEMPLATE, **_read("*"))
def revision_view(context: Node, request: Request) -> dict[str, Any]:
    """One version: when and by whom, its comment and its fields."""
    return revision_page(
        request, context, request.revisions.get(context, _number(request.subpath[0]))
    )


@view_config(
    context=Node,
    name="history",
    subpath="*/restore",
    request_method="POST",
    permission=Permission.EDIT,
    renderer=REVISION_TEMPLATE,
)
def restore_revision(context: Node, request: Request) -> dict[str, Any] | Response:
    """Make the version current again (as a new version), unless the node changed since the
    page showed it."""
    revision = request.revisions.get(context, _number(request.subpath[0]))
    comment = request.POST.get("comment", "")
    version = whole_number(request.POST.get("version", ""))
    if version is None:
        raise ValidationFailed([("version", _("the form did not say which version it showed"))])
    try:
        request.content.restore(context, revision.number, version, comment)
    except PreconditionFailed:
        _refuse(request, 409)
        # What the database holds now (another request wrote it), not what this one loaded.
        request.dbsession.refresh(context)
        return revision_page(request, context, revision, comment, changed_meanwhile=True)
    except ValidationFailed as failure:
        _refuse(request, 400)
        errors = errors_by_field(
            request,
            [(SERVICE_FIELDS.get(field, field), message) for field, message in failure.messages],
        )
        return revision_page(request, context, revision, comment, errors)
    except Conflict as conflict:
        _refuse(request, 409)
        return revision_page(
            request, context, revision, comment, {"form": [translate(request, conflict.message)]}
        )
    names = {"number": revision.number, "title": context.title}
    if context.version == version:
        message = _("Version ${number} is what “${title}” holds now.", mapping=names)
    else:
        message = _("Version ${number} of “${title}” was restored.", mapping=names)
    flash(request, message)
    return HTTPSeeOther(node_url(request, context))


@view_config(
    context=Node,
    name="diff",
    request_method=READ_METHODS,
    permission=Permission.VIEW,
    renderer=DIFF_TEMPLATE,
)
def diff_page(context: Node, request: Request) -> dict[str, Any]:
    """What changed from version ``?from=`` to version ``?to=``, field by field."""
    first = _number(request.GET.get("from", ""), "from")
    second = _number(request.GET.get("to", ""), "to")
    return {
        "comparison": request.revisions.compare(context, first, second),
        "labels": field_labels(request, context),
        **_helpers(),
    }


# -- a new version of a file ---------------------------------------------------

REPLACE_VIEW = {
    "context": File,
    "name": "replace",
    "renderer": REPLACE_TEMPLATE,
    "permission": Permission.EDIT,
}


def _replace_page(
    request: Request,
    version: int,
    comment: str = "",
    errors: Mapping[str, list[str]] | None = None,
    changed_meanwhile: bool = False,
) -> dict[str, Any]:
    errors = errors or {}
    return {
        "version": version,
        "comment": comment,
        "errors": errors,
        "general_errors": general_errors(errors, ["file", "comment"]),
        "changed_meanwhile": changed_meanwhile,
        "limit": upload_limit(request),
        **_helpers(),
    }


@view_config(request_method="GET", **REPLACE_VIEW)
def replace_form(context: File, request: Request) -> dict[str, Any]:
    """The form to upload a new version of the file's bytes."""
    return _replace_page(request, context.version)


@view_config(request_method="POST", **REPLACE_VIEW)
def replace_file(context: File, request: Request) -> dict[str, Any] | Response:
    """Store the chosen file as the new version, unless the file changed since the form was
    shown; the earlier bytes stay in its history."""
    comment = request.POST.get("comment", "")
    version = whole_number(request.POST.get("version", ""))
    if version is None:
        raise ValidationFailed([("version", _("the form did not say which version it replaces"))])
    files = chosen_files(request.POST)
    if len(files) != 1:
        _refuse(request, 400)
        return _replace_page(
            request, version, comment, {"file": [translate(request, _("Choose the new file."))]}
        )
    try:
        request.content.replace(context, files[0].file, files[0].filename, version, comment)
    except PreconditionFailed:
        _refuse(request, 409)
        request.dbsession.refresh(context)
        return _replace_page(request, context.version, comment, changed_meanwhile=True)
    except TooLarge as refusal:
        _refuse(request, 413)
        message = translate(
            request,
            _(
                "The file is larger than the limit of ${limit}.",
                mapping={"limit": format_size(request, refusal.limit)},
            ),
        )
        return _replace_page(request, version, comment, {"file": [message]})
    except ValidationFailed as failure:
        _refuse(request, 400)
        errors = errors_by_field(
            request,
            [(SERVICE_FIELDS.get(field, field), message) for field, message in failure.messages],
        )
        return _replace_page(request, version, comment, errors)
    if context.version == version:
        message = _(
            "The file is the same as the current version of “${title}”.",
            mapping={"title": context.title},
        )
    else:
        message = _("A new version of “${title}” was uploaded.", mapping={"title": context.title})
    flash(request, message)
    return HTTPSeeOther(node_url(request, context))
