"""The session cookie: what it holds, how it is signed, and reading it back from hostile input.

One cookie, ``charter_session``, in one of two forms, each signed with an
HMAC-SHA256 keyed from ``charter.session.secret``:

- ``s.<key>.<mac>`` names a session on the server. The key is 256 random
  bits; the server keeps only its SHA-256. The MAC lets a forged or
  mistyped cookie be refused without looking anything up.
- ``c.<payload>.<mac>`` holds a visitor's session itself (a CSRF token for
  the login form, a flash message): base64url of a JSON object. Visitors who
  are not logged in leave no row on the server.

Reading never raises: a value that is too long, not ASCII, badly formed or
wrongly signed is simply no session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

COOKIE_NAME = "charter_session"
SERVER_KIND = "s"
CLIENT_KIND = "c"
# Browsers keep at most about 4 KB per cookie; anything longer is not ours.
MAX_COOKIE_LENGTH = 4096
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
_VALUE_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")


def new_key() -> str:
    """A new session key: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """What the server keeps of a session key: its SHA-256, in hex."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class ServerCookie:
    """A cookie naming a session record by its key."""

    key: str


@dataclass(frozen=True)
class ClientCookie:
    """A cookie holding a visitor's session data; ``written`` is when (epoch seconds)."""

    created: float
    written: float
    data: dict[str, Any]


class SessionCookies:
    """Signs and reads ``charter_session`` values with one site's secret."""

    def __init__(self, secret: str) -> None:
        # A key of its own, so that the secret signs nothing else the same way.
        self._key = hmac.new(secret.encode(), b"charter.session.cookie", hashlib.sha256).digest()

    def _mac(self, kind: str, body: str) -> str:
        message = f"{kind}.{body}".encode("ascii")
        return _b64encode(hmac.new(self._key, message, hashlib.sha256).digest())

    def server_value(self, key: str) -> str:
        """The cookie value naming the session whose key is ``key``."""
        return f"{SERVER_KIND}.{key}.{self._mac(SERVER_KIND, key)}"

    def client_value(self, created: float, written: float, data: dict[str, Any]) -> str:
        """The cookie value holding ``data`` (JSON-serialisable) itself."""
        document = {"c": created, "w": written, "d": data}
        payload = _b64encode(json.dumps(document, separators=(",", ":")).encode())
        return f"{CLIENT_KIND}.{payload}.{self._mac(CLIENT_KIND, payload)}"

    def read(self, cookie_header: str | None) -> ServerCookie | ClientCookie | None:
        """The session cookie in a ``Cookie`` header, if one is there and correctly signed."""
        value = cookie_value(cookie_header)
        if value is None or len(value) > MAX_COOKIE_LENGTH or not _VALUE_PATTERN.fullmatch(value):
            return None
        kind, _, rest = value.partition(".")
        body, _, mac = rest.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(kind, body)):
            return None
        if kind == SERVER_KIND and _KEY_PATTERN.fullmatch(body):
            return ServerCookie(body)
        if kind == CLIENT_KIND:
            return _client_cookie(body)
        return None


def _client_cookie(payload: str) -> ClientCookie | None:
    try:
        document = json.loads(_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    created, written, data = document.get("c"), document.get("w"), document.get("d")
    if not (isinstance(created, int | float) and isinstance(written, int | float)):
        return None
    if not isinstance(data, dict):
        return None
    return ClientCookie(float(created), float(written), data)


def cookie_value(cookie_header: str | None) -> str | None:
    """The first ``charter_session`` value in a ``Cookie`` header, or None.

    Parsed here rather than through ``request.cookies``, which fails on the
    whole header when any cookie in it is not UTF-8.
    """
    if not cookie_header:
        return None
    for pair in cookie_header.split(";"):
        name, separator, value = pair.partition("=")
        if separator and name.strip() == COOKIE_NAME:
            return value.strip().strip('"')
    return None
