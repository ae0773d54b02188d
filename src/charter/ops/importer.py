"""Recreating an exported subtree under a folder (``charter-import``; format: charter.ops.transfer).

Every item is made through the content service, as the API would make it:
the type registry's placement rules and the schemas' limits apply, and the
audit log, revisions, search index and change feed are written as for any
other create. Workflow states are reached through the workflow's own
transitions and local roles are granted through the sharing service. An
export of format version 2 brings each item's history: its revisions (and
the bytes of a file's earlier versions) and its workflow steps replace the
ones the import itself would record, and its created and modified dates,
creator and last editor are kept. People are matched by login: a login this
site lacks stays as text on the revisions and workflow steps it signed (what
the history shows) and leaves the item's owner, creator or editor empty.

The whole import is one transaction: a refusal anywhere (a uid that exists,
a name taken, a checksum that does not match, an invalid field) leaves the
site as it was, blobs included. Uids are checked before anything is written;
a uid another import commits meanwhile is refused by the unique key, and
that is turned into the same one-line refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from charter.accounts.models import Group, User
from charter.audit.service import Actor
from charter.content.registry import ContentType, types_of
from charter.content.services import ContentService, Uploads
from charter.errors import CharterError, NotFound
from charter.history.diff import long_text_fields
from charter.history.models import Revision
from charter.history.revisions import BLOB_KEYS, MAX_COMMENT_LENGTH
from charter.input.text import text_problem
from charter.ops.transfer import (
    SHA256,
    History,
    NodeDocument,
    RevisionEntry,
    TransferError,
    WorkflowStepEntry,
    blob_path,
    history_entries,
    moment,
    node_documents,
    read_manifest,
)
from charter.security.principals import (
    SYSTEM_PRINCIPALS,
    group_principal,
    user_principal,
)
from charter.security.sharing import SharingService
from charter.tree.models import Node, new_uid
from charter.tree.services import TreeService
from charter.workflow.models import WorkflowStep
from charter.workflow.services import WorkflowService

Progress = Callable[[int], None]
# Uids looked up per query when checking them all before the import writes.
UID_BATCH = 500
# How each database names the uid's unique key in a duplicate-key error.
_UID_KEY = re.compile(r"nodes[._]uid\b")


@dataclass
class ImportReport:
    """What an import made, and what it had to leave out (each a line for the administrator)."""

    path: str = ""
    nodes: int = 0
    files: int = 0
    revisions: int = 0
    workflow_steps: int = 0
    skipped: list[str] = field(default_factory=list)


class _ImportingContent(ContentService):
    """The content service, stamping each new node with the uid and owner the export gives,
    and leaving out the first revision of a node whose exported revisions replace it."""

    identity: tuple[str | None, User | None] = (None, None)
    brings_revisions = False

    def _first_revision(self, node: Node, actor: Actor, comment: str = "") -> None:
        if not self.brings_revisions:
            super()._first_revision(node, actor, comment)

    def _stamp_created(self, node: Node, user_id: int | None) -> None:
        super()._stamp_created(node, user_id)
        uid, owner = self.identity
        if uid is not None:
            node.uid = uid
        if owner is not None:
            node.owner_id = owner.id


def import_subtree(
    env: dict[str, Any],
    folder: Path,
    target: str,
    actor: Actor,
    *,
    new_uids: bool = False,
    name: str | None = None,
    progress: Progress = lambda count: None,
) -> ImportReport:
    """Recreate the export in ``folder`` inside the folder at path ``target``, as ``actor``.

    TransferError (nothing written) when anything is refused.
    """
    manifest = read_manifest(folder)
    request = env["request"]
    # The import writes: its session is the writing one (on SQLite its transaction takes
    # the write lock at once, so a second import waits for the first instead of failing).
    request.method = "POST"
    registry = request.registry
    try:
        with request.tm:
            session = request.dbsession
            if not new_uids:
                _check_uids(session, folder)
            types = types_of(registry)
            uploads = Uploads(
                request.blobs, request.tm, registry.settings["charter.blobs.max_upload_size"]
            )
            content = _ImportingContent(
                session,
                types=types,
                actor=actor,
                notify=registry.notify,
                audit=request.audit,
                uploads=uploads,
            )
            importer = _Importer(
                session,
                content,
                WorkflowService(session, types, actor, notify=registry.notify, audit=request.audit),
                SharingService(session, request.audit, registry.notify),
                actor,
                _comment(manifest),
                manifest["version"],
                uploads,
            )
            parent = importer.target(target)
            for document_file, document in node_documents(folder):
                try:
                    importer.add(folder, document_file, document, parent, new_uids, name)
                except CharterError as refused:
                    if isinstance(refused.__cause__, IntegrityError):
                        # The tree reads any unique key refusing a new item as its name
                        # taken: say which key it was.
                        raise TransferError(_conflict(refused.__cause__)) from None
                    # Which item was refused, so the administrator can find it in the export.
                    raise TransferError(f"{document_file}: {refused.detail}") from None
                progress(1)
            if importer.report.nodes != manifest["nodes"]:
                raise TransferError(
                    f"{folder} holds {importer.report.nodes} items, its manifest says "
                    f"{manifest['nodes']}"
                )
    except IntegrityError as error:
        # Another writer committed the same uid or name after the checks above: the unique
        # key refused this transaction, which the manager has rolled back.
        raise TransferError(_conflict(error)) from None
    except DBAPIError as error:
        # A lock not granted in time (another import holding SQLite's write lock, a deadlock),
        # a lost connection, a value the database would not take: rolled back as well, and
        # worth one line, not a traceback.
        lines = str(error.orig).splitlines() or [type(error.orig).__name__]
        raise TransferError(f"the database could not finish the import ({lines[0]})") from None
    return importer.report


def _check_uids(session: Session, folder: Path) -> None:
    """TransferError when one of the export's uids is on this site or twice in the export."""
    seen: set[str] = set()
    batch: list[str] = []
    for _, document in node_documents(folder):
        if document.uid in seen:
            raise TransferError(f"the uid {document.uid} is twice in the export")
        seen.add(document.uid)
        batch.append(document.uid)
        if len(batch) == UID_BATCH:
            _check_uid_batch(session, batch)
            batch = []
    _check_uid_batch(session, batch)


def _check_uid_batch(session: Session, uids: list[str]) -> None:
    if not uids:
        return
    found = session.execute(
        select(Node.uid, Node.path).where(Node.uid.in_(uids)).order_by(Node.id).limit(1)
    ).first()
    if found is not None:
        raise TransferError(
            f"an item with uid {found.uid} already exists here ({found.path}); "
            "import with --new-uids to give the copies new uids"
        )


def _conflict(error: IntegrityError) -> str:
    """The one line that says which unique key another writer took meanwhile."""
    if _UID_KEY.search(str(error.orig)):
        return (
            "an item with one of the export's uids was added here meanwhile (by another "
            "import?); import with --new-uids to give the copies new uids"
        )
    return "an item of the same name was added here meanwhile; run the import again"


def _comment(manifest: dict[str, Any]) -> str:
    """The comment of each imported item's first revision: where it came from."""
    site = manifest.get("site")
    title = site.get("title") if isinstance(site, dict) else None
    comment = f"Imported from {manifest['root']}" + (
        f" of {title}" if isinstance(title, str) else ""
    )
    comment = " ".join(comment.split())
    if text_problem(comment, max_chars=MAX_COMMENT_LENGTH, single_line=True) is not None:
        return "Imported"
    return comment


class _Importer:
    """Makes the nodes of one import, one document at a time, and reports what it skipped."""

    def __init__(
        self,
        session: Session,
        content: _ImportingContent,
        workflow: WorkflowService,
        sharing: SharingService,
        actor: Actor,
        comment: str,
        version: int,
        uploads: Uploads,
    ) -> None:
        self.session = session
        self.version = version
        self.uploads = uploads
        self.content = content
        self.workflow = workflow
        self.sharing = sharing
        self.actor = actor
        self.comment = comment
        self.report = ImportReport()
        # Exported uid of each folder made so far -> its id here.
        self.folders: dict[str, int] = {}
        self.users: dict[str, User | None] = {}
        self.groups: dict[str, bool] = {}
        # Blobs this import has put in the store already (several versions may share bytes).
        self.blobs: set[str] = set()

    def target(self, path: str) -> Node:
        """The folder at ``path``; TransferError when there is none."""
        try:
            found = TreeService(self.session).resolve([s for s in path.split("/") if s])
        except NotFound:
            found = None
        if found is None or found.remainder or not found.context.is_container:
            raise TransferError(f"no folder at {path} to import into")
        return found.context

    def add(
        self,
        folder: Path,
        document_file: str,
        document: NodeDocument,
        top_parent: Node,
        new_uids: bool,
        top_name: str | None,
    ) -> None:
        """Make the node ``document`` describes, with its state, history, dates and local
        roles."""
        is_top = not self.report.nodes
        if is_top != (document.parent is None):
            raise TransferError(f"{folder / document_file}: only the first item has no parent")
        if is_top:
            parent, name = top_parent, top_name or document.name
            if not name:
                raise TransferError("the export holds a whole site: give its folder a --name")
        elif document.parent in self.folders:
            parent = self.session.get(Node, self.folders[document.parent])
            name = document.name
        else:
            raise TransferError(f"{folder / document_file}: its parent is not before it")
        if parent is None:
            raise TransferError(f"{folder / document_file}: its parent is gone")
        uid = new_uid() if new_uids else document.uid
        history = document.history
        self.content.brings_revisions = history is not None and history.revisions > 0
        owner = None if document.owner is None else self._user(document.owner)
        node = self._create(folder, document_file, document, parent, name, uid, owner)
        if document.owner is not None and owner is None:
            self.report.skipped.append(
                f"owner {_shown(document.owner)} of {node.path}: no such account here"
            )
        self.report.nodes += 1
        if is_top:
            self.report.path = node.path
        if node.is_container:
            self.folders[document.uid] = node.id
        self._state(node, document)
        if history is not None:
            self._history(folder, document_file, history, node)
        self._roles(node, document)
        self._stamp(folder / document_file, document, node)

    def _create(
        self,
        folder: Path,
        document_file: str,
        document: NodeDocument,
        parent: Node,
        name: str,
        uid: str,
        owner: User | None,
    ) -> Node:
        content_type = self.content.types.get(document.type)
        self.content.identity = (uid, owner)
        if not content_type.upload:
            fields = {**document.fields, "title": document.title}
            fields["description"] = document.description
            return self.content.create(parent, document.type, fields, name, self.comment)
        if document.file is None:
            raise TransferError(f"{folder / document_file}: a {document.type} needs its file")
        expected = document.file.sha256
        source = blob_path(folder, expected)
        if not source.is_file():
            raise TransferError(f"{source} is missing")
        with source.open("rb") as stream:
            node = self.content.upload(
                parent,
                stream,
                document.file.filename,
                name,
                document.title,
                document.description,
                self.comment,
            )
        if node.blob_sha256 != expected:
            raise TransferError(f"{source} does not match its checksum")
        self.blobs.add(expected)
        self.report.files += 1
        return node

    def _history(self, folder: Path, document_file: str, history: History, node: Node) -> None:
        """Give ``node`` the revisions and workflow steps of its history file: they replace
        the first revision (not recorded) and the steps the import's transitions took."""
        where = f"{folder / document_file}: its history"
        content_type = self.content.types.of(node)
        # The revisions and steps below name the node's id.
        self.session.flush()
        last = 0
        replaced_steps = False
        for entry in history_entries(folder, document_file, history):
            if isinstance(entry, RevisionEntry):
                if entry.number <= last:
                    raise TransferError(f"{where}: revision {entry.number} is not after {last}")
                last = entry.number
                self._revision(folder, where, content_type, node, entry)
                self.report.revisions += 1
                continue
            if not replaced_steps:
                self.session.execute(delete(WorkflowStep).where(WorkflowStep.node_id == node.id))
                replaced_steps = True
            self._step(where, node, entry)
            self.report.workflow_steps += 1

    def _revision(
        self,
        folder: Path,
        where: str,
        content_type: ContentType,
        node: Node,
        entry: RevisionEntry,
    ) -> None:
        where = f"{where}: revision {entry.number}"
        fields = entry.fields
        allowed = set(content_type.schema.model_fields)
        blob = None
        if content_type.upload:
            allowed.update(BLOB_KEYS)
            blob = self._revision_blob(folder, where, fields)
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise TransferError(f"{where}: {content_type.name} has no field {_shown(unknown[0])}")
        for name in long_text_fields(content_type.schema) & set(fields):
            if not isinstance(fields[name], str):
                raise TransferError(f"{where}: {name} is not text")
        self.session.execute(
            insert(Revision).values(
                node_id=node.id,
                number=entry.number,
                created=moment(entry.created, where),
                author_id=self._account(entry.author, where),
                author_login=entry.author,
                comment=_line(entry.comment, MAX_COMMENT_LENGTH, where),
                fields=fields,
                blob_sha256=blob,
            )
        )

    def _revision_blob(self, folder: Path, where: str, fields: dict[str, Any]) -> str:
        """The hash of a file revision's bytes, put in the blob store unless already there in
        this import; TransferError when the snapshot does not describe a blob of the export."""
        sha256, size = fields.get("sha256"), fields.get("size")
        if not isinstance(sha256, str) or not re.fullmatch(SHA256, sha256):
            raise TransferError(f"{where}: sha256 is not a SHA-256")
        if type(size) is not int or size < 0:
            raise TransferError(f"{where}: size is not a number of bytes")
        for key in ("filename", "mime_type"):
            if not isinstance(fields.get(key), str) or len(fields[key]) > 255:
                raise TransferError(f"{where}: {key} is not text of at most 255 characters")
        if sha256 in self.blobs:
            return sha256
        source = blob_path(folder, sha256)
        if not source.is_file():
            raise TransferError(f"{source} is missing")
        uploads = self.uploads
        with source.open("rb") as stream:
            stored = uploads.store.write(
                stream, max_size=None, transaction_manager=uploads.transaction_manager
            )
        if stored.sha256 != sha256:
            raise TransferError(f"{source} does not match its checksum")
        self.blobs.add(sha256)
        return sha256

    def _step(self, where: str, node: Node, entry: WorkflowStepEntry) -> None:
        where = f"{where}: workflow step to {_shown(entry.to_state)}"
        names = (entry.workflow, entry.transition, entry.from_state or "", entry.to_state)
        for name in names:
            _line(name, 64, where)
        self.session.execute(
            insert(WorkflowStep).values(
                node_id=node.id,
                at=moment(entry.at, where),
                actor_id=self._account(entry.actor, where),
                actor_login=entry.actor,
                workflow=entry.workflow,
                transition=entry.transition,
                from_state=entry.from_state,
                to_state=entry.to_state,
                comment=_line(entry.comment, MAX_COMMENT_LENGTH, where),
            )
        )

    def _stamp(self, path: Path, document: NodeDocument, node: Node) -> None:
        """Keep the item's created and modified dates, and from version 2 on its creator and
        last editor, as the export gives them (after the import's own changes stamped it)."""
        node.created = moment(document.created, f"{path}: created")
        node.modified = moment(document.modified, f"{path}: modified")
        if self.version >= 2:
            node.created_by_id = self._account(document.created_by, f"{path}: created_by")
            node.modified_by_id = self._account(document.modified_by, f"{path}: modified_by")

    def _account(self, login: str | None, where: str) -> int | None:
        """The id of the account ``login`` names here; None for none (or no such account)."""
        if login is None:
            return None
        _line(login, 100, where)
        user = self._user(login)
        return None if user is None else user.id

    def _user(self, login: str) -> User | None:
        if login not in self.users:
            usable = text_problem(login, max_chars=100, single_line=True) is None
            self.users[login] = (
                self.session.scalar(select(User).where(User.login == login)) if usable else None
            )
        return self.users[login]

    def _group(self, name: str) -> bool:
        if name not in self.groups:
            usable = text_problem(name, max_chars=100, single_line=True) is None
            self.groups[name] = usable and (
                self.session.scalar(select(Group.id).where(Group.name == name)) is not None
            )
        return self.groups[name]

    def _state(self, node: Node, document: NodeDocument) -> None:
        wanted = document.workflow_state
        if wanted is None or wanted == node.workflow_state:
            return
        try:
            self.workflow.advance(node, wanted, self.comment)
        except CharterError as refused:
            self.report.skipped.append(
                f"workflow state {_shown(wanted)} of {node.path}: {refused.detail}"
            )

    def _roles(self, node: Node, document: NodeDocument) -> None:
        entries: dict[str, list[str]] = {}
        for grant in document.local_roles:
            principal = self._principal(node, grant.user, grant.group, grant.principal)
            if principal is not None:
                entries.setdefault(principal, []).append(grant.role)
        if entries or not document.inherit_roles:
            self.sharing.update(node, entries, inherit=document.inherit_roles, actor=self.actor)

    def _principal(
        self, node: Node, login: str | None, group: str | None, principal: str | None
    ) -> str | None:
        if login is not None:
            user = self._user(login)
            if user is not None:
                return user_principal(user.id)
            missing = f"account {_shown(login)}"
        elif group is not None:
            if self._group(group):
                return group_principal(group)
            missing = f"group {_shown(group)}"
        elif principal in SYSTEM_PRINCIPALS:
            return principal
        else:
            missing = f"principal {_shown(principal or '')}"
        self.report.skipped.append(f"local roles of {missing} on {node.path}: not on this site")
        return None


def _line(value: str, limit: int, where: str) -> str:
    """``value`` when a column of ``limit`` characters stores it as one line; else
    TransferError naming ``where``."""
    problem = text_problem(value, max_chars=limit, single_line=True)
    if problem is not None:
        raise TransferError(f"{where}: {_shown(value)} {problem}")
    return value


def _shown(value: str) -> str:
    """``value`` as a report may print it: quoted, short, escapes for what is not printable."""
    return repr(value[:100])
