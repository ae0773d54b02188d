"""Keeping ``node_viewers`` (which roles each principal holds on each node) in step with
the local roles.

A principal holds a role on a node when it is granted on the node or on an
ancestor whose grants reach it (no node in between blocks inheritance).
Which of those roles may view the node in its workflow state is not stored:
the listing query decides it (charter.tree.visibility), so a change to a
workflow's definition rewrites no row here. Global roles are not stored
here either: the query is given the caller's.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, exists, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from charter.db.statements import delete_joined
from charter.tree.models import LocalRole, Node, NodeViewer
from charter.tree.paths import ROOT_PATH, descendants_range


def _ancestor_or_self(ancestor: type[Node], node: type[Node]) -> ColumnElement[bool]:
    """SQL: ``ancestor`` is ``node`` or one of its ancestors (by materialized path)."""
    is_root = ancestor.depth == 0
    low = case((is_root, literal(ROOT_PATH)), else_=ancestor.path + "/")
    high = case((is_root, literal("0")), else_=ancestor.path + "0")
    return or_(node.id == ancestor.id, and_(node.path > low, node.path < high))


def refresh_subtree(dbsession: Session, top: Node) -> None:
    """Recompute the viewers of ``top`` and every node below it: two statements in all."""
    # Grants must be in the database before they are read back in SQL.
    dbsession.flush()
    low, high = descendants_range(top.path)
    in_subtree = or_(Node.id == top.id, and_(Node.path > low, Node.path < high))
    dbsession.execute(delete_joined(dbsession, NodeViewer, NodeViewer.node_id, Node.id, in_subtree))

    granted_on = aliased(Node, name="granted_on")
    viewed = aliased(Node, name="viewed")
    blocker = aliased(Node, name="blocker")
    cut_off = exists().where(
        blocker.inherit_roles.is_(False),
        blocker.depth > granted_on.depth,
        blocker.depth <= viewed.depth,
        _ancestor_or_self(blocker, viewed),
    )
    pairs = (
        select(viewed.id, LocalRole.principal, LocalRole.role)
        .distinct()
        .select_from(LocalRole)
        .join(granted_on, granted_on.id == LocalRole.node_id)
        .join(viewed, _ancestor_or_self(granted_on, viewed))
        .where(
            or_(viewed.id == top.id, and_(viewed.path > low, viewed.path < high)),
            ~cut_off,
        )
    )
    dbsession.execute(insert(NodeViewer).from_select(["node_id", "principal", "role"], pairs))


def inherit_viewers(dbsession: Session, child: Node, parent: Node) -> None:
    """Give a new node (no grants of its own yet) its parent's viewers: one statement."""
    dbsession.execute(
        insert(NodeViewer).from_select(
            ["node_id", "principal", "role"],
            select(literal(child.id), NodeViewer.principal, NodeViewer.role).where(
                NodeViewer.node_id == parent.id
            ),
        )
    )
