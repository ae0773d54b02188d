"""Files over HTTP: uploading into a folder, and downloading the bytes (with Range)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import quote

from pyramid.config import not_
from pyramid.httpexceptions import (
    HTTPMethodNotAllowed,
    HTTPNotFound,
    HTTPRequestRangeNotSatisfiable,
)
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from webob.static import FileIter

from charter.api.editing import expected_version
from charter.api.openapi.components import NAME_PATTERN
from charter.api.openapi.declare import IF_NONE_MATCH, Param, Reply, created, ok, operation
from charter.api.people_representation import one_line
from charter.api.representation import representation
from charter.api.views import node_response
from charter.blobs import BlobNotFound, format_size
from charter.blobs.store import Readable
from charter.content.models import File
from charter.errors import TooLarge, ValidationFailed
from charter.history.revisions import FileBlob
from charter.input.headers import header_text
from charter.input.text import UNICODE_WHITESPACE
from charter.security.roles import Permission
from charter.tree.models import Node

log = logging.getLogger(__name__)

DOWNLOAD_METHODS = ("GET", "HEAD", "PUT")
JSON_TYPES = ("application/json", "application/problem+json")


class UploadPredicate:
    """View predicate ``upload``: a POST whose body is a file, not a JSON object.

    Multipart forms and raw bodies (``Content-Type`` = the file's type) are
    uploads; the JSON view for other types answers the rest.
    """

    def __init__(self, value: bool, config: Any) -> None:
        self.value = bool(value)

    def text(self) -> str:
        """How Pyramid names the predicate."""
        return f"upload = {self.value}"

    phash = text

    def __call__(self, context: Any, request: Request) -> bool:
        return (request.content_type not in JSON_TYPES) == self.value


BINARY = {"type": "string", "format": "binary"}
BYTES = Reply(
    "The bytes, with their type.",
    BINARY,
    "*/*",
    headers=("ETag", "Content-Disposition", "Cache-Control"),
)


def _form(fields: dict[str, Any]) -> dict[str, Any]:
    """A multipart form: the file in "file", these fields beside it, others ignored."""
    return {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": BINARY, **fields},
                "required": ["file"],
                # Other fields are ignored; no field holds NUL.
                "propertyNames": {"pattern": "^[^\\x00]*$"},
                "additionalProperties": {"type": "string", "pattern": "^[^\\x00]*$"},
            }
        }
    }


# A new file: the form's fields, empty ones as if left out (a name from the file's, its
# title from that). (A raw body of the file's own type, named by Slug or ?name=, is taken
# too: see the operation's parameters.)
UPLOAD_BODY = _form(
    {
        "name": {"type": "string", "pattern": f"^({NAME_PATTERN})?$"},
        # Stripped as the type's title is (pydantic: Unicode White_Space).
        "title": {
            "type": "string",
            "pattern": one_line(500, whitespace=UNICODE_WHITESPACE),
        },
    }
)
# New bytes for a file, and the comment on the revision they make.
NEW_BYTES_BODY = _form({"comment": {"type": "string", "pattern": one_line(500)}})


def uploaded(
    request: Request, name_parameter: str
) -> tuple[Readable, str | None, Mapping[str, str]]:
    """The bytes of an upload, the client's file name, and the other fields sent with it.

    A multipart form sends the file in its field ``file`` and the fields
    beside it; a raw body names the file with ``Slug`` (or the query
    parameter ``name_parameter``) and sends the fields as query parameters.
    Over the upload limit is a 413 before a byte is read.
    """
    limit = request.registry.settings["charter.blobs.max_upload_size"]
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the upload is larger than the limit of {format_size(limit)}", limit)
    if request.content_type == "multipart/form-data":
        upload = request.POST.get("file")
        if upload is None or not hasattr(upload, "file"):
            raise ValidationFailed([("file", "send the file in a form field named 'file'")])
        return upload.file, upload.filename, request.POST
    filename = header_text(request, "Slug") or request.GET.get(name_parameter) or None
    return request.body_file, filename, request.GET


@operation(
    "Upload a file into a folder",
    tags=("content",),
    body=lambda: UPLOAD_BODY,
    params=(
        Param("name", "The new file's name (a raw body); made from its file name otherwise."),
        Param("title", "The new file's title (a raw body)."),
        Param("Slug", "The file's name (a raw body), percent-encoded UTF-8.", location="header"),
    ),
    responses={201: created("Node", headers=("ETag",))},
    errors=(405, 409),
    operation_id="createNode",
)
@view_config(
    route_name="api.content",
    context=Node,
    request_method="POST",
    container=True,
    upload=True,
    permission=Permission.ADD,
    renderer="json",
)
def upload_file(context: Node, request: Request) -> dict[str, Any]:
    """Add a File from a multipart form (field ``file``) or a raw body.

    A raw body names the file with the ``Slug`` header or the ``name``
    query parameter. ``201`` with the file's JSON and ``Location``.
    """
    stream, filename, fields = uploaded(request, "name")
    name, title = fields.get("name") or None, fields.get("title") or None
    node = request.content.upload(context, stream, filename or "", name=name, title=title)
    created = representation(request, node)
    request.response.status_int = 201
    request.response.location = created["@id"]
    request.response.etag = str(node.version)
    return created


@operation(
    "Download a file's bytes",
    tags=("content",),
    params=(
        Param("Range", "A byte range, such as bytes=0-99: 206.", location="header"),
        IF_NONE_MATCH,
    ),
    responses={
        200: BYTES,
        206: Reply("The range asked for.", BINARY, "*/*", headers=("ETag", "Content-Range")),
        304: Reply("The client's copy is current.", None, "", headers=("ETag",)),
    },
    errors=(416,),
    security="optional",
    operation_id="downloadFile",
)
@view_config(
    route_name="api.content",
    context=File,
    name="@download",
    request_method=("GET", "HEAD"),
    permission=Permission.VIEW,
)
@view_config(
    context=File, name="download", request_method=("GET", "HEAD"), permission=Permission.VIEW
)
def download_file(context: File, request: Request) -> Response:
    """The file's bytes, streamed; conditional requests and byte ranges (206) honoured."""
    blob = FileBlob(context.blob_sha256, context.size, context.mime_type, context.filename)
    return send_blob(request, blob, context.modified, context.path)


def range_not_satisfiable(request: Request, response: Response) -> bool:
    """Whether WebOb's conditional response would answer ``response`` with a bare 416 (a
    Range past the end): raised by the view instead, the error views answer it."""
    # WebOb answers 304 first when the client holds the file already.
    if request.if_none_match and response.etag:
        not_modified = response.etag in request.if_none_match
    else:
        not_modified = bool(
            request.if_modified_since
            and response.last_modified
            and response.last_modified <= request.if_modified_since
        )
    return (
        not not_modified
        and request.range is not None
        and response in request.if_range
        and request.range.content_range(response.content_length) is None
    )


def content_disposition(disposition: str, filename: str) -> str:
    """A Content-Disposition value no file name can break: ASCII fallback plus RFC 6266 UTF-8."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename
    )
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@operation(
    "Put new bytes into a file",
    tags=("content",),
    body=lambda: NEW_BYTES_BODY,
    if_match=True,
    params=(
        Param("filename", "The file's new name (a raw body)."),
        Param("comment", "A comment on the revision (a raw body)."),
        Param("Slug", "The new name (a raw body), percent-encoded UTF-8.", location="header"),
    ),
    responses={200: ok("Node", headers=("ETag",))},
    errors=(409,),
    operation_id="replaceFile",
)
@view_config(
    route_name="api.content",
    context=File,
    name="@download",
    request_method="PUT",
    permission=Permission.EDIT,
    renderer="json",
)
def replace_file(context: File, request: Request) -> dict[str, Any]:
    """New bytes for the file, with If-Match: a raw body (named by ``Slug`` or ``?filename=``,
    commented by ``?comment=``) or a multipart form (fields ``file`` and ``comment``).

    ``200`` with the file's JSON and new ETag; the bytes it had stay in its
    history. ``413`` over the upload limit, before a byte is read.
    """
    version = expected_version(request)
    stream, filename, fields = uploaded(request, "filename")
    node = request.content.replace(context, stream, filename, version, fields.get("comment", ""))
    return node_response(request, node, representation(request, node))


def send_blob(request: Request, blob: FileBlob, modified: dt.datetime, path: str) -> Response:
    """``blob``'s bytes, streamed, as a download of what ``path`` held at ``modified``;
    conditional requests and byte ranges (206) honoured."""
    try:
        handle = request.blobs.open(blob.sha256)
    except BlobNotFound:
        log.error("the bytes of %s (%s) are missing", path, blob.sha256)
        raise HTTPNotFound() from None
    response = Response(
        content_type=blob.mime_type,
        app_iter=FileIter(handle),
        content_length=blob.size,
        conditional_response=True,
    )
    if blob.mime_type.startswith("text/"):
        response.charset = "utf-8"
    response.etag = blob.sha256
    response.last_modified = modified
    response.accept_ranges = "bytes"
    response.cache_control = "private, no-cache"
    inline = blob.mime_type in request.registry.settings["charter.blobs.inline_types"]
    response.content_disposition = content_disposition(
        "inline" if inline else "attachment", blob.filename
    )
    if range_not_satisfiable(request, response):
        handle.close()
        raise HTTPRequestRangeNotSatisfiable(headers={"Content-Range": f"bytes */{blob.size}"})
    return response


# Changes nothing, so no CSRF token is needed to be told so; only those who may view the
# file learn that it exists.
@view_config(
    route_name="api.content",
    context=File,
    name="@download",
    request_method=not_(DOWNLOAD_METHODS),
    require_csrf=False,
    permission=Permission.VIEW,
)
def download_method_not_allowed(context: File, request: Request) -> NoReturn:
    """Say which methods a file's ``@download`` answers."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(DOWNLOAD_METHODS)})
