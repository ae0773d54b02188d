"""Editing content: the one service every interface (web, API, CLI, add-ons) goes through.

Each operation checks the caller's permission, validates through the type's
schema, keeps the node's ``version`` honest (a stale version is refused,
never overwritten), records an audit entry and fires an event.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Update, bindparam, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from transaction.interfaces import ITransactionManager

from charter.accounts.models import User
from charter.audit.service import SYSTEM, Actor, AuditLog
from charter.blobs.sniffing import sniff
from charter.blobs.store import (
    BlobInfo,
    BlobTooLarge,
    FilesystemBlobStore,
    Readable,
)
from charter.content.events import (
    ObjectAdded,
    ObjectModified,
    ObjectMoved,
    RevisionCreated,
)
from charter.content.models import File, Folder
from charter.content.registry import TypeRegistry
from charter.content.schemas import MAX_TITLE_LENGTH
from charter.content.types import core_types
from charter.db.meta import utcnow
from charter.errors import (
    ChangedMeanwhile,
    Conflict,
    Forbidden,
    PreconditionFailed,
    TooLarge,
    ValidationFailed,
)
from charter.history.redirects import RedirectService
from charter.history.revisions import (
    MAX_COMMENT_LENGTH,
    FileBlob,
    RevisionService,
    check_comment,
)
from charter.i18n import Size, _
from charter.input.text import is_blank
from charter.security.roles import Permission
from charter.trash.models import TrashEntry
from charter.trash.services import TrashService
from charter.tree.models import LocalRole, Node
from charter.tree.names import name_problem
from charter.tree.services import TreeService

Permits = Callable[[Node, Permission], bool]
Notify = Callable[[object], None]
MAX_FILENAME_LENGTH = 255
_NODES = Node.__table__
# What every claim of an edit writes, besides the changed columns.
_CLAIMED = ("version", "modified", "modified_by_id")


@dataclass(frozen=True)
class Uploads:
    """Where uploaded bytes go: the blob store, the transaction they join, the size limit."""

    store: FilesystemBlobStore
    transaction_manager: ITransactionManager
    max_size: int


@functools.cache
def _claim_statement(columns: tuple[str, ...]) -> Update:
    """The compare-and-set of :meth:`ContentService._claim` setting the version and ``columns``
    of ``nodes``, built once per set of columns: composing an UPDATE cost more than sending it."""
    return (
        update(_NODES)
        .where(
            _NODES.c.id == bindparam("claimed_id"),
            _NODES.c.version == bindparam("expected_version"),
        )
        .values(
            {
                name: bindparam(f"new_{name}", type_=_NODES.c[name].type)
                for name in (*_CLAIMED, *columns)
            }
        )
    )


def _allow_everything(node: Node, permission: Permission) -> bool:
    return True


def _notify_nobody(event: object) -> None:
    return None


def copy_title(title: str) -> str:
    """The title of a copy placed beside its original: "Copy of Report" (within the length a
    title may have)."""
    return f"Copy of {title}"[:MAX_TITLE_LENGTH]


class ContentService:
    """Creates and edits nodes of any registered type on behalf of ``actor``.

    ``permits`` answers whether the actor holds a permission on a node (the
    request's security policy in the web and API; everything for the CLI and
    tests); ``notify`` sends events (the Pyramid registry's ``notify``).
    """

    def __init__(
        self,
        dbsession: Session,
        types: TypeRegistry | None = None,
        actor: Actor = SYSTEM,
        permits: Permits = _allow_everything,
        notify: Notify = _notify_nobody,
        audit: AuditLog | None = None,
        uploads: Uploads | None = None,
    ) -> None:
        self.dbsession = dbsession
        self.types = types or core_types()
        self.actor = actor
        self.permits = permits
        self.notify = notify
        self.audit = audit or AuditLog(dbsession)
        self.uploads = uploads
        self.tree = TreeService(dbsession)
        self.trash = TrashService(dbsession, self.types, actor, permits, notify, self.audit)
        self.revisions = RevisionService(dbsession, self.types)
        self.redirects = RedirectService(dbsession)

    def create_root(self, title: str, by: User | None = None) -> Folder:
        """Create the root folder of an empty site."""
        fields = self.types.get("Folder").validate({"title": title})
        root = Folder(**fields)
        self._stamp_created(root, by.id if by else self.actor.user_id)
        root.workflow_state = self.types.workflows.root_state(root.type_name)
        self.tree.create_root(root)
        self._first_revision(root, self.actor if by is None else Actor(by.id, by.login))
        return root

    def create(
        self,
        parent: Node,
        type_name: str,
        fields: dict[str, Any],
        name: str | None = None,
        comment: str = "",
    ) -> Node:
        """Add a node of ``type_name`` inside ``parent``, named from its title unless given.

        Refused when the caller may not add there (Forbidden), the type may
        not live there (Conflict), or the fields, name or revision comment
        are invalid (ValidationFailed naming the field).
        """
        return self._create(parent, type_name, fields, name, self.actor, comment)

    def _create(
        self,
        parent: Node,
        type_name: str,
        fields: dict[str, Any],
        name: str | None,
        actor: Actor,
        comment: str = "",
    ) -> Node:
        self._require(parent, Permission.ADD)
        content_type = self.types.get(type_name)
        if content_type.upload:
            raise ValidationFailed(
                [
                    (
                        "@type",
                        _(
                            "a ${type} is made by uploading it",
                            mapping={"type": _(content_type.title)},
                        ),
                    )
                ]
            )
        self.types.check_placement(parent, content_type)
        values = content_type.validate(fields)
        comment = check_comment(comment)
        node = content_type.model()
        node.apply_fields(values)
        self._stamp_created(node, actor.user_id)
        self.tree.add(parent, node, name, title=values.get("title", ""))
        self.audit.record("content.added", actor, node=node, uid=node.uid, type=type_name)
        self.notify(ObjectAdded(node, parent))
        self._first_revision(node, actor, comment)
        return node

    def upload(
        self,
        parent: Node,
        stream: Readable,
        filename: str,
        name: str | None = None,
        title: str | None = None,
        description: str = "",
        comment: str = "",
    ) -> File:
        """Add a File inside ``parent`` from the bytes ``stream`` gives (read in chunks).

        The bytes go to the blob store within this transaction; their MIME
        type is sniffed from the bytes, never taken from the client. More
        than the configured limit is refused (TooLarge) and keeps nothing.
        A ``title`` that is only white space is left out: the file's name is its title.
        """
        uploads = self._uploads()
        self._require(parent, Permission.ADD)
        file_type = self.types.get("File")
        self.types.check_placement(parent, file_type)
        filename = _clean_filename(filename)
        if title is None or is_blank(title):
            title = filename
        values = file_type.validate({"title": title, "description": description})
        comment = check_comment(comment)
        blob = self._write_blob(uploads, stream)
        node = File(
            blob_sha256=blob.sha256,
            size=blob.size,
            mime_type=sniff(blob.head, filename),
            filename=filename,
        )
        node.apply_fields(values)
        self._stamp_created(node, self.actor.user_id)
        self.tree.add(parent, node, name, title=filename, keep_extension=True)
        self.audit.record(
            "content.added", self.actor, node=node, uid=node.uid, type="File", size=blob.size
        )
        self.notify(ObjectAdded(node, parent))
        self._first_revision(node, self.actor, comment)
        return node

    def update(
        self, node: Node, fields: dict[str, Any], expected_version: int, comment: str = ""
    ) -> Node:
        """Change the given fields of ``node``; the others keep their values.

        ``expected_version`` is the version the caller edited; if the node has
        moved on since, nothing changes and PreconditionFailed carries the
        current version. A change is recorded as a revision with ``comment``.
        """
        return self._change(node, fields, expected_version, check_comment(comment))

    def replace(
        self,
        node: Node,
        stream: Readable,
        filename: str | None,
        expected_version: int,
        comment: str = "",
    ) -> Node:
        """Give the file ``node`` new bytes from ``stream``, recorded as a revision.

        Written like an upload's (sniffed, limited, in this transaction);
        ``filename`` (what a download is called) stays as it was when None.
        The old bytes stay downloadable from the file's history.
        """
        uploads = self._uploads()
        self._require(node, Permission.EDIT)
        if not self.types.of(node).upload:
            raise Conflict(
                _(
                    "${path} is not a file: only a file's bytes can be replaced",
                    mapping={"path": node.path},
                )
            )
        filename = node.filename if filename is None else _clean_filename(filename)
        comment = check_comment(comment)
        if node.version != expected_version:
            raise self._stale(node, node.version)
        blob = self._write_blob(uploads, stream)
        new = FileBlob(blob.sha256, blob.size, sniff(blob.head, filename), filename)
        return self._change(node, {}, expected_version, comment, new)

    def restore(self, node: Node, number: int, expected_version: int, comment: str = "") -> Node:
        """Make revision ``number``'s content (a file's bytes too) current again.

        History is never rewritten: the restored content becomes the next
        revision. NotFound for a number the node has no revision of;
        Conflict when that revision no longer passes the type's schema or
        its bytes are no longer stored.
        """
        self._require(node, Permission.EDIT)
        comment = check_comment(comment) or f"Restored version {number}"
        fields, blob = self.revisions.restorable(node, number)
        if blob is not None and not self._uploads().store.exists(blob.sha256):
            raise Conflict(
                _(
                    "the bytes of version ${number} of ${path} are no longer stored",
                    mapping={"number": number, "path": node.path},
                )
            )
        try:
            return self._change(
                node, fields, expected_version, comment, blob, "content.restored", restored=number
            )
        except ValidationFailed as failure:
            raise Conflict(
                _(
                    "version ${number} of ${path} cannot be restored: ${reason}",
                    mapping={"number": number, "path": node.path, "reason": failure.detail},
                )
            ) from None

    def _change(
        self,
        node: Node,
        fields: dict[str, Any],
        expected_version: int,
        comment: str,
        blob: FileBlob | None = None,
        action: str = "content.modified",
        **details: Any,
    ) -> Node:
        """Apply ``fields`` (and a file's ``blob``) if they change anything, as one revision."""
        self._require(node, Permission.EDIT)
        content_type = self.types.of(node)
        current = {name: getattr(node, name) for name in content_type.schema.model_fields}
        values = content_type.validate({**current, **fields})
        changes = {name: values[name] for name in fields if values[name] != current[name]}
        if blob is not None:
            changes.update(
                (column, value)
                for column, value in blob.columns().items()
                if getattr(node, column) != value
            )
        if node.version != expected_version:
            raise self._stale(node, node.version)
        if changes:
            before = self.revisions.baseline(node)
            try:
                node.apply_fields(changes)
            except ValidationFailed:
                self._discard_changes(node)
                raise
            if not self._claim(node, expected_version):
                self._discard_changes(node)
                raise self._stale(node, self.tree.current_version(node))
            self.dbsession.flush()
            revision = self.revisions.record(node, self.actor, comment, before)
            self.audit.write(
                action,
                self.actor,
                node=node,
                uid=node.uid,
                fields=sorted(changes),
                revision=revision.number,
                **details,
            )
            self.notify(ObjectModified(node, changes))
            self.notify(RevisionCreated(node, revision))
        return node

    def rename(self, node: Node, new_name: str) -> Node:
        """Give ``node`` a new name (its URL segment); its subtree follows.

        Needs edit on the node, and delete on it and its folder (see ``may_remove``).
        """
        self._require(node, Permission.EDIT)
        self._require_removal(node)
        old_path = node.path
        self.tree.rename(node, new_name, self.actor.user_id)
        self._moved(node, old_path)
        return node

    def move(self, node: Node, destination: Node, new_name: str | None = None) -> Node:
        """Move ``node`` and its subtree into ``destination`` (optionally renaming it).

        Needs delete on the node and its folder (it leaves it) and add on the destination.
        """
        self._require_removal(node)
        self._require(destination, Permission.ADD)
        self.types.check_placement(destination, self.types.of(node))
        old_path = node.path
        self.tree.move(node, destination, new_name, self.actor.user_id)
        self._moved(node, old_path)
        return node

    def copy(self, node: Node, destination: Node, new_name: str | None = None) -> Node:
        """Copy ``node`` and everything below it into ``destination``, with new uids.

        The copies keep their fields, order and local roles; they are new
        items (version 1, created now by the caller) whose history starts
        with their revision 1.
        """
        self._require(node, Permission.VIEW)
        self._require(destination, Permission.ADD)
        self.types.check_placement(destination, self.types.of(node))
        name: str | None = new_name or node.name
        beside = destination.id == node.parent_id and name == node.name
        if beside:
            name = None  # a copy beside its original gets a free name made from the original's
        originals = self.tree.subtree(node)
        copies: dict[int, Node] = {}
        for original in originals:
            duplicate = _duplicate(original)
            self._stamp_created(duplicate, self.actor.user_id)
            parent = destination if original is node else copies[original.parent_id]
            if original is node:
                if beside:
                    # Two items of one title side by side could not be told apart.
                    duplicate.title = copy_title(node.title)
                self.tree.add(parent, duplicate, name, title=node.name)
            else:
                self.tree.add(parent, duplicate, original.name)
            copies[original.id] = duplicate
        top = copies[node.id]
        # The copied grants decide who may view the new subtree.
        self.tree.refresh_viewers(top)
        self.audit.record(
            "content.copied",
            self.actor,
            node=top,
            uid=top.uid,
            source=node.path,
            count=len(copies),
        )
        self.notify(ObjectAdded(top, destination))
        for original in originals:
            self._first_revision(copies[original.id], self.actor, _copied_from(original))
        return top

    def reorder(self, folder: Node, names: list[str]) -> list[Node]:
        """Put the named children of ``folder`` in the given order, in the places they held.

        Children not named keep their places; so a partial order moves only
        the named ones among themselves.
        """
        self._require(folder, Permission.EDIT)
        if len(set(names)) != len(names):
            raise ValidationFailed([("order", _("a child is named more than once"))])
        # Only what could be a name is looked up: the database may not take the rest.
        possible = [name for name in names if name_problem(name) is None]
        children = {
            child.name: child
            for child in self.dbsession.scalars(
                select(Node).where(Node.parent_id == folder.id, Node.name.in_(possible))
            )
        }
        missing = [name for name in names if name not in children]
        if missing:
            shown = ", ".join(m.encode("utf-8", "backslashreplace").decode() for m in missing)
            raise ValidationFailed(
                [
                    (
                        "order",
                        _(
                            "${path} holds no item named ${names}",
                            mapping={"path": folder.path, "names": shown},
                        ),
                    )
                ]
            )
        places = sorted((child.position, child.id) for child in children.values())
        for name, (position, _id) in zip(names, places, strict=True):
            children[name].position = position
        self.dbsession.flush()
        self.audit.record("content.reordered", self.actor, node=folder, order=names)
        return [children[name] for name in names]

    def delete(self, node: Node, expected_version: int | None = None) -> TrashEntry:
        """Move ``node`` and everything below it to the trash; returns the trash entry.

        Needs delete on the node and its folder (see ``may_remove``). The node
        is claimed at its version in one compare-and-set first (its version
        moves on by one), so of concurrent deletes (or a delete and an edit)
        exactly one wins. With ``expected_version``, a node changed meanwhile
        is refused (PreconditionFailed) and nothing is deleted.
        """
        if node.parent_id is None:
            raise Conflict(_("the root cannot be deleted"))
        self._require_removal(node)
        version = node.version if expected_version is None else expected_version
        if node.version != version:
            raise self._stale(node, node.version)
        if not self.tree.claim(node, version, self.actor.user_id, in_place=True):
            if expected_version is None:
                raise ChangedMeanwhile(
                    _(
                        "${path} was changed, moved or deleted meanwhile",
                        mapping={"path": node.path},
                    )
                )
            raise self._stale(node, self.tree.current_version(node))
        entry = self.trash.trash(node)
        self.redirects.vacated(node, entry.original_path)
        return entry

    def may_remove(self, node: Node) -> bool:
        """Whether the caller may take ``node`` out of its folder (delete, rename or move it):
        that needs delete on the node and on the folder, so someone given Editor on a folder
        may delete what is inside it but not the folder itself."""
        parent = self._parent_with_lineage(node)
        return (
            parent is not None
            and self.permits(node, Permission.DELETE)
            and self.permits(parent, Permission.DELETE)
        )

    def _require_removal(self, node: Node) -> None:
        self._require(node, Permission.DELETE)
        parent = self._parent_with_lineage(node)
        if parent is None:
            raise Conflict(_("the root cannot be deleted, renamed or moved"))
        if not self.permits(parent, Permission.DELETE):
            raise Forbidden(
                _(
                    "you may not take ${path} out of ${folder}: "
                    "that needs delete on the folder too",
                    mapping={"path": node.path, "folder": parent.path},
                )
            )

    def _parent_with_lineage(self, node: Node) -> Node | None:
        """``node``'s folder with its ancestors (what a permission check reads): as traversal
        loaded it, else resolved (one query)."""
        if node.parent_id is None:
            return None
        if node.__parent__ is not None:
            return node.__parent__
        parent_path = node.path.rsplit("/", 1)[0]
        resolution = self.tree.resolve([segment for segment in parent_path.split("/") if segment])
        if resolution.remainder:
            return None
        # As traversal would have left it: the trash's snapshot of who could delete it reads it.
        node.__parent__ = resolution.context
        return node.__parent__

    def _moved(self, node: Node, old_path: str) -> None:
        if node.path != old_path:
            self.redirects.moved(node, old_path)
            self.audit.record(
                "content.moved", self.actor, node=node, uid=node.uid, old_path=old_path
            )
            self.notify(ObjectMoved(node, old_path))

    # Convenience for code that builds content directly (sample site, tests).

    def add_folder(
        self, parent: Node, name: str, title: str, description: str = "", by: User | None = None
    ) -> Node:
        """Add a folder called ``name`` inside ``parent``."""
        return self._add_as(
            by, parent, "Folder", {"title": title, "description": description}, name
        )

    def add_document(
        self,
        parent: Node,
        name: str,
        title: str,
        body: str,
        description: str = "",
        by: User | None = None,
    ) -> Node:
        """Add a Markdown document called ``name`` inside ``parent``."""
        fields = {"title": title, "description": description, "body": body}
        return self._add_as(by, parent, "Document", fields, name)

    def _add_as(
        self, by: User | None, parent: Node, type_name: str, fields: dict[str, Any], name: str
    ) -> Node:
        actor = self.actor if by is None else Actor(by.id, by.login)
        return self._create(parent, type_name, fields, name, actor)

    def _first_revision(self, node: Node, actor: Actor, comment: str = "") -> None:
        revision = self.revisions.record_first(node, actor, comment)
        self.notify(RevisionCreated(node, revision))

    def _uploads(self) -> Uploads:
        if self.uploads is None:
            raise RuntimeError("this ContentService was made without a blob store")
        return self.uploads

    def _write_blob(self, uploads: Uploads, stream: Readable) -> BlobInfo:
        """Store ``stream``'s bytes in this transaction; TooLarge past the limit."""
        try:
            return uploads.store.write(
                stream, max_size=uploads.max_size, transaction_manager=uploads.transaction_manager
            )
        except BlobTooLarge:
            raise TooLarge(
                _(
                    "the file is larger than the limit of ${limit}",
                    mapping={"limit": Size(uploads.max_size)},
                ),
                uploads.max_size,
            ) from None

    def _require(self, node: Node, permission: Permission) -> None:
        if not self.permits(node, permission):
            raise Forbidden(
                _(
                    "you may not ${permission} here: ${path}",
                    mapping={"permission": _(permission.value), "path": node.path},
                )
            )

    def _claim(self, node: Node, expected_version: int) -> bool:
        """Move ``node``'s version on from ``expected_version`` in one compare-and-set that also
        writes its changed ``nodes`` columns (the rest are left to the flush).

        False, changing nothing, when another transaction changed or deleted the node
        meanwhile; the row stays locked to this transaction otherwise. One UPDATE of the
        row instead of :meth:`TreeService.claim`'s and then the flush's.
        """
        columns = tuple(
            sorted(
                key
                for key in inspect(node).committed_state
                if key in _NODES.c and key not in _CLAIMED
            )
        )
        values = {
            "version": expected_version + 1,
            "modified": utcnow(),
            "modified_by_id": self.actor.user_id,
            **{name: getattr(node, name) for name in columns},
        }
        parameters = {f"new_{name}": value for name, value in values.items()}
        parameters["claimed_id"] = node.id
        parameters["expected_version"] = expected_version
        # The changes set on the node go in this statement: a flush first would write them apart.
        with self.dbsession.no_autoflush:
            claimed = self.dbsession.execute(_claim_statement(columns), parameters).rowcount == 1
        if not claimed:
            return False
        # Written above: tell the session so that its flush does not write them again.
        for name, value in values.items():
            set_committed_value(node, name, value)
        return True

    def _discard_changes(self, node: Node) -> None:
        """Forget what was set on ``node`` and not written, so that no later flush writes an
        edit that was refused; its attributes are read again from the database if asked for."""
        unwritten = list(inspect(node).committed_state)
        if unwritten:
            self.dbsession.expire(node, unwritten)

    def _stale(self, node: Node, current_version: int | None) -> PreconditionFailed:
        if current_version is None:
            return PreconditionFailed(
                _("${path} was deleted meanwhile", mapping={"path": node.path})
            )
        return PreconditionFailed(
            _(
                "${path} was changed meanwhile: it is at version ${version}",
                mapping={"path": node.path, "version": current_version},
            ),
            current_version=current_version,
        )

    def _stamp_created(self, node: Node, user_id: int | None) -> None:
        node.owner_id = node.created_by_id = node.modified_by_id = user_id
        # A new node (a copy too) starts in its workflow's initial state.
        node.workflow_state = self.types.initial_state(node.type_name)


# Columns a copy gets anew rather than from its original.
_NOT_COPIED = frozenset(
    {
        "id",
        "uid",
        "parent_id",
        "name",
        "path",
        "path_hash",
        "depth",
        "position",
        "owner_id",
        "created",
        "created_by_id",
        "modified",
        "modified_by_id",
        "version",
        "workflow_state",
    }
)


def _copied_from(original: Node) -> str:
    """The comment of a copy's first revision (a deep path shortened to fit)."""
    comment = f"Copied from {original.path}"
    if len(comment) > MAX_COMMENT_LENGTH:
        return comment[: MAX_COMMENT_LENGTH - 1] + "…"
    return comment


def _clean_filename(filename: str) -> str:
    """The last segment of a client's file name, without control characters; refused if empty."""
    cleaned = "".join(c for c in filename.replace("\\", "/").rsplit("/", 1)[-1] if c.isprintable())
    cleaned = cleaned.strip()[:MAX_FILENAME_LENGTH]
    if not cleaned or cleaned in {".", ".."}:
        raise ValidationFailed([("filename", _("the file needs a name"))])
    return cleaned


def _duplicate(original: Node) -> Node:
    """A new, unsaved node of the same type with the same fields and local grants."""
    mapper = inspect(original).mapper
    duplicate = mapper.class_()
    for column in mapper.column_attrs:
        if column.key not in _NOT_COPIED and column.key != mapper.polymorphic_on.key:
            setattr(duplicate, column.key, getattr(original, column.key))
    duplicate.local_roles = [
        LocalRole(principal=grant.principal, role=grant.role) for grant in original.local_roles
    ]
    return duplicate
