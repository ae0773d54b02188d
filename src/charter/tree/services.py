"""Reading and reshaping the tree: resolve paths, page children, place, rename, move."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload, with_polymorphic

from charter.db.meta import utcnow
from charter.errors import Conflict, NotFound, ValidationFailed
from charter.tree.models import Node, NodeViewer
from charter.tree.names import check_name
from charter.tree.paths import (
    ROOT_PATH,
    child_path,
    descendants_range,
    hash_path,
    lineage_paths,
    sha256_hex,
)
from charter.tree.viewers import inherit_viewers, refresh_subtree


@dataclass
class Resolution:
    """What a path resolved to: the nodes from the root down, and what was left over."""

    lineage: list[Node]
    remainder: list[str] = field(default_factory=list)

    @property
    def context(self) -> Node:
        """The deepest node found."""
        return self.lineage[-1]


@dataclass
class ChildrenPage:
    """One page of a folder's children and the cursor of the next page, if any."""

    items: list[Node]
    next_cursor: str | None


def encode_cursor(node: Node) -> str:
    """An opaque cursor that starts the next page after ``node``."""
    raw = json.dumps([node.position, node.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The (position, id) a cursor stands for; ValidationFailed when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position, node_id = json.loads(raw)
        if isinstance(position, int) and isinstance(node_id, int):
            return position, node_id
    except (binascii.Error, ValueError, TypeError):
        pass
    raise ValidationFailed([("after", "not a cursor this server handed out")])


# Columns a folder's children can be sorted by, besides their own order.
SORTABLE_COLUMNS = {"title": Node.title, "type": Node.type, "modified": Node.modified}


def _visible_to(query: Select, viewers: frozenset[str] | None) -> Select:
    """``query`` over nodes, keeping only those one of ``viewers`` may view (all for None)."""
    if viewers is None:
        return query
    return query.where(
        exists().where(NodeViewer.node_id == Node.id, NodeViewer.principal.in_(sorted(viewers)))
    )


@functools.cache
def _lineage_statement(type_count: int) -> Select:
    """The one query of :meth:`TreeService.resolve`, built once per set of mapped types.

    Building a polymorphic select costs as much as the rest of a request;
    ``type_count`` makes a type mapped later (an add-on's) get a new one.
    """
    every_type = with_polymorphic(Node, "*")
    return (
        select(every_type)
        .options(joinedload(every_type.local_roles))
        .where(every_type.path_hash.in_(bindparam("path_hashes", expanding=True)))
    )


class TreeService:
    """Operations on the tree within one database session."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession

    def resolve(self, segments: Sequence[str]) -> Resolution:
        """Load the node at ``segments`` and all its ancestors in one query.

        Walking stops at the first segment that names no node; that segment
        and the rest come back as ``remainder`` (a view name and subpath).
        The deepest node is loaded with its subtype's columns, and every node
        with its local roles: all the security policy needs.
        """
        paths = lineage_paths(segments)
        statement = _lineage_statement(len(Node.__mapper__.self_and_descendants))
        rows = (
            self.dbsession.scalars(statement, {"path_hashes": [hash_path(p) for p in paths]})
            .unique()
            .all()
        )
        by_path = {node.path: node for node in rows}
        lineage: list[Node] = []
        for path in paths:
            node = by_path.get(path)
            if node is None:
                break
            node.__parent__ = lineage[-1] if lineage else None
            lineage.append(node)
        if not lineage:
            raise NotFound("the site has no root yet; run charter-init")
        return Resolution(lineage, list(segments[len(lineage) - 1 :]))

    def has_root(self) -> bool:
        """True once the site has been initialised."""
        return (
            self.dbsession.scalar(select(Node.id).where(Node.path_hash == hash_path(ROOT_PATH)))
            is not None
        )

    def root(self) -> Node:
        """The root folder."""
        return self.resolve([]).context

    def children_page(
        self,
        folder: Node,
        limit: int,
        after: str | None = None,
        viewers: frozenset[str] | None = None,
    ) -> ChildrenPage:
        """Up to ``limit`` children of ``folder`` in order, starting after the cursor ``after``.

        Keyset pagination on (position, id): every page costs one indexed
        range scan, however deep into a large folder it is. With ``viewers``,
        only children one of those principals may view are listed (filtered
        in the same query).
        """
        query = _visible_to(select(Node).where(Node.parent_id == folder.id), viewers)
        if after is not None:
            position, node_id = decode_cursor(after)
            # Written so every database reads it as one index range seek.
            query = query.where(
                Node.position >= position, or_(Node.position > position, Node.id > node_id)
            )
        rows = list(self.dbsession.scalars(query.order_by(Node.position, Node.id).limit(limit + 1)))
        for child in rows:
            child.__parent__ = folder
        if len(rows) > limit:
            return ChildrenPage(rows[:limit], encode_cursor(rows[limit - 1]))
        return ChildrenPage(rows, None)

    def sorted_children(
        self,
        folder: Node,
        column: str,
        descending: bool,
        limit: int,
        viewers: frozenset[str] | None = None,
    ) -> list[Node]:
        """Up to ``limit`` children of ``folder`` ordered by ``title``, ``type`` or ``modified``.

        Only the folder's own order (position) has an index to page along
        with keyset cursors; other orders are an ORDER BY ... LIMIT over the
        folder's children: bounded work, for tables people sort by hand.
        """
        key = SORTABLE_COLUMNS[column]
        query = _visible_to(select(Node).where(Node.parent_id == folder.id), viewers)
        order = (key.desc(), Node.id.desc()) if descending else (key, Node.id)
        children = list(self.dbsession.scalars(query.order_by(*order).limit(limit)))
        for child in children:
            child.__parent__ = folder
        return children

    def path_of_uid(self, uid: str, viewers: frozenset[str] | None = None) -> str | None:
        """The path of the node ``uid`` if one of ``viewers`` may view it (None: anyone)."""
        return self.dbsession.scalar(_visible_to(select(Node.path).where(Node.uid == uid), viewers))

    def create_root(self, root: Node) -> Node:
        """Make ``root`` (a container) the root of an empty tree."""
        root.name, root.path, root.path_hash, root.depth = "", ROOT_PATH, hash_path(ROOT_PATH), 0
        self.dbsession.add(root)
        return root

    def add(self, parent: Node, child: Node, name: str) -> Node:
        """Place the new node ``child`` under ``parent`` as ``name``, last in order."""
        if not parent.is_container:
            raise Conflict(f"{parent.path} is not a folder and cannot hold items")
        check_name(name, in_root=parent.parent_id is None)
        # One query answers both questions: is the name free, and what comes last?
        last, taken = self.dbsession.execute(
            select(
                func.max(Node.position),
                func.coalesce(func.sum(case((Node.name == name, 1), else_=0)), 0),
            ).where(Node.parent_id == parent.id)
        ).one()
        if taken:
            raise Conflict(f"{parent.path} already holds an item named {name!r}")
        child.parent_id = parent.id
        child.name = name
        child.path = child_path(parent.path, name)
        child.path_hash = hash_path(child.path)
        child.depth = parent.depth + 1
        child.position = 0 if last is None else last + 1
        child.__parent__ = parent
        self.dbsession.add(child)
        self._flush_or_conflict(parent, name)
        inherit_viewers(self.dbsession, child, parent)
        return child

    def rename(self, node: Node, new_name: str) -> Node:
        """Give ``node`` a new name; its whole subtree follows in set-based updates."""
        parent = self._parent_of(node)
        return self.move(node, parent, new_name)

    def move(self, node: Node, new_parent: Node, new_name: str | None = None) -> Node:
        """Move ``node`` (and its subtree) under ``new_parent``, optionally renaming it.

        Two UPDATE statements, whatever the size of the subtree: one for the
        node, one for every descendant's path, hash and depth.
        """
        name = node.name if new_name is None else new_name
        if node.parent_id is None:
            raise Conflict("the root cannot be moved or renamed")
        if not new_parent.is_container:
            raise Conflict(f"{new_parent.path} is not a folder and cannot hold items")
        if new_parent.path == node.path or new_parent.path.startswith(child_path(node.path, "")):
            raise Conflict("a folder cannot be moved into itself or its own subtree")
        if new_parent.id == node.parent_id and name == node.name:
            return node
        check_name(name, in_root=new_parent.parent_id is None)
        self._ensure_free(new_parent, name)

        old_path, new_path = node.path, child_path(new_parent.path, name)
        depth_change = new_parent.depth + 1 - node.depth
        low, high = descendants_range(old_path)
        moved_path = literal(new_path) + func.substr(Node.path, len(old_path) + 1)
        # Pending changes below the node must reach the database before the
        # set-based UPDATE rewrites their paths.
        self.dbsession.flush()
        self.dbsession.execute(
            update(Node)
            .where(Node.path > low, Node.path < high)
            # The hash is assigned before the path: MySQL evaluates SET clauses
            # left to right and lets later ones see earlier results.
            .ordered_values(
                (Node.path_hash, sha256_hex(moved_path)),
                (Node.path, moved_path),
                (Node.depth, Node.depth + depth_change),
            )
            .execution_options(synchronize_session=False)
        )
        if new_parent.id != node.parent_id:
            node.position = self._next_position(new_parent)
        node.parent_id = new_parent.id
        node.name = name
        node.path = new_path
        node.path_hash = hash_path(new_path)
        node.depth = new_parent.depth + 1
        node.version += 1
        node.modified = utcnow()
        node.__parent__ = new_parent
        self._flush_or_conflict(new_parent, name)
        # Who may view the subtree depends on its new ancestors' grants.
        refresh_subtree(self.dbsession, node)
        # Descendants already in the session were changed behind its back.
        # (Read from __dict__: touching an expired attribute would load it.)
        for loaded in list(self.dbsession.identity_map.values()):
            loaded_path = loaded.__dict__.get("path") if isinstance(loaded, Node) else None
            if loaded_path is not None and loaded is not node and loaded_path.startswith(low):
                self.dbsession.expire(loaded, ["path", "path_hash", "depth"])
        return node

    def subtree(self, top: Node) -> list[Node]:
        """``top`` and every node below it, parents before children, in sibling order.

        One query, each node loaded with its type's columns and its local roles.
        """
        low, high = descendants_range(top.path)
        every_type = with_polymorphic(Node, "*")
        below = (
            self.dbsession.scalars(
                select(every_type)
                .options(selectinload(every_type.local_roles))
                .where(every_type.path > low, every_type.path < high)
                .order_by(every_type.depth, every_type.position, every_type.id)
            )
            .unique()
            .all()
        )
        return [top, *below]

    def refresh_viewers(self, top: Node) -> None:
        """Recompute who may view ``top`` and its subtree (after its grants changed)."""
        refresh_subtree(self.dbsession, top)

    def delete_subtree(self, top: Node) -> int:
        """Delete ``top`` and everything below it; returns how many nodes went.

        One DELETE per level, deepest first, so that no row is removed while a
        child still refers to it (MySQL checks that row by row). Rows of the
        type tables, grants and viewers go with their node (ON DELETE CASCADE).
        """
        self.dbsession.flush()
        low, high = descendants_range(top.path)
        in_subtree = or_(Node.id == top.id, and_(Node.path > low, Node.path < high))
        deepest = self.dbsession.scalar(select(func.max(Node.depth)).where(in_subtree))
        removed = 0
        for depth in range(deepest or top.depth, top.depth - 1, -1):
            result = self.dbsession.execute(
                delete(Node)
                .where(in_subtree, Node.depth == depth)
                .execution_options(synchronize_session=False)
            )
            removed += result.rowcount
        for loaded in list(self.dbsession.identity_map.values()):
            loaded_path = loaded.__dict__.get("path") if isinstance(loaded, Node) else None
            if loaded_path is not None and (loaded_path == top.path or loaded_path.startswith(low)):
                self.dbsession.expunge(loaded)
        return removed

    def _parent_of(self, node: Node) -> Node:
        parent = node.__parent__ or (
            self.dbsession.get(Node, node.parent_id) if node.parent_id is not None else None
        )
        if parent is None:
            raise Conflict("the root cannot be moved or renamed")
        return parent

    def _next_position(self, parent: Node) -> int:
        """The position after the last of ``parent``'s children."""
        last = self.dbsession.scalar(
            select(func.max(Node.position)).where(Node.parent_id == parent.id)
        )
        return 0 if last is None else last + 1

    def _ensure_free(self, parent: Node, name: str) -> None:
        taken = self.dbsession.scalar(
            select(Node.id).where(Node.parent_id == parent.id, Node.name == name)
        )
        if taken is not None:
            raise Conflict(f"{parent.path} already holds an item named {name!r}")

    def _flush_or_conflict(self, parent: Node, name: str) -> None:
        # Flushed here so that a concurrent request that took the same name
        # meanwhile surfaces as a clear Conflict, not as an error at commit.
        try:
            self.dbsession.flush()
        except IntegrityError as exc:
            raise Conflict(f"{parent.path} already holds an item named {name!r}") from exc

    def count_visible_descendants(self, node: Node, viewers: frozenset[str] | None) -> int:
        """How many nodes below ``node`` one of ``viewers`` may view (all for None), in one
        query filtered like a listing: what a confirmation may tell the caller."""
        if not node.is_container:
            return 0
        low, high = descendants_range(node.path)
        below = select(func.count()).select_from(Node).where(Node.path > low, Node.path < high)
        return self.dbsession.scalar(_visible_to(below, viewers))

    def check_visible_children(
        self, folder: Node, names: Sequence[str], viewers: frozenset[str] | None
    ) -> None:
        """Refuse (ValidationFailed on ``order``) names of no child of ``folder`` that one of
        ``viewers`` may view: a hidden child's name exactly like a name no child has."""
        query = select(Node.name).where(Node.parent_id == folder.id, Node.name.in_(set(names)))
        visible = set(self.dbsession.scalars(_visible_to(query, viewers)))
        missing = [name for name in names if name not in visible]
        if missing:
            raise ValidationFailed(
                [("order", f"{folder.path} holds no item named {', '.join(missing)}")]
            )
