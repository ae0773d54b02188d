"""The tween that checks every request's path, query string and form body before routing.

It sits below the exception views, so what it refuses is answered like any
refusal: a problem+json document under /api/, an error page elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, unquote_to_bytes

from pyramid.httpexceptions import HTTPRequestHeaderFieldsTooLarge, HTTPRequestURITooLong
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from charter.blobs import format_size
from charter.errors import MalformedRequest, TooLarge
from charter.i18n import Size, _
from charter.input.cookies import COOKIE_TOO_LARGE, MAX_COOKIE_HEADER_BYTES
from charter.input.json import check_body_size, check_charset, is_json_type

# Longer query strings are no request a person or partner makes by hand.
MAX_QUERY_STRING_BYTES = 8192
MAX_QUERY_PARAMETERS = 100
# What WebOb puts in place of bytes it could not decode in a multipart form.
REPLACEMENT_CHARACTER = "\ufffd"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Room for the part headers and boundaries around an upload's bytes.
MULTIPART_OVERHEAD = 64 * 1024


def request_input_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """Refuse undecodable or oversized input, then hand the request on."""

    def check_input(request: Request) -> Response:
        if request.environ.get(COOKIE_TOO_LARGE):
            raise HTTPRequestHeaderFieldsTooLarge(
                f"The Cookie header is longer than {format_size(MAX_COOKIE_HEADER_BYTES)}."
            )
        check_path(request)
        check_query_string(request)
        if has_body(request):
            check_body(request)
        return handler(request)

    return check_input


def has_body(request: Request) -> bool:
    """Whether the request carries a body (a length above 0, or chunked)."""
    length = request.content_length
    if length is None:
        return "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return length > 0


def check_path(request: Request) -> None:
    """Refuse a path holding NUL; undecodable paths are refused by routing (URLDecodeError)."""
    # PATH_INFO is percent-decoded already, as WSGI's latin-1 text.
    if "\x00" in request.environ.get("PATH_INFO", ""):
        raise MalformedRequest(_("The address holds the NUL character."))


def check_query_string(request: Request) -> None:
    """Refuse a query string that is too long, has too many parameters, or is not UTF-8."""
    query = request.environ.get("QUERY_STRING", "")
    if not query:
        return
    if len(query) > MAX_QUERY_STRING_BYTES:
        raise HTTPRequestURITooLong(
            f"The query string is longer than {format_size(MAX_QUERY_STRING_BYTES)}."
        )
    try:
        pairs = parse_qsl(
            query,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_QUERY_PARAMETERS,
        )
    except UnicodeDecodeError:
        raise MalformedRequest(_("The query string is not valid UTF-8.")) from None
    except ValueError:
        raise MalformedRequest(
            _(
                "The query string has more than ${count} parameters.",
                mapping={"count": MAX_QUERY_PARAMETERS},
            )
        ) from None
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            raise MalformedRequest(
                _(
                    "The query parameter ${name} holds the NUL character.",
                    mapping={"name": repr(key[:50])},
                )
            )


def check_body(request: Request) -> None:
    """Check the charset and size of a body Charter decodes (JSON or a form) and a form's fields.

    Other bodies (raw uploads) are bytes Charter never decodes; their size is
    the upload limit's business.
    """
    content_type = request.content_type
    if not content_type:
        # WebOb reads a body with no media type as a form, in the charset a bare
        # ``;charset=...`` names.
        check_charset(request)
    if is_json_type(content_type):
        check_charset(request)
        check_body_size(request)
    elif content_type in FORM_TYPES:
        check_charset(request)
        if content_type == "multipart/form-data":
            _check_upload_size(request)
        else:
            check_body_size(request)
        _check_form_fields(request)


def _check_upload_size(request: Request) -> None:
    limit = request.registry.settings["charter.blobs.max_upload_size"]
    if request.content_length is not None and request.content_length > limit + MULTIPART_OVERHEAD:
        # Refused before the body is parsed.
        raise TooLarge(
            _(
                "the upload is larger than the limit of ${limit}",
                mapping={"limit": Size(limit)},
            ),
            limit,
        )


def _check_form_fields(request: Request) -> None:
    if request.content_type == "application/x-www-form-urlencoded":
        # Checked on the raw bytes: WebOb would put U+FFFD in place of bad ones.
        for pair in request.body.split(b"&"):
            for part in pair.split(b"=", 1):
                raw = unquote_to_bytes(part.replace(b"+", b" "))
                _check_form_text(_utf8(raw), raw[:50].decode("utf-8", "replace"))
        return
    try:
        fields = request.POST.items()
    except ValueError:
        # The cgi parser WebOb uses refuses a multipart body without a usable boundary.
        raise MalformedRequest(_("The multipart form has no valid boundary.")) from None
    # In a multipart form WebOb has already put U+FFFD for undecodable bytes.
    for key, value in fields:
        if key is None:
            raise MalformedRequest(_("A part of the multipart form has no name."))
        # A file part may have no file name at all (None).
        text = value if isinstance(value, str) else getattr(value, "filename", None) or ""
        for part in (key, text):
            _check_form_text(part, key)
            if REPLACEMENT_CHARACTER in part:
                raise MalformedRequest(
                    _(
                        "The form field ${name} is not valid UTF-8.",
                        mapping={"name": repr(key[:50])},
                    )
                )


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest(_("The form data is not valid UTF-8.")) from None


def _check_form_text(text: str, field: str) -> None:
    if "\x00" in text:
        raise MalformedRequest(
            _(
                "The form field ${name} holds the NUL character.",
                mapping={"name": repr(field[:50])},
            )
        )
