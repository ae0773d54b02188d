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
    Update,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload, with_polymorphic
from sqlalchemy.orm.attributes import set_committed_value

from charter.db.generation import identity_generation_value
from charter.db.meta import utcnow
from charter.errors import ChangedMeanwhile, Conflict, NotFound, ValidationFailed
from charter.i18n import _
from charter.tree.models import LocalRole, Node, subtype_tables
from charter.tree.names import MAX_DEPTH, MAX_NAME_LENGTH, check_name, suggest_name
from charter.tree.paths import (
    ROOT_PATH,
    child_path,
    descendants_range,
    hash_path,
    lineage_paths,
    sha256_digest,
)
from charter.tree.viewers import inherit_viewers, refresh_subtree
from charter.tree.visibility import Viewer, filter_visible

__all__ = ["ChildrenPage", "Resolution", "TreeService", "Viewer", "filter_visible"]


@dataclass
class Resolution:
    """What a path resolved to: the nodes from the root down, and what was left over."""

    lineage: list[Node]
    remainder: list[str] = field(default_factory=list)
    # The identity generation the same statement read (charter.security.identity_cache).
    identity_generation: int | None = None

    @property
    def context(self) -> Node:
        """The deepest node found."""
        return self.lineage[-1]


@dataclass
class ChildrenPage:
    """One page of a folder's children and the cursor of the next page, if any."""

    items: list[Node]
    next_cursor: str | None


# The ranges of nodes.position (INTEGER) and nodes.id (BIGINT) on every database.
MAX_POSITION = 2**31 - 1
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ChildSlots:
    """What a locked folder's children look like: the last position, and whether a name is used."""

    last_position: int | None
    name_taken: bool


def encode_cursor(node: Node) -> str:
    """An opaque cursor that starts the next page after ``node``."""
    raw = json.dumps([node.position, node.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The (position, id) a cursor stands for; ValidationFailed when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position, node_id = json.loads(raw)
        if (
            isinstance(position, int)
            and isinstance(node_id, int)
            and abs(position) <= MAX_POSITION
            and 0 < node_id <= MAX_ID
        ):
            return position, node_id
    except (binascii.Error, ValueError, TypeError, RecursionError):
        pass
    raise ValidationFailed([("after", _("not a cursor this server handed out"))])


# The index a folder's children are read through (charter.tree.models).
CHILDREN_INDEX = "ix_nodes_parent_id_position_id"
# Columns a folder's children can be sorted by, besides their own order.
SORTABLE_COLUMNS = {"title": Node.title, "type": Node.type, "modified": Node.modified}


@functools.cache
def _lineage_statement(type_count: int, depth: int) -> Select:
    """The one query of :meth:`TreeService.resolve`, built once per set of mapped types and
    lineage length.

    Building a polymorphic select costs as much as the rest of a request;
    ``type_count`` makes a type mapped later (an add-on's) get a new one.
    The path hashes are ``depth`` plain parameters ``h0``...: an expanding
    IN parameter would be spliced into the SQL again on every execution.
    Each row is a node and one of its local roles (None for a node without
    any): two plain entities, which SQLAlchemy loads for about a third less
    than the same join as a ``joinedload`` of the collection; and the identity
    generation, so that a kept identity can be trusted without a query.
    """
    every_type = with_polymorphic(Node, "*", selectable=subtype_tables())
    hashes = [bindparam(f"h{index}") for index in range(depth)]
    return (
        select(every_type, LocalRole, identity_generation_value())
        .outerjoin(LocalRole, LocalRole.node_id == every_type.id)
        .where(every_type.path_hash.in_(hashes))
        .order_by(LocalRole.id)
    )


def _children_of(folder: Node) -> Select:
    """The children of ``folder``, read through the (parent, position, id) index.

    On MySQL/MariaDB the hint spares the optimizer a look into the (parent, name) index to
    estimate the rows, which on a tree larger than the buffer pool is one more page read.
    """
    query = select(Node).where(Node.parent_id == folder.id)
    for dialect in ("mysql", "mariadb"):
        query = query.with_hint(Node, f"USE INDEX ({CHILDREN_INDEX})", dialect)
    return query


@functools.cache
def _claim_statement(in_place: bool) -> Update:
    """The compare-and-set of :meth:`TreeService.claim`, built once on the table: composing the
    ORM-enabled UPDATE cost more than sending it."""
    nodes = Node.__table__
    conditions = [
        nodes.c.id == bindparam("claimed_id"),
        nodes.c.version == bindparam("expected_version"),
    ]
    if in_place:
        conditions.append(nodes.c.path_hash == bindparam("path_hash_then"))
    return (
        update(nodes)
        .where(*conditions)
        .values(
            version=bindparam("next_version"),
            modified=bindparam("now"),
            modified_by_id=bindparam("by"),
        )
    )


def _give_grants(grants: dict[Node, list[LocalRole]]) -> None:
    """Each node's local roles, as the relationship would load them (ordered by id) but without
    a query of its own; a collection this session already changed is left as it is."""
    for node, node_grants in grants.items():
        if "local_roles" not in node.__dict__:
            set_committed_value(node, "local_roles", node_grants)


def not_a_folder(path: str) -> str:
    """The refusal of a node at ``path`` that cannot hold items."""
    return _("${path} is not a folder and cannot hold items", mapping={"path": path})


def taken(folder: str, name: str) -> str:
    """The refusal of a name already used in ``folder``."""
    return _(
        "${path} already holds an item named ${name}", mapping={"path": folder, "name": repr(name)}
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
        # Deeper than any node can be: the rest is left over (and so not found).
        paths = lineage_paths(segments[:MAX_DEPTH])
        statement = _lineage_statement(len(Node.__mapper__.self_and_descendants), len(paths))
        rows = self.dbsession.execute(
            statement, {f"h{index}": hash_path(path) for index, path in enumerate(paths)}
        )
        by_path: dict[str, Node] = {}
        grants: dict[Node, list[LocalRole]] = {}
        generation = None
        for node, grant, row_generation in rows:
            generation = row_generation
            if node.path not in by_path:
                by_path[node.path] = node
                grants[node] = []
            if grant is not None:
                grants[node].append(grant)
        _give_grants(grants)
        lineage: list[Node] = []
        for path in paths:
            node = by_path.get(path)
            if node is None:
                break
            node.__parent__ = lineage[-1] if lineage else None
            lineage.append(node)
        if not lineage:
            raise NotFound(_("the site has no root yet; run charter-init"))
        return Resolution(lineage, list(segments[len(lineage) - 1 :]), generation)

    def load_grants(self, nodes: Sequence[Node]) -> None:
        """Load the local roles of all ``nodes`` in one query (a page of children whose
        permissions are checked one by one would otherwise cost a query each)."""
        missing = [node for node in nodes if "local_roles" not in node.__dict__]
        if not missing:
            return
        grants: dict[Node, list[LocalRole]] = {node: [] for node in missing}
        by_id = {node.id: node for node in missing}
        for grant in self.dbsession.scalars(
            select(LocalRole).where(LocalRole.node_id.in_(list(by_id))).order_by(LocalRole.id)
        ):
            grants[by_id[grant.node_id]].append(grant)
        _give_grants(grants)

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
        viewers: Viewer | None = None,
    ) -> ChildrenPage:
        """Up to ``limit`` children of ``folder`` in order, starting after the cursor ``after``.

        Keyset pagination on (position, id): every page costs one indexed
        range scan, however deep into a large folder it is. With ``viewers``,
        only children one of those principals may view are listed (filtered
        in the same query).
        """
        query = filter_visible(_children_of(folder), viewers)
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
        viewers: Viewer | None = None,
    ) -> list[Node]:
        """Up to ``limit`` children of ``folder`` ordered by ``title``, ``type`` or ``modified``.

        Only the folder's own order (position) has an index to page along
        with keyset cursors; other orders are an ORDER BY ... LIMIT over the
        folder's children: bounded work, for tables people sort by hand.
        """
        key = SORTABLE_COLUMNS[column]
        query = filter_visible(_children_of(folder), viewers)
        order = (key.desc(), Node.id.desc()) if descending else (key, Node.id)
        children = list(self.dbsession.scalars(query.order_by(*order).limit(limit)))
        for child in children:
            child.__parent__ = folder
        return children

    def path_of_uid(self, uid: str, viewers: Viewer | None = None) -> str | None:
        """The path of the node ``uid`` if one of ``viewers`` may view it (None: anyone) and it
        is not in the trash."""
        # Live paths lie in the root's range; trashed ones under "@trash/" sort after it.
        live = Node.path < descendants_range(ROOT_PATH)[1]
        query = select(Node.path).where(Node.uid == uid, live)
        return self.dbsession.scalar(filter_visible(query, viewers))

    def create_root(self, root: Node) -> Node:
        """Make ``root`` (a container) the root of an empty tree."""
        root.name, root.path, root.path_hash, root.depth = "", ROOT_PATH, hash_path(ROOT_PATH), 0
        self.dbsession.add(root)
        return root

    def add(
        self,
        parent: Node,
        child: Node,
        name: str | None = None,
        *,
        title: str = "",
        keep_extension: bool = False,
    ) -> Node:
        """Place the new node ``child`` under ``parent``, last in order.

        As ``name`` when given (Conflict if a sibling has it), else under a
        free name made from ``title`` (``keep_extension``: a file's name keeps
        its extension after the number, ``report-2.pdf``). The folder's row
        is locked first, so concurrent creators in one folder take turns and
        generated names and positions stay unique.
        """
        if not parent.is_container:
            raise Conflict(not_a_folder(parent.path))
        if parent.depth + 1 > MAX_DEPTH:
            raise Conflict(
                _(
                    "${path} is as deep as the tree goes (${levels} levels)",
                    mapping={"path": parent.path, "levels": MAX_DEPTH},
                )
            )
        if name is not None:
            check_name(name, in_root=parent.parent_id is None)
        slots = self.lock(parent, name)
        if name is None:
            name = self._free_name(parent, title, keep_extension)
        elif slots.name_taken:
            raise Conflict(taken(parent.path, name))
        child.parent_id = parent.id
        child.name = name
        child.path = child_path(parent.path, name)
        child.path_hash = hash_path(child.path)
        child.depth = parent.depth + 1
        child.position = 0 if slots.last_position is None else slots.last_position + 1
        child.__parent__ = parent
        self.dbsession.add(child)
        self._flush_or_conflict(parent, name)
        inherit_viewers(self.dbsession, child, parent)
        return child

    def lock(self, folder: Node, name: str | None = None) -> ChildSlots:
        """Lock ``folder``'s row until the transaction ends; say where its next child goes.

        Every change to a folder's children (and to a node's grants) takes
        this lock first, so they happen one after another. A node that was
        moved or deleted since this request loaded it raises ChangedMeanwhile
        (the request is run again on the current tree).
        """
        if folder.id is None:
            self.dbsession.flush()  # a node made in this transaction needs its id
        # Two statements, not one: PostgreSQL evaluates a statement's
        # subqueries in the snapshot it took before waiting for the lock, so
        # the last position must be read by the next statement, after it.
        self.dbsession.execute(select(Node.id).where(Node.id == folder.id).with_for_update())
        child = aliased(Node, name="child")
        last = select(func.max(child.position)).where(child.parent_id == Node.id)
        taken = (
            exists().where(child.parent_id == Node.id, child.name == name)
            if name is not None
            else literal(False)
        )
        row = self.dbsession.execute(
            select(Node.path, last.scalar_subquery(), taken).where(Node.id == folder.id)
        ).one_or_none()
        if row is None or row[0] != folder.path:
            raise ChangedMeanwhile(
                _("${path} was moved or deleted meanwhile", mapping={"path": folder.path})
            )
        return ChildSlots(row[1], bool(row[2]))

    def claim(
        self,
        node: Node,
        expected_version: int,
        user_id: int | None,
        *,
        in_place: bool = False,
    ) -> bool:
        """Move ``node``'s version on from ``expected_version`` in one compare-and-set.

        False, changing nothing, when another transaction changed the node
        (or, ``in_place``, moved it or an ancestor) or deleted it; the row
        stays locked to this transaction otherwise.
        """
        now = utcnow()
        parameters = {
            "claimed_id": node.id,
            "expected_version": expected_version,
            "next_version": expected_version + 1,
            "now": now,
            "by": user_id,
        }
        if in_place:
            parameters["path_hash_then"] = node.path_hash
        result = self.dbsession.execute(_claim_statement(in_place), parameters)
        if result.rowcount != 1:
            return False
        # Already written above: tell the session so it does not write them again.
        set_committed_value(node, "version", expected_version + 1)
        set_committed_value(node, "modified", now)
        set_committed_value(node, "modified_by_id", user_id)
        return True

    def current_version(self, node: Node) -> int | None:
        """The version of ``node`` other transactions committed; None once it is deleted."""
        return self.dbsession.scalar(select(Node.version).where(Node.id == node.id))

    def rename(self, node: Node, new_name: str, user_id: int | None = None) -> Node:
        """Give ``node`` a new name; its whole subtree follows in set-based updates."""
        parent = self._parent_of(node)
        return self.move(node, parent, new_name, user_id)

    def move(
        self,
        node: Node,
        new_parent: Node,
        new_name: str | None = None,
        user_id: int | None = None,
    ) -> Node:
        """Move ``node`` (and its subtree) under ``new_parent``, optionally renaming it.

        The destination is locked and the node claimed at the version and
        place this request loaded (ChangedMeanwhile otherwise, so that two
        moves can never make a cycle); then one UPDATE rewrites every
        descendant's path, hash and depth, whatever the size of the subtree.
        """
        name = node.name if new_name is None else new_name
        if node.parent_id is None:
            raise Conflict(_("the root cannot be moved or renamed"))
        if not new_parent.is_container:
            raise Conflict(not_a_folder(new_parent.path))
        if new_parent.path == node.path or new_parent.path.startswith(child_path(node.path, "")):
            raise Conflict(_("a folder cannot be moved into itself or its own subtree"))
        if new_parent.id == node.parent_id and name == node.name:
            return node
        check_name(name, in_root=new_parent.parent_id is None)
        slots = self.lock(new_parent, name)
        if slots.name_taken:
            raise Conflict(taken(new_parent.path, name))
        old_path, new_path = node.path, child_path(new_parent.path, name)
        depth_change = new_parent.depth + 1 - node.depth
        deepest = self._deepest_in(node) if depth_change > 0 and node.is_container else node.depth
        if deepest + depth_change > MAX_DEPTH:
            raise Conflict(
                _(
                    "${path} would be deeper than the tree goes (${levels} levels)",
                    mapping={"path": new_path, "levels": MAX_DEPTH},
                )
            )
        # Pending changes below the node must reach the database before the
        # set-based UPDATE rewrites their paths.
        self.dbsession.flush()
        if not self.claim(node, node.version, user_id, in_place=True):
            raise ChangedMeanwhile(
                _("${path} was changed, moved or deleted meanwhile", mapping={"path": old_path})
            )
        if node.is_container:
            self.move_descendants(old_path, new_path, depth_change)
        if new_parent.id != node.parent_id:
            node.position = 0 if slots.last_position is None else slots.last_position + 1
        node.parent_id = new_parent.id
        node.name = name
        node.path = new_path
        node.path_hash = hash_path(new_path)
        node.depth = new_parent.depth + 1
        node.__parent__ = new_parent
        self._flush_or_conflict(new_parent, name)
        # Who may view the subtree depends on its new ancestors' grants.
        refresh_subtree(self.dbsession, node)
        return node

    def move_descendants(self, old_path: str, new_path: str, depth_change: int = 0) -> None:
        """Give every node below ``old_path`` its path below ``new_path``: one UPDATE.

        Only called for folders, and never with the top node in the same
        statement: a document's move then scans no range of the path index,
        whose neighbouring entries concurrent writers may hold (MariaDB
        deadlocked on that). ChangedMeanwhile when a child was added below
        while the UPDATE ran, which its snapshot could not see (PostgreSQL).
        """
        low, high = descendants_range(old_path)
        moved_path = literal(new_path) + func.substr(Node.path, len(old_path) + 1)
        self.dbsession.execute(
            update(Node)
            .where(Node.path > low, Node.path < high)
            # The hash is assigned before the path: MySQL evaluates SET clauses
            # left to right and lets later ones see earlier results.
            .ordered_values(
                (Node.path_hash, sha256_digest(moved_path)),
                (Node.path, moved_path),
                (Node.depth, Node.depth + depth_change),
            )
            .execution_options(synchronize_session=False)
        )
        if self.any_below(old_path):
            raise ChangedMeanwhile(
                _("${path} gained items while they were being moved", mapping={"path": old_path})
            )
        # Descendants already in the session were changed behind its back.
        # (Read from __dict__: touching an expired attribute would load it.)
        for loaded in list(self.dbsession.identity_map.values()):
            loaded_path = loaded.__dict__.get("path") if isinstance(loaded, Node) else None
            if loaded_path is not None and loaded_path.startswith(low):
                self.dbsession.expire(loaded, ["path", "path_hash", "depth"])

    def any_below(self, path: str) -> bool:
        """Whether any node's path lies below ``path``."""
        low, high = descendants_range(path)
        return (
            self.dbsession.scalar(
                select(literal(True)).where(Node.path > low, Node.path < high).limit(1)
            )
            is not None
        )

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

        The subtree's rows are locked first, so nothing can be added below
        them meanwhile. Then one DELETE per level, deepest first, so that no
        row is removed while a child still refers to it (MySQL checks that
        row by row). Rows of the type tables, grants and viewers go with
        their node (ON DELETE CASCADE).
        """
        self.dbsession.flush()
        low, high = descendants_range(top.path)
        in_subtree = or_(Node.id == top.id, and_(Node.path > low, Node.path < high))
        self.dbsession.execute(select(Node.id).where(in_subtree).with_for_update())
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
            raise Conflict(_("the root cannot be moved or renamed"))
        return parent

    def _deepest_in(self, node: Node) -> int:
        """The depth of the deepest node in ``node``'s subtree."""
        low, high = descendants_range(node.path)
        deepest = self.dbsession.scalar(
            select(func.max(Node.depth)).where(Node.path > low, Node.path < high)
        )
        return node.depth if deepest is None else deepest

    def _free_name(self, parent: Node, title: str, keep_extension: bool) -> str:
        """A name derived from ``title``, with -2, -3... when siblings already use it.

        Called with the folder locked (lock), so no other creator
        can take the name before this transaction commits.
        """
        base = suggest_name(title)[: MAX_NAME_LENGTH - 6]
        stem, dot, extension = base.rpartition(".") if keep_extension else ("", "", "")
        if not stem:
            stem, dot, extension = base, "", ""
        taken = set(
            self.dbsession.scalars(
                select(Node.name).where(Node.parent_id == parent.id, Node.name.like(f"{stem}%"))
            )
        )
        candidate, number = base, 2
        while candidate in taken:
            candidate = f"{stem}-{number}{dot}{extension}"
            number += 1
        if len(candidate) > MAX_NAME_LENGTH:
            raise ValidationFailed([("name", _("give the item a name"))])
        check_name(candidate, in_root=parent.parent_id is None)
        return candidate

    def _flush_or_conflict(self, parent: Node, name: str) -> None:
        # Flushed here so that a clash the lock did not prevent surfaces as a
        # clear Conflict, not as an error at commit. The message is made
        # before flushing: after a failed flush the session reads nothing.
        message = taken(parent.path, name)
        try:
            self.dbsession.flush()
        except IntegrityError as exc:
            raise Conflict(message) from exc

    def count_visible_descendants(self, node: Node, viewers: Viewer | None) -> int:
        """How many nodes below ``node`` one of ``viewers`` may view (all for None), in one
        query filtered like a listing: what a confirmation may tell the caller."""
        if not node.is_container:
            return 0
        low, high = descendants_range(node.path)
        below = select(func.count()).select_from(Node).where(Node.path > low, Node.path < high)
        return self.dbsession.scalar(filter_visible(below, viewers))

    def check_visible_children(
        self, folder: Node, names: Sequence[str], viewers: Viewer | None
    ) -> None:
        """Refuse (ValidationFailed on ``order``) names of no child of ``folder`` that one of
        ``viewers`` may view: a hidden child's name exactly like a name no child has."""
        query = select(Node.name).where(Node.parent_id == folder.id, Node.name.in_(set(names)))
        visible = set(self.dbsession.scalars(filter_visible(query, viewers)))
        missing = [name for name in names if name not in visible]
        if missing:
            raise ValidationFailed(
                [
                    (
                        "order",
                        _(
                            "${path} holds no item named ${names}",
                            mapping={"path": folder.path, "names": ", ".join(missing)},
                        ),
                    )
                ]
            )
