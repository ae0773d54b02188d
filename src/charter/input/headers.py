"""Request headers that carry text (a file name in ``Slug``) decoded as UTF-8."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from pyramid.request import Request

from charter.errors import MalformedRequest


def header_text(request: Request, name: str) -> str | None:
    """The text of header ``name``, or None when absent.

    RFC 5023's ``Slug`` is percent-encoded UTF-8; raw UTF-8 bytes, which
    many clients send instead, are read as well. Anything else is a 400.
    """
    value = request.headers.get(name)
    if value is None:
        return None
    try:
        # WSGI hands header bytes over as latin-1 text.
        return unquote_to_bytes(value.encode("latin-1")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise MalformedRequest(f"The {name} header is not UTF-8 text.") from None
