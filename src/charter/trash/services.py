"""The trash: moving subtrees out of the live tree, listing, restoring and purging them.

Trashing rewrites the paths of a subtree to ``@trash/<entry id>/...``
(charter.trash.paths) in one UPDATE, whatever its size, and detaches its top
from its folder; rows, uids, grants and positions stay. Restoring rewrites
them back under a live folder; purging deletes the rows for good.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, with_polymorphic
from sqlalchemy.orm.attributes import set_committed_value

from charter.audit.service import SYSTEM, Actor, AuditLog, NodeSnapshot
from charter.content.events import ObjectPurged, ObjectRestored, ObjectTrashed
from charter.content.models import File
from charter.content.registry import TypeRegistry
from charter.content.types import core_types
from charter.db.meta import utcnow
from charter.errors import Conflict, Forbidden, NotFound, ValidationFailed
from charter.i18n import _
from charter.security.policy import local_roles
from charter.security.roles import Permission, permissions_of
from charter.trash.listing import TrashQuery, encode_cursor
from charter.trash.models import TrashEntry, TrashEntryPrincipal
from charter.trash.paths import is_live, trash_root
from charter.tree.models import Node
from charter.tree.names import MAX_DEPTH, check_name
from charter.tree.paths import child_path, descendants_range, hash_path
from charter.tree.services import TreeService, taken
from charter.tree.viewers import refresh_subtree

Permits = Callable[[Node, Permission], bool]
Notify = Callable[[object], None]

# The files' own table: joined to nodes for the bytes a subtree holds.
FILES = File.__table__
PARENT_GONE = "parent-gone"
NAME_TAKEN = "name-taken"


class RestoreConflict(Conflict):
    """The entry cannot go back where it was: ``reason`` is PARENT_GONE or NAME_TAKEN.

    A ``target`` folder and/or a new ``name`` in the request resolve it.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class UnderLegalHold(Conflict):
    """A purge of something an Administrator has put under legal hold."""


@dataclass(frozen=True)
class TrashAccess:
    """What the caller may do with the trash.

    ``principals`` None sees every entry (a global role granting delete, or
    the command line); otherwise the caller sees what they deleted
    (``user_id``) and entries whose principals include one of theirs.
    """

    user_id: int | None = None
    principals: frozenset[str] | None = None
    may_change: bool = True
    may_hold: bool = True


EVERYTHING = TrashAccess()


@dataclass(frozen=True)
class TrashPage:
    """One page of trash entries, newest first, and the cursor of the next page, if any."""

    items: list[TrashEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class EmptyOutcome:
    """What emptying the trash did: entries purged (with how many items) and entries held."""

    purged: int
    items: int
    held: list[TrashEntry]


def _allow_everything(node: Node, permission: Permission) -> bool:
    return True


def _notify_nobody(event: object) -> None:
    return None


def _in_subtree(top_id: int, top_path: str):
    """SQL: the node ``top_id`` (at ``top_path``) or one below it."""
    low, high = descendants_range(top_path)
    return or_(Node.id == top_id, and_(Node.path > low, Node.path < high))


def deleting_principals(node: Node) -> set[str]:
    """The principals whose local roles grant delete on ``node`` and on its folder (from the
    lineage traversal loaded): who could delete it, each on their own."""
    parent = node.__parent__
    candidates = set()
    ancestor: Node | None = node
    while ancestor is not None:
        candidates |= {grant.principal for grant in ancestor.local_roles}
        ancestor = ancestor.__parent__
    return {
        principal
        for principal in candidates
        if Permission.DELETE in permissions_of(local_roles(node, frozenset({principal})))
        and (
            parent is None
            or Permission.DELETE in permissions_of(local_roles(parent, frozenset({principal})))
        )
    }


class TrashService:
    """The trash, on behalf of ``actor`` with ``access``; ``permits`` decides on live folders."""

    def __init__(
        self,
        dbsession: Session,
        types: TypeRegistry | None = None,
        actor: Actor = SYSTEM,
        permits: Permits = _allow_everything,
        notify: Notify = _notify_nobody,
        audit: AuditLog | None = None,
        access: TrashAccess = EVERYTHING,
    ) -> None:
        self.dbsession = dbsession
        self.types = types or core_types()
        self.actor = actor
        self.permits = permits
        self.notify = notify
        self.audit = audit or AuditLog(dbsession)
        self.access = access
        self.tree = TreeService(dbsession)

    # -- trashing ---------------------------------------------------------------

    def trash(self, node: Node) -> TrashEntry:
        """Move ``node`` and its subtree to the trash; the caller has checked the permissions
        and claimed ``node`` at its version (charter.content.services.ContentService.delete).

        A bounded number of statements whatever the subtree's size. If
        something was added below the node while its paths were rewritten,
        ChangedMeanwhile (retryable) undoes it all.
        """
        old_path, parent = node.path, node.__parent__
        principals = deleting_principals(node)
        # Pending changes below the node must reach the database before the
        # set-based UPDATE rewrites their paths.
        self.dbsession.flush()
        entry = TrashEntry(
            node_id=node.id,
            uid=node.uid,
            type=node.type_name,
            title=node.title,
            name=node.name,
            original_path=old_path,
            original_parent_id=node.parent_id,
            original_position=node.position,
            deleted_by_id=self.actor.user_id,
            deleted_by_login=self.actor.login,
            deleted_at=utcnow(),
            item_count=0,
            file_bytes=0,
        )
        self.dbsession.add(entry)
        self.dbsession.flush()  # the entry's id names the subtree's new paths
        new_path = trash_root(entry.id)
        self._rebase(node, new_path)
        entry.item_count, entry.file_bytes = self.dbsession.execute(
            select(func.count(Node.id), func.coalesce(func.sum(FILES.c.size), 0))
            .select_from(Node)
            .outerjoin(FILES, FILES.c.id == Node.id)
            .where(_in_subtree(node.id, new_path))
        ).one()
        node.parent_id = None
        node.__parent__ = None
        self.dbsession.add_all(
            TrashEntryPrincipal(entry_id=entry.id, principal=principal)
            for principal in sorted(principals)
        )
        self.dbsession.flush()
        self.audit.record(
            "content.trashed",
            self.actor,
            node=NodeSnapshot(entry.uid, old_path, entry.title),
            uid=entry.uid,
            entry=entry.id,
            count=entry.item_count,
        )
        self.notify(ObjectTrashed(node, entry.id, old_path, parent))
        return entry

    # -- reading ----------------------------------------------------------------

    def page(self, query: TrashQuery) -> TrashPage:
        """The entries the caller may see that match ``query``, newest first, one keyset page
        (one query, filtered in SQL)."""
        statement = self._visible(select(TrashEntry))
        if query.type is not None:
            statement = statement.where(TrashEntry.type == query.type)
        if query.deleted_by is not None:
            statement = statement.where(TrashEntry.deleted_by_login == query.deleted_by)
        if query.since is not None:
            statement = statement.where(TrashEntry.deleted_at >= query.since)
        if query.until is not None:
            statement = statement.where(TrashEntry.deleted_at <= query.until)
        if query.path is not None and query.path != "/":
            low, high = descendants_range(query.path)
            statement = statement.where(
                or_(
                    TrashEntry.original_path == query.path,
                    and_(TrashEntry.original_path > low, TrashEntry.original_path < high),
                )
            )
        if query.after is not None:
            deleted_at, entry_id = query.after
            # Written so every database reads it as one index range seek.
            statement = statement.where(
                TrashEntry.deleted_at <= deleted_at,
                or_(TrashEntry.deleted_at < deleted_at, TrashEntry.id < entry_id),
            )
        rows = list(
            self.dbsession.scalars(
                statement.order_by(TrashEntry.deleted_at.desc(), TrashEntry.id.desc()).limit(
                    query.limit + 1
                )
            )
        )
        if len(rows) > query.limit:
            last = rows[query.limit - 1]
            return TrashPage(rows[: query.limit], encode_cursor(last.deleted_at, last.id))
        return TrashPage(rows, None)

    def get(self, entry_id: int) -> TrashEntry:
        """The entry ``entry_id`` if the caller may see it; NotFound otherwise (alike)."""
        entry = self.dbsession.scalar(
            self._visible(select(TrashEntry)).where(TrashEntry.id == entry_id)
        )
        if entry is None:
            raise self._not_found(entry_id)
        return entry

    def held_items(self, entry: TrashEntry) -> int:
        """How many nodes of the entry's subtree are under legal hold themselves."""
        return self.dbsession.scalar(
            select(func.count())
            .select_from(Node)
            .where(_in_subtree(entry.node_id, trash_root(entry.id)), Node.legal_hold.is_(True))
        )

    def original_folder(self, entry: TrashEntry) -> Node | None:
        """The live folder the entry was deleted from; None once it is trashed or purged."""
        if entry.original_parent_id is None:
            return None
        path = self.dbsession.scalar(select(Node.path).where(Node.id == entry.original_parent_id))
        if path is None or not is_live(path):
            return None
        resolution = self.tree.resolve([segment for segment in path.split("/") if segment])
        return None if resolution.remainder else resolution.context

    # -- restoring --------------------------------------------------------------

    def restore(self, entry_id: int, target: str | None = None, name: str | None = None) -> Node:
        """Bring the entry's subtree back, with its uids, versions, grants and order.

        Into ``target`` (a folder's path) when given, else the folder it was
        deleted from, at its old position; under ``name`` when given, else its
        own. RestoreConflict says when the original folder is gone or the name
        is taken; Forbidden without ``add`` on the folder.
        """
        self._require_change()
        entry = self._locked(entry_id)
        top = self._top(entry)
        folder = self._target_folder(entry, target)
        name = entry.name if name is None else name.strip()
        check_name(name, in_root=folder.parent_id is None)
        if not self.permits(folder, Permission.ADD):
            raise Forbidden(_("you may not add items to ${path}", mapping={"path": folder.path}))
        self.types.check_placement(folder, self.types.of(top))
        slots = self.tree.lock(folder, name)
        if slots.name_taken:
            raise RestoreConflict(
                _(
                    "${path} already holds an item named ${name}: restore it under another "
                    "name, or into another folder",
                    mapping={"path": folder.path, "name": repr(name)},
                ),
                NAME_TAKEN,
            )
        old_root = trash_root(entry.id)
        depth_change = folder.depth + 1 - top.depth
        if depth_change > 0:
            deepest = self.dbsession.scalar(
                select(func.max(Node.depth)).where(_in_subtree(top.id, old_root))
            )
            if deepest + depth_change > MAX_DEPTH:
                raise Conflict(
                    _(
                        "${path} would be deeper than the tree goes (${levels} levels)",
                        mapping={"path": child_path(folder.path, name), "levels": MAX_DEPTH},
                    )
                )
        new_path = child_path(folder.path, name)
        self._rebase(top, new_path, depth_change)
        back_home = folder.id == entry.original_parent_id
        if back_home:
            top.position = entry.original_position
        else:
            top.position = 0 if slots.last_position is None else slots.last_position + 1
        top.parent_id = folder.id
        top.name = name
        top.__parent__ = folder
        message = taken(folder.path, name)
        try:
            self.dbsession.flush()
        except IntegrityError as exc:
            raise RestoreConflict(message, NAME_TAKEN) from exc
        # Who may view the subtree depends on its new ancestors' grants.
        refresh_subtree(self.dbsession, top)
        self._forget(entry)
        self.audit.record(
            "content.restored",
            self.actor,
            node=top,
            uid=top.uid,
            entry=entry_id,
            original_path=entry.original_path,
        )
        self.notify(ObjectRestored(top, entry.original_path, folder))
        return top

    # -- purging ----------------------------------------------------------------

    def purge(self, entry_id: int) -> int:
        """Delete the entry's subtree for good; how many nodes went.

        Refused (UnderLegalHold) while the entry or any node of its subtree
        is under legal hold. The nodes' revisions, grants and type rows go
        with them; their files' blobs are then garbage for ``charter-blobs gc``.
        """
        self._require_change()
        entry = self._locked(entry_id)
        self._refuse_held(entry)
        return self._purge(entry)

    def empty(self) -> EmptyOutcome:
        """Purge every entry the caller may see, except those under legal hold (listed)."""
        self._require_change()
        entry_ids = list(
            self.dbsession.scalars(self._visible(select(TrashEntry.id)).order_by(TrashEntry.id))
        )
        purged = items = 0
        held: list[TrashEntry] = []
        for entry_id in entry_ids:
            entry = self._locked(entry_id, missing_ok=True)
            if entry is None:
                continue  # purged or restored meanwhile
            if self._hold_of(entry) is not None:
                held.append(entry)
                continue
            items += self._purge(entry)
            purged += 1
        return EmptyOutcome(purged, items, held)

    def expired(self, older_than: dt.timedelta) -> list[TrashEntry]:
        """Entries deleted more than ``older_than`` ago, oldest first (for retention)."""
        cutoff = utcnow() - older_than
        return list(
            self.dbsession.scalars(
                self._visible(select(TrashEntry))
                .where(TrashEntry.deleted_at < cutoff)
                .order_by(TrashEntry.deleted_at, TrashEntry.id)
            )
        )

    def lock(self, entry_id: int) -> TrashEntry | None:
        """The entry, its row locked until the transaction ends; None once it is gone (restored
        or purged meanwhile) or hidden from the caller."""
        return self._locked(entry_id, missing_ok=True)

    def hold_of(self, entry: TrashEntry) -> str | None:
        """Why ``entry`` may not be purged (a legal hold on it or inside it; translatable), or
        None."""
        return self._hold_of(entry)

    # -- legal holds ------------------------------------------------------------

    def set_entry_hold(self, entry_id: int, on: bool) -> TrashEntry:
        """Put the entry under legal hold (no purge of it) or lift it; Administrators only.

        Lifting also lifts the holds of the nodes inside it, which no longer
        have a page of their own to lift them from (one UPDATE).
        """
        self._require_hold()
        entry = self._locked(entry_id)
        lifted = 0
        if not on:
            lifted = self.dbsession.execute(
                update(Node)
                .where(_in_subtree(entry.node_id, trash_root(entry.id)), Node.legal_hold.is_(True))
                .values(legal_hold=False)
                .execution_options(synchronize_session=False)
            ).rowcount
        if entry.legal_hold != on or lifted:
            entry.legal_hold = on
            self.dbsession.flush()
            self.audit.record(
                "trash.legal_hold",
                self.actor,
                node=NodeSnapshot(entry.uid, entry.original_path, entry.title),
                uid=entry.uid,
                entry=entry.id,
                on=on,
                items_lifted=lifted,
            )
        return entry

    def set_node_hold(self, node: Node, on: bool) -> Node:
        """Put a live node under legal hold (no purge of it, whatever trashes it) or lift it."""
        if not self.access.may_hold or not self.permits(node, Permission.MANAGE):
            raise Forbidden(_("only site Administrators may set or lift a legal hold"))
        if node.legal_hold != on:
            # Under the node's row lock, so two Administrators take turns.
            self.tree.lock(node)
            node.legal_hold = on
            self.dbsession.flush()
            self.audit.record("content.legal_hold", self.actor, node=node, uid=node.uid, on=on)
        return node

    # -- helpers ----------------------------------------------------------------

    def _visible(self, statement):
        """``statement`` over trash entries, keeping those the caller may see."""
        principals = self.access.principals
        if principals is None:
            return statement
        shared = exists().where(
            TrashEntryPrincipal.entry_id == TrashEntry.id,
            TrashEntryPrincipal.principal.in_(sorted(principals)),
        )
        if self.access.user_id is None:
            return statement.where(shared)
        return statement.where(or_(TrashEntry.deleted_by_id == self.access.user_id, shared))

    def _locked(self, entry_id: int, missing_ok: bool = False) -> TrashEntry | None:
        """The entry, its row locked until the transaction ends, so restores and purges of
        one entry take turns (the later ones find it gone)."""
        entry = self.dbsession.scalar(
            self._visible(select(TrashEntry))
            .where(TrashEntry.id == entry_id)
            .with_for_update(of=TrashEntry)
            .execution_options(populate_existing=True)
        )
        if entry is None and not missing_ok:
            raise self._not_found(entry_id)
        return entry

    def _top(self, entry: TrashEntry) -> Node:
        every_type = with_polymorphic(Node, "*")
        return self.dbsession.scalars(
            select(every_type).where(every_type.id == entry.node_id)
        ).one()

    def _target_folder(self, entry: TrashEntry, target: str | None) -> Node:
        """The folder to restore into, with its lineage (what the permission check needs)."""
        if target is not None:
            segments = [segment for segment in target.strip().split("/") if segment]
            if not target.strip().startswith("/"):
                raise ValidationFailed(
                    [("target", _("give the path of a folder, such as /projects"))]
                )
            resolution = self.tree.resolve(segments)
            folder = resolution.context
            if resolution.remainder or not self.permits(folder, Permission.VIEW):
                raise ValidationFailed(
                    [
                        (
                            "target",
                            _(
                                "no folder you may view has the path ${path}",
                                mapping={"path": repr(target.strip())},
                            ),
                        )
                    ]
                )
            if not folder.is_container:
                raise ValidationFailed(
                    [("target", _("${path} is not a folder", mapping={"path": folder.path}))]
                )
            return folder
        folder = self.original_folder(entry)
        if folder is None or not self.permits(folder, Permission.VIEW):
            where = entry.original_path.rsplit("/", 1)[0] or "/"
            raise RestoreConflict(
                _(
                    "the folder it was deleted from (${path}) is gone: it was deleted too. "
                    "Choose a folder to restore it into (target)",
                    mapping={"path": where},
                ),
                PARENT_GONE,
            )
        return folder

    def _rebase(self, top: Node, new_path: str, depth_change: int = 0) -> None:
        """Rewrite the path, hash and depth of ``top`` and every node below it.

        Two statements for a folder (its own row, then its descendants'),
        one for anything else, whatever the subtree's size; ChangedMeanwhile
        when something was added below while they ran.
        """
        old_path = top.path
        self.dbsession.execute(
            update(Node)
            .where(Node.id == top.id)
            .values(path=new_path, path_hash=hash_path(new_path), depth=Node.depth + depth_change)
            .execution_options(synchronize_session=False)
        )
        if top.is_container:
            self.tree.move_descendants(old_path, new_path, depth_change)
        # Already written above: tell the session.
        set_committed_value(top, "path", new_path)
        set_committed_value(top, "path_hash", hash_path(new_path))
        set_committed_value(top, "depth", top.depth + depth_change)

    def _hold_of(self, entry: TrashEntry) -> str | None:
        whole = _(
            "“${title}” (${path}) is under legal hold",
            mapping={"title": entry.title, "path": entry.original_path},
        )
        if entry.legal_hold:
            return whole
        held = self.dbsession.scalar(
            select(Node.path)
            .where(_in_subtree(entry.node_id, trash_root(entry.id)), Node.legal_hold.is_(True))
            .order_by(Node.path)
            .limit(1)
        )
        if held is None:
            return None
        if held == trash_root(entry.id):
            return whole
        original = entry.original_path + held[len(trash_root(entry.id)) :]
        return _(
            "${path}, inside “${title}”, is under legal hold",
            mapping={"path": original, "title": entry.title},
        )

    def _refuse_held(self, entry: TrashEntry) -> None:
        hold = self._hold_of(entry)
        if hold is not None:
            raise UnderLegalHold(
                _(
                    "${hold}: it cannot be purged until a site Administrator lifts the hold",
                    mapping={"hold": hold},
                )
            )

    def _purge(self, entry: TrashEntry) -> int:
        top = self._top(entry)
        entry_id, uid, path, type_name = entry.id, entry.uid, entry.original_path, entry.type
        snapshot = NodeSnapshot(uid, path, entry.title)
        # The entry goes with its top node (ON DELETE CASCADE).
        self._forget(entry, delete_row=False)
        count = self.tree.delete_subtree(top)
        self.audit.record(
            "content.purged", self.actor, node=snapshot, uid=uid, entry=entry_id, count=count
        )
        self.notify(ObjectPurged(uid, path, type_name, count, session=self.dbsession))
        return count

    def _forget(self, entry: TrashEntry, delete_row: bool = True) -> None:
        """Delete the entry's row (its principals go with it) and drop it from the session."""
        entry_id = entry.id
        self.dbsession.expunge(entry)
        if delete_row:
            self.dbsession.execute(
                delete(TrashEntry)
                .where(TrashEntry.id == entry_id)
                .execution_options(synchronize_session=False)
            )

    def _require_change(self) -> None:
        if not self.access.may_change:
            raise Forbidden(_("you may not change the trash (a read-only token may only read it)"))

    def _require_hold(self) -> None:
        if not self.access.may_hold:
            raise Forbidden(_("only site Administrators may set or lift a legal hold"))

    @staticmethod
    def _not_found(entry_id: int) -> NotFound:
        return NotFound(
            _("the trash holds no entry ${id} that you may see", mapping={"id": entry_id})
        )
