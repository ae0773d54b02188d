"""A counter that moves whenever the grants a security check reads may have changed.

The security policy keeps each node's roles for the rest of the request
(charter.security.policy); an entry made before the counter moved is not
used again. The counter moves on every in-memory change the policy would
read: a node's local roles added, removed or replaced, a grant's principal
or role set, a node's ``inherit_roles`` set, and a node or grant expired or
refreshed from the database (``Session.refresh``, ``expire_all``, a commit),
whoever makes the change: SharingService, an import, a test. It is one
counter for the process: a change in one request only makes the others
compute their roles again.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import event

from charter.tree.models import LocalRole, Node

# next() on a count is atomic; the latest value handed out is the generation.
_counter = itertools.count(1)
_generation = 0


def generation() -> int:
    """The current generation: equal to an earlier one only if no grant changed in between."""
    return _generation


def grants_changed(*args: Any, **kwargs: Any) -> None:
    """Move the generation on (any SQLAlchemy event's arguments are ignored).

    Each value is handed out once, so a generation a cache entry was made
    under is never current again after a change.
    """
    global _generation
    _generation = next(_counter)


for collection_event in ("append", "remove", "bulk_replace"):
    event.listen(Node.local_roles, collection_event, grants_changed, propagate=True)
event.listen(Node.inherit_roles, "set", grants_changed, propagate=True)
event.listen(LocalRole.principal, "set", grants_changed, propagate=True)
event.listen(LocalRole.role, "set", grants_changed, propagate=True)
for entity in (Node, LocalRole):
    event.listen(entity, "expire", grants_changed, propagate=True)
    event.listen(entity, "refresh", grants_changed, propagate=True)
