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
from charter.tree.visibility import NO_RULES, VISIBILITY_RULES_KEY


def added(event: ObjectAdded, rules: Any = None) -> None:
    """A node was created or copied."""
    record_node(CREATED, event.node, rules=rules)


def modified(event: ObjectModified, rules: Any = None) -> None:
    """A node's fields changed; the entry names them (not their values)."""
    record_node(MODIFIED, event.node, rules=rules, details={"fields": sorted(event.changes)})


def moved(event: ObjectMoved, rules: Any = None) -> None:
    """A node moved to another folder (``moved``) or got another name in its own (``renamed``)."""
    old_parent = event.old_path.rsplit("/", 1)[0]
    new_parent = event.node.path.rsplit("/", 1)[0]
    kind = RENAMED if old_parent == new_parent else MOVED
    record_node(kind, event.node, rules=rules, old_path=event.old_path)


def trashed(event: ObjectTrashed, rules: Any = None) -> None:
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
            rules=rules,
            details={"trash_entry": event.entry_id},
        ),
    )


def restored(event: ObjectRestored, rules: Any = None) -> None:
    """A node and its subtree came back from the trash."""
    record_node(RESTORED, event.node, rules=rules, old_path=event.original_path)


def purged(event: ObjectPurged, rules: Any = None) -> None:
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


def shared(event: ObjectShared, rules: Any = None) -> None:
    """Who holds which role on a node changed."""
    record_node(SHARED, event.node, rules=rules)


def state_changed(event: Any, rules: Any = None) -> None:
    """A workflow transition (charter.workflow's StateChanged)."""
    step = event.step
    details = {
        "transition": getattr(step, "transition", None),
        "from": getattr(step, "from_state", None),
        "to": getattr(step, "to_state", None),
    }
    record_node(WORKFLOW, event.node, rules=rules, details=details)


def _with_rules(handler: Any, registry: Any) -> Any:
    """``handler`` called with the workflows' visibility table, compiled once the
    configuration is committed (so read when the event comes, not now)."""

    def subscriber(event: Any) -> None:
        handler(event, registry.get(VISIBILITY_RULES_KEY, NO_RULES))

    return subscriber


def includeme(config: Configurator) -> None:
    """Subscribe to the editing, trash, sharing and workflow events."""
    registry = config.registry
    config.add_subscriber(_with_rules(added, registry), ObjectAdded)
    config.add_subscriber(_with_rules(modified, registry), ObjectModified)
    config.add_subscriber(_with_rules(moved, registry), ObjectMoved)
    config.add_subscriber(_with_rules(trashed, registry), ObjectTrashed)
    config.add_subscriber(_with_rules(restored, registry), ObjectRestored)
    config.add_subscriber(_with_rules(purged, registry), ObjectPurged)
    config.add_subscriber(_with_rules(shared, registry), ObjectShared)
    try:
        from charter.workflow.events import StateChanged
    except ImportError:  # a tree without workflows
        return
    config.add_subscriber(_with_rules(state_changed, registry), StateChanged)
