"""A node's history over the JSON API: its revisions, one of them, a diff, a restore.

``GET <node>/@history`` lists the revisions newest first (keyset pages);
``GET <node>/@history/<n>`` is revision n with its fields;
``GET <node>/@history/<a>/@diff/<b>`` compares two revisions field by field;
``GET <file>/@history/<n>/@download`` streams the bytes a file had then; and
``POST <node>/@history/<n>/@restore`` (with If-Match) makes revision n's
content current again, as a new revision.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlencode

from pyramid.config import not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.api.editing import COMMENT_KEY, expected_version, revision_comment
from charter.api.files import BINARY, BYTES, send_blob
from charter.api.openapi.declare import CURSOR, LIMIT, Param, Reply, ok, operation
from charter.api.openapi.document import COMMENT_SCHEMA
from charter.api.representation import api_url
from charter.api.views import CACHE_CONTROL, node_json, node_response, page_request
from charter.content.models import File
from charter.content.registry import types_of
from charter.errors import NotFound, ValidationFailed
from charter.history.diff import FieldChange
from charter.history.models import Revision
from charter.history.revisions import MAX_NUMBER, HistoryPage, HistoryPageRequest, blob_of
from charter.input import json_object
from charter.input.numbers import whole_number
from charter.security.roles import Permission
from charter.tree.models import Node

NUMBER = ("number", "The revision's number.")
HISTORY = "@history"
DIFF = "@diff"
DOWNLOAD = "@download"
RESTORE = "@restore"
READ_METHODS = ("GET", "HEAD")


def history_url(request: Request, node: Node) -> str:
    """The API URL of ``node``'s history."""
    return api_url(request, node.path).rstrip("/") + "/" + HISTORY


def revision_json(
    request: Request, node: Node, revision: Revision, page: HistoryPage | None = None
) -> dict[str, Any]:
    """What a client is told of ``revision``: with its fields alone, in a ``page`` (listed)
    with whether it is the current one."""
    url = f"{history_url(request, node)}/{revision.number}"
    body: dict[str, Any] = {
        "@id": url,
        "number": revision.number,
        "created": revision.created.isoformat(),
        "author": revision.author_login,
        "comment": revision.comment,
    }
    if page is not None:
        body["current"] = page.is_current(revision)
    else:
        body["fields"] = revision.fields
    if types_of(request.registry).of(node).upload:
        body["download"] = f"{url}/{DOWNLOAD}"
    return body


def _number(text: str) -> int:
    number = whole_number(text, minimum=1, maximum=MAX_NUMBER)
    if number is None:
        raise NotFound(f"{text[:20]!r} is not the number of a version")
    return number


def _read(subpath: str, context: type[Node] = Node) -> dict[str, Any]:
    """The view_config of the history URL ``subpath`` (a pattern, see SubpathPredicate)."""
    return {
        "route_name": "api.content",
        "context": context,
        "name": HISTORY,
        "subpath": subpath,
        "request_method": READ_METHODS,
        "permission": Permission.VIEW,
    }


@operation(
    "A page of a node's revisions, newest first",
    tags=("history",),
    params=(
        LIMIT,
        Param(
            "after",
            "The number of the revision the page follows, from `next`.",
            {"type": "integer", "minimum": 1, "maximum": MAX_NUMBER},
        ),
    ),
    responses={200: ok("HistoryPage", headers=("Cache-Control",))},
    security="optional",
    operation_id="listRevisions",
)
@view_config(renderer="json", **_read(""))
def history(context: Node, request: Request) -> dict[str, Any]:
    """A page of the node's revisions, newest first; ``next`` is the URL of the next page."""
    page_request = HistoryPageRequest.from_params(request.GET, request.registry.settings)
    page = request.revisions.page(context, page_request)
    url = history_url(request, context)
    request.response.cache_control = CACHE_CONTROL
    return {
        "@id": url,
        "node": api_url(request, context.path),
        "items": [revision_json(request, context, revision, page) for revision in page.items],
        "next": None
        if page.next_cursor is None
        else f"{url}?{urlencode(page_request.next_query(page.next_cursor))}",
    }


@operation(
    "One revision with its fields",
    tags=("history",),
    subpath_params=(NUMBER,),
    responses={200: ok("Revision", headers=("Cache-Control",))},
    security="optional",
    operation_id="getRevision",
)
@view_config(renderer="json", **_read("*"))
def revision(context: Node, request: Request) -> dict[str, Any]:
    """One revision with its fields (as the node's type had them then)."""
    found = request.revisions.get(context, _number(request.subpath[0]))
    request.response.cache_control = CACHE_CONTROL
    return revision_json(request, context, found)


@operation(
    "Compare two revisions field by field",
    tags=("history",),
    subpath_params=(NUMBER, ("other", "The number of the revision to compare it with.")),
    responses={200: ok("Diff", headers=("Cache-Control",))},
    security="optional",
    operation_id="diffRevisions",
)
@view_config(renderer="json", **_read("*/@diff/*"))
def diff(context: Node, request: Request) -> dict[str, Any]:
    """Every field of two revisions: a unified diff of long text, old and new of the rest."""
    first, _, second = request.subpath
    comparison = request.revisions.compare(context, _number(first), _number(second))
    old, new = comparison.old.number, comparison.new.number
    request.response.cache_control = CACHE_CONTROL
    return {
        "@id": f"{history_url(request, context)}/{old}/{DIFF}/{new}",
        "from": old,
        "to": new,
        "fields": [_field_json(field, old, new) for field in comparison.fields],
    }


def _field_json(field: FieldChange, old: int, new: int) -> dict[str, Any]:
    body: dict[str, Any] = {"name": field.name, "kind": field.kind, "changed": field.changed}
    if field.changed and field.kind == "text":
        body["diff"] = field.unified(f"version {old}", f"version {new}")
    elif field.changed:
        body["old"], body["new"] = field.old, field.new
    return body


@operation(
    "The bytes a file had in a revision",
    tags=("history",),
    subpath_params=(NUMBER,),
    params=(Param("Range", "A byte range, such as bytes=0-99: 206.", location="header"),),
    responses={
        200: BYTES,
        206: Reply("The range asked for.", BINARY, "*/*", headers=("ETag", "Content-Range")),
        304: Reply("The client's copy is current.", None, "", headers=("ETag",)),
    },
    errors=(416,),
    security="optional",
    operation_id="downloadRevision",
)
@view_config(**_read("*/@download", File))
@view_config(
    context=File,
    name="history",
    subpath="*/download",
    request_method=READ_METHODS,
    permission=Permission.VIEW,
)
def download(context: File, request: Request) -> Response:
    """The bytes the file had in that revision, streamed like its current ones (also at
    ``<path>/@@history/<n>/download`` for the web pages)."""
    found = request.revisions.get(context, _number(request.subpath[0]))
    blob = blob_of(types_of(request.registry).of(context), found)
    if blob is None:
        raise NotFound(f"{context.path} is not a file: it has nothing to download")
    return send_blob(request, blob, found.created, context.path)


@operation(
    "Make a revision's content current again",
    tags=("history",),
    subpath_params=(NUMBER,),
    body={
        "type": "object",
        "properties": {"@comment": COMMENT_SCHEMA},
        "additionalProperties": False,
    },
    body_required=False,
    if_match=True,
    params=(LIMIT, CURSOR),
    responses={200: ok("Node", headers=("ETag",))},
    errors=(409,),
    operation_id="restoreRevision",
)
@view_config(
    route_name="api.content",
    context=Node,
    name=HISTORY,
    subpath=f"*/{RESTORE}",
    request_method="POST",
    permission=Permission.EDIT,
    renderer="json",
)
def restore(context: Node, request: Request) -> dict[str, Any]:
    """Revision n's content (a file's bytes too) becomes current again as a new revision,
    when If-Match names the current version: ``200`` with the node's new JSON and ETag."""
    number = _number(request.subpath[0])
    version = expected_version(request)
    comment = _restore_comment(request)
    page = page_request(request, context)
    node = request.content.restore(context, number, version, comment)
    return node_response(request, node, node_json(request, node, page))


def _restore_comment(request: Request) -> Any:
    """The ``@comment`` of a restore's optional JSON body."""
    if not request.content_length:
        return ""
    body = json_object(request)
    unknown = sorted(set(body) - {COMMENT_KEY})
    if unknown:
        raise ValidationFailed([(key, "a restore takes only @comment") for key in unknown])
    return revision_comment(body)


@view_config(
    route_name="api.content",
    context=Node,
    name=HISTORY,
    request_method=not_(READ_METHODS),
    permission=Permission.VIEW,
    require_csrf=False,
)
def history_method_not_allowed(context: Node, request: Request) -> NoReturn:
    """Say which methods a history URL answers (only POST restores)."""
    allowed = ("POST",) if request.subpath[-1:] == (RESTORE,) else READ_METHODS
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(allowed)})
