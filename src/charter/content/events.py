"""Events the editing services fire; core and add-on subscribers observe them.

Subscribe with ``config.add_subscriber(callback, ObjectAdded)``; the events
are sent within the request's transaction, after the change is flushed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from charter.history.models import Revision
from charter.tree.models import Node


@dataclass(frozen=True)
class ObjectAdded:
    """A node was created (or copied) inside ``parent``."""

    node: Node
    parent: Node


@dataclass(frozen=True)
class ObjectModified:
    """Fields of ``node`` changed; ``changes`` maps each changed field to its new value."""

    node: Node
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RevisionCreated:
    """``node``'s content was recorded as ``revision`` (on creation, a change or a restore)."""

    node: Node
    revision: Revision


@dataclass(frozen=True)
class ObjectMoved:
    """``node`` moved (or was renamed) from ``old_path`` to its current path."""

    node: Node
    old_path: str


@dataclass(frozen=True)
class ObjectRemoved:
    """The node ``uid`` at ``path`` (and everything below it) was deleted for good: it is
    fired as ObjectPurged when the trash is purged (deleting moves to the trash: ObjectTrashed)."""

    uid: str
    path: str
    type_name: str


@dataclass(frozen=True)
class ObjectTrashed:
    """``node`` and its subtree went to the trash (entry ``entry_id``) from ``old_path`` in
    ``parent``; no traversal or listing sees them until they are restored."""

    node: Node
    entry_id: int
    old_path: str
    parent: Node | None


@dataclass(frozen=True)
class ObjectRestored:
    """``node`` and its subtree came back from the trash into ``parent``; it had been
    deleted from ``original_path``."""

    node: Node
    original_path: str
    parent: Node


@dataclass(frozen=True)
class ObjectPurged(ObjectRemoved):
    """The trashed node ``uid``, deleted from ``path``, and the ``count`` nodes of its
    subtree (itself included) are gone for good; an ObjectRemoved, for subscribers of that."""

    count: int = 1
    # The session of the transaction that purged it (the nodes are gone, so no node can
    # say): subscribers that write alongside the change (the change feed) use it.
    session: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ObjectShared:
    """Who holds which role on ``node`` changed (and so, perhaps, who may view its subtree)."""

    node: Node
