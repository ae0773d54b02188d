"""Events the editing services fire; core and add-on subscribers observe them.

Subscribe with ``config.add_subscriber(callback, ObjectAdded)``; the events
are sent within the request's transaction, after the change is flushed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
class ObjectMoved:
    """``node`` moved (or was renamed) from ``old_path`` to its current path."""

    node: Node
    old_path: str


@dataclass(frozen=True)
class ObjectRemoved:
    """The node ``uid`` at ``path`` (and everything below it) was deleted."""

    uid: str
    path: str
    type_name: str
