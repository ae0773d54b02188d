"""An image file's thumbnail (``<file>/@@thumbnail``): the contents table shows it.

It is scaled once and kept in the blob store (charter.blobs.thumbnails); who
may view the file may view its thumbnail, and nobody else. A file that gets
no thumbnail (not an image Pillow decodes, too many pixels, corrupt) answers
404, so the table shows its type's icon instead.
"""

from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPNotFound, HTTPNotModified
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.blobs import BlobNotFound
from charter.blobs.thumbnails import SOURCE_FORMATS, THUMBNAIL_SIZE
from charter.content.models import File
from charter.security.roles import Permission

log = logging.getLogger(__name__)

# Revalidated on each use (the ETag makes that a 304), so a revoked permission counts at once.
CACHE_CONTROL = "private, no-cache"


def has_thumbnail(mime_type: str | None) -> bool:
    """Whether a file of this sniffed type may have a thumbnail (worth an <img>)."""
    return mime_type in SOURCE_FORMATS


@view_config(
    context=File, name="thumbnail", request_method=("GET", "HEAD"), permission=Permission.VIEW
)
def thumbnail(context: File, request: Request) -> Response:
    """The file's image scaled to fit a THUMBNAIL_SIZE square, as PNG or JPEG; 404 when it
    gets none. The ETag names the file's bytes, so If-None-Match gets a 304 at once."""
    etag = f"{context.blob_sha256}-{THUMBNAIL_SIZE}"
    headers = {"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    if has_thumbnail(context.mime_type) and etag in request.if_none_match:
        not_modified = HTTPNotModified(headers=headers)
        not_modified.etag = etag
        return not_modified
    try:
        found = request.thumbnails.get(
            context.blob_sha256, context.mime_type, lambda: request.blobs.open(context.blob_sha256)
        )
    except BlobNotFound:
        log.error("the bytes of %s (%s) are missing", context.path, context.blob_sha256)
        found = None
    if found is None:
        raise HTTPNotFound()
    response = Response(body=found.data, content_type=found.mime_type)
    response.headers.update(headers)
    response.etag = etag
    return response
