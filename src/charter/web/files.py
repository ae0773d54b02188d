"""The web pages of files: uploading one or several into a folder, and a file's own page.

Uploads go through ``request.content.upload`` like the API's; the files of
one form are kept together or not at all (a refused form dooms the
transaction, which removes the bytes already written).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from webob.multidict import MultiDict

from charter.content.models import File
from charter.content.registry import types_of
from charter.errors import Conflict, TooLarge, ValidationFailed
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.web.editing import general_errors, view_url
from charter.web.forms import errors_by_field, refuse_form
from charter.web.helpers import node_url, refuse_unless_folder
from charter.web.i18n import _, flash, format_size, translate, upload_limit
from charter.web.views import HTML_READ

UPLOAD_TEMPLATE = "charter:web/templates/upload.jinja2"
FILE_TEMPLATE = "charter:web/templates/file.jinja2"
# The inputs of the upload form; a service's "filename" error is about the chosen file.
UPLOAD_FIELDS = ("file", "title", "description")
SERVICE_FIELDS = {"filename": "file"}


def _check_uploadable(request: Request, context: Node) -> None:
    """Refuse (Conflict) a node that cannot hold files."""
    refuse_unless_folder(context)
    types = types_of(request.registry)
    if not types.fits(context, types.get("File")):
        raise Conflict(
            _("files cannot be uploaded to “${title}”", mapping={"title": context.title})
        )


def _upload_page(
    request: Request,
    title: str = "",
    description: str = "",
    errors: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    errors = errors or {}
    return {
        "title": title,
        "description": description,
        "errors": errors,
        "general_errors": general_errors(errors, UPLOAD_FIELDS),
        "limit": upload_limit(request),
        "view_url": view_url,
    }


def chosen_files(post: MultiDict) -> list[Any]:
    """The files a form sent in its ``file`` inputs (an input left empty sends none)."""
    # WebOb gives a chosen file as a field storage and an empty input as "".
    return [item for item in post.getall("file") if getattr(item, "filename", None)]


def uploaded_message(files: list[File]) -> str:
    """The flash message naming what was uploaded."""
    if len(files) == 1:
        return _("File “${title}” was uploaded.", mapping={"title": files[0].title})
    names = ", ".join(f"“{file.title}”" for file in files)
    return _(
        "${count} files were uploaded: ${names}.", mapping={"count": len(files), "names": names}
    )


UPLOAD_VIEW = {
    "context": Node,
    "name": "upload",
    "renderer": UPLOAD_TEMPLATE,
    "permission": Permission.ADD,
}


@view_config(request_method="GET", **UPLOAD_VIEW)
def upload_form(context: Node, request: Request) -> dict[str, Any]:
    """The form to upload one or several files into the folder."""
    _check_uploadable(request, context)
    return _upload_page(request)


@view_config(request_method="POST", **UPLOAD_VIEW)
def upload_files(context: Node, request: Request) -> dict[str, Any] | Response:
    """Store every chosen file, then show the folder; one refused file keeps none of them."""
    _check_uploadable(request, context)
    files = chosen_files(request.POST)
    title = request.POST.get("title", "").strip()
    description = request.POST.get("description", "").replace("\r\n", "\n").strip()
    errors: dict[str, list[str]] = {}
    status = 400
    if not files:
        errors["file"] = [translate(request, _("Choose one or more files to upload."))]
    elif len(files) > 1:
        # One title for several files would make them indistinguishable in the folder.
        if title:
            errors["title"] = [
                translate(request, _("A title can only be given when uploading one file."))
            ]
        if description:
            errors["description"] = [
                translate(request, _("A description can only be given when uploading one file."))
            ]
    if not errors:
        uploaded: list[File] = []
        try:
            for item in files:
                uploaded.append(
                    request.content.upload(
                        context,
                        item.file,
                        item.filename,
                        title=title or None,
                        description=description,
                    )
                )
        except TooLarge as refusal:
            message = translate(
                request,
                _(
                    "“${name}” is larger than the limit of ${limit} for one file; "
                    "no file was uploaded.",
                    mapping={"name": item.filename, "limit": format_size(request, refusal.limit)},
                ),
            )
            errors, status = {"file": [message]}, 413
        except ValidationFailed as failure:
            errors = errors_by_field(
                request,
                [
                    (SERVICE_FIELDS.get(field, field), message)
                    for field, message in failure.messages
                ],
            )
        else:
            flash(request, uploaded_message(uploaded))
            folder = node_url(request, context)
            if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                # The page's script sent the form (charter.js) and goes to the folder itself:
                # a redirect would be followed by the script, which would take the message.
                return Response(json_body={"location": folder})
            return HTTPSeeOther(folder)
    refuse_form(request)
    request.response.status_int = status
    return _upload_page(request, title, description, errors)


@view_config(context=File, renderer=FILE_TEMPLATE, **HTML_READ)
def file_page(context: File, request: Request) -> dict[str, Any]:
    """A file: its details, a download button and, for images and PDF, a preview."""
    request.response.vary = ("Accept",)
    preview = None
    if context.mime_type in request.registry.settings["charter.blobs.inline_types"]:
        if context.mime_type.startswith("image/"):
            preview = "image"
        elif context.mime_type == "application/pdf":
            preview = "pdf"
    return {
        "size": format_size(request, context.size),
        "download_url": view_url(request, context, "download"),
        "preview": preview,
    }
