"""The domain events that make entries of the change feed."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from sqlalchemy.orm import object_session

from charter.changes.feed import (
    CREATED,
    MODIFIED,
    MOVED,
    PURGED,
    RENAMED,
    RESTORED,
    SHARED,
    TRASHED,
    WORKFLOW,
    PendingChange,
    record,
    record_node,
)
from charter.content.events import (
    ObjectAdded,
    ObjectModified,
    ObjectMoved,
    ObjectPurged,
    ObjectRestored,
    ObjectShared,
    ObjectTrashed,
)


def added(event: ObjectAdded) -> None:
    """A node was created or copied."""
    record_node(CREATED, event.node)


def modified(event: ObjectModified) -> None:
    """A node's fields changed; the entry names them (not their values)."""
    record_node(MODIFIED, event.node, details={"fields": sorted(event.changes)})


def moved(event: ObjectMoved) -> None:
    """A node moved to another folder (``moved``) or got another name in its own (``renamed``)."""
    old_parent = event.old_path.rsplit("/", 1)[0]
    new_parent = event.node.path.rsplit("/", 1)[0]
    kind = RENAMED if old_parent == new_parent else MOVED
    record_node(kind, event.node, old_path=event.old_path)


def trashed(event: ObjectTrashed) -> None:
    """A node and its subtree went to the trash: a tombstone, at the path it had."""
    node = event.node
    record(
        object_session(node),
        PendingChange(
            kind=TRASHED,
            uid=node.uid,
            node_type=node.type,
            path=event.old_path,
            title=node.title,
            node=node,
            details={"trash_entry": event.entry_id},
        ),
    )


def restored(event: ObjectRestored) -> None:
    """A node and its subtree came back from the trash."""
    record_node(RESTORED, event.node, old_path=event.original_path)


def purged(event: ObjectPurged) -> None:
    """A trashed node and its subtree are gone for good: a tombstone."""
    record(
        event.session,
        PendingChange(
            kind=PURGED,
            uid=event.uid,
            node_type=event.type_name,
            path=event.path,
            details={"count": event.count},
        ),
    )


def shared(event: ObjectShared) -> None:
    """Who holds which role on a node changed."""
    record_node(SHARED, event.node)


def state_changed(event: Any) -> None:
    """A workflow transition (charter.workflow's StateChanged)."""
    step = event.step
    details = {
        "transition": getattr(step, "transition", None),
        "from": getattr(step, "from_state", None),
        "to": getattr(step, "to_state", None),
    }
    record_node(WORKFLOW, event.node, details=details)


def includeme(config: Configurator) -> None:
    """Subscribe to the editing, trash and sharing events."""
    config.add_subscriber(added, ObjectAdded)
    config.add_subscriber(modified, ObjectModified)
    config.add_subscriber(moved, ObjectMoved)
    config.add_subscriber(trashed, ObjectTrashed)
    config.add_subscriber(restored, ObjectRestored)
    config.add_subscriber(purged, ObjectPurged)
    config.add_subscriber(shared, ObjectShared)
    try:
        from charter.workflow.events import StateChanged
    except ImportError:  # a tree without workflows
        return
    config.add_subscriber(state_changed, StateChanged)
