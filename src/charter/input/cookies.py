"""The Cookie header cut down to well-formed pairs before anything parses it.

WebOb's cookie parser backtracks: a run of name characters with no ``=``
(``Cookie: aaaa...``) costs time quadratic in its length; 16,000 characters
took 10 s of CPU, so one small request could hold a worker. A pair a browser
sends for a cookie Charter (or anyone) set is ``name=value`` in RFC 6265's
characters, which that parser reads in linear time; every other piece of the
header is dropped before WebOb sees it, as nobody's cookie.
"""

from __future__ import annotations

import re
from typing import Any

from pyramid.request import Request

# More than a browser sends for one site (nginx's default limit for a header line is 8 KiB).
MAX_COOKIE_HEADER_BYTES = 16 * 1024
# Set in the environ when the header was over the limit; the input tween answers 431.
COOKIE_TOO_LARGE = "charter.input.cookie_too_large"

# RFC 6265: a token for the name; cookie-octets WebOb also reads as one value.
_VALUE = r"[A-Za-z0-9!#$%&'()*+\-./:<=>?@^_`{|}~]*"
_PAIR = re.compile(rf"[A-Za-z0-9!#$%&'*+\-.^_`|~]+=(?:{_VALUE}|\"{_VALUE}\")")


def well_formed_cookies(header: str) -> str:
    """The ``name=value`` pairs of a Cookie header, in order, without anything else."""
    pairs = (part.strip(" \t") for part in header.split(";"))
    return "; ".join(pair for pair in pairs if _PAIR.fullmatch(pair))


def clean_cookie_header(environ: dict[str, Any]) -> None:
    """Keep only the header's well-formed pairs, and none at all from a header over the
    limit (marked for the input tween to refuse)."""
    header = environ.get("HTTP_COOKIE")
    if not header:
        return
    if len(header) > MAX_COOKIE_HEADER_BYTES:
        environ["HTTP_COOKIE"] = ""
        environ[COOKIE_TOO_LARGE] = True
        return
    environ["HTTP_COOKIE"] = well_formed_cookies(header)


class CleanCookiesRequest(Request):
    """Charter's request: its Cookie header cleaned before any tween (or a NewRequest
    subscriber, which runs after them) can read it. A class, as Pyramid's scripts call
    the factory's ``blank``."""

    def __init__(self, environ: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        clean_cookie_header(environ)
        super().__init__(environ, *args, **kwargs)
