"""API tokens' identities kept between requests, for as long as nothing they came from changed.

Loading the identity behind a token is a query of its own on every API
request. A process keeps what it loaded, with the identity generation read in
the same statement (charter.security.models.IdentityGeneration), and uses it
for a request only when:

- the request read the same generation with its lineage (traversal's one
  query carries it, charter.tree.services), on the primary database; a
  revocation, deactivation, password change, or change of groups or
  site-wide roles committed anywhere moves the generation on, so every
  process loads the identity again on its next request;
- the entry is younger than ``charter.identity_cache.seconds``;
- the token has not expired meanwhile.

A request that reads no lineage (the change feed, search, the token's own
routes) loads the identity as before. The cache holds at most
``charter.identity_cache.size`` tokens, the least recently used going first;
it is a copy of committed rows, never the only one.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyramid.registry import Registry

if TYPE_CHECKING:
    # Only a type here: importing it would import the accounts package while security loads.
    from charter.security.identity import Identity

REGISTRY_KEY = "charter.security.identity_cache"


@dataclass
class CachedToken:
    """What a process keeps of a token: its identity and what decides whether it still holds."""

    identity: Identity
    generation: int
    # The token's own expiry (naive UTC, as stored), or None.
    expires: dt.datetime | None
    # When its last use was last written, so that it is written at most once a minute.
    last_used: dt.datetime | None
    # time.monotonic() after which it is loaded again whatever the generation says.
    stale_after: float


class IdentityCache:
    """Token digests to :class:`CachedToken`, bounded in number and age; safe between threads."""

    def __init__(self, seconds: float, size: int) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: OrderedDict[str, CachedToken] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str, generation: int, now: dt.datetime) -> CachedToken | None:
        """The entry of ``digest`` if it was loaded at ``generation``, is younger than the
        cache's time and its token has not expired by ``now``; otherwise None (and gone)."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if (
                entry.generation != generation
                or time.monotonic() >= entry.stale_after
                or (entry.expires is not None and entry.expires <= now)
            ):
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry

    def put(
        self,
        digest: str,
        identity: Identity,
        generation: int,
        expires: dt.datetime | None,
        last_used: dt.datetime | None,
    ) -> None:
        """Keep ``identity`` as loaded at ``generation``, dropping the least recently used
        entry past the cache's size."""
        entry = CachedToken(
            identity, generation, expires, last_used, time.monotonic() + self.seconds
        )
        with self._lock:
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def identity_cache(registry: Registry) -> IdentityCache | None:
    """The application's cache, or None when ``charter.identity_cache.seconds`` is 0."""
    return registry.get(REGISTRY_KEY)


def install(registry: Registry, seconds: float, size: int) -> None:
    """Give the application its cache (none when ``seconds`` or ``size`` is 0)."""
    if seconds > 0 and size > 0:
        registry[REGISTRY_KEY] = IdentityCache(seconds, size)
