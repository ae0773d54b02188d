"""Request ids and trusted proxies: who the client is, over which scheme, under which id.

A request id names one request in every log line and audit entry it causes.
It comes from the ``X-Request-ID`` header only when the request arrives from a
trusted proxy (``charter.proxy.trusted``) and the value is well formed;
otherwise Charter makes one. The same proxies are the only ones whose
``X-Forwarded-For`` and ``X-Forwarded-Proto`` Charter believes: a client
talking to Charter directly cannot pose as another address or as HTTPS.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, MutableMapping
from functools import lru_cache
from typing import Any

from pyramid.request import Request

# What an id taken from a proxy may look like: printable, no spaces, bounded
# (nginx's $request_id is 32 hex digits, a UUID 36 characters); the audit log keeps 64.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,63}")
MAX_REQUEST_ID_LENGTH = 64

# environ keys: set once per request, kept across pyramid_retry's attempts.
ENVIRON_REQUEST_ID = "charter.request_id"
ENVIRON_PEER = "charter.peer_addr"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """Addresses or networks (``127.0.0.1 10.0.0.0/8 ::1``) separated by spaces or new lines."""
    return tuple(ipaddress.ip_network(part, strict=False) for part in text.split())


def new_request_id() -> str:
    """A fresh random id: 32 hexadecimal digits (128 bits)."""
    return os.urandom(16).hex()


def valid_request_id(value: str | None) -> str | None:
    """``value`` when it is a well-formed request id, else None."""
    if value is None or len(value) > MAX_REQUEST_ID_LENGTH:
        return None
    return value if REQUEST_ID.fullmatch(value) else None


class ProxyTrust:
    """Which peers are trusted proxies, and what they may tell Charter."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)
        self._trusted = lru_cache(maxsize=1024)(self._lookup)

    def _lookup(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)

    def trusts(self, address: str | None) -> bool:
        """Whether ``address`` (a peer's IP address) is one of the trusted proxies."""
        return bool(self.networks) and address is not None and self._trusted(address)

    def apply(self, environ: MutableMapping[str, Any]) -> None:
        """Resolve the client address, scheme and request id of ``environ`` in place, once.

        From a trusted peer, ``REMOTE_ADDR`` becomes the nearest address in
        ``X-Forwarded-For`` that is not itself a trusted proxy, and the scheme
        that of ``X-Forwarded-Proto`` (http or https). From any other peer
        these headers are removed, so nothing downstream can read them.
        """
        if ENVIRON_PEER in environ:
            return  # an earlier attempt of the same request did it
        peer = environ.get("REMOTE_ADDR")
        environ[ENVIRON_PEER] = peer
        if not self.trusts(peer):
            for key in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_REQUEST_ID"):
                environ.pop(key, None)
            environ[ENVIRON_REQUEST_ID] = new_request_id()
            return
        forwarded_for = environ.get("HTTP_X_FORWARDED_FOR")
        if forwarded_for:
            client = self._client_address(forwarded_for)
            if client is not None:
                environ["REMOTE_ADDR"] = client
        proto = environ.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
        if proto in ("http", "https"):
            environ["wsgi.url_scheme"] = proto
        environ[ENVIRON_REQUEST_ID] = (
            valid_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        )

    def _client_address(self, forwarded_for: str) -> str | None:
        # Right to left: each hop appends the address it saw; the first one not
        # a trusted proxy is the client as far as Charter can tell.
        hops = [hop.strip() for hop in forwarded_for[:4096].split(",")]
        for hop in reversed(hops):
            try:
                address = str(ipaddress.ip_address(hop))
            except ValueError:
                return None  # a malformed hop: believe nothing before it
            if not self._trusted(address):
                return address
        return None


def request_id(request: Request) -> str:
    """This request's id: the trusted proxy's ``X-Request-ID``, or one Charter made."""
    environ = request.environ
    value = environ.get(ENVIRON_REQUEST_ID)
    if value is None:
        # The ops tween resolves it first; a request built elsewhere (a script,
        # a unit test) gets an id of its own.
        value = environ[ENVIRON_REQUEST_ID] = new_request_id()
    return value
