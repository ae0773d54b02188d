"""Recreating an exported subtree under a folder (``charter-import``; format: charter.ops.transfer).

Every item is made through the content service, as the API would make it:
the type registry's placement rules and the schemas' limits apply, and the
audit log, revisions, search index and change feed are written as for any
other create. Workflow states are reached through the workflow's own
transitions and local roles are granted through the sharing service. The
whole import is one transaction: a refusal anywhere (a uid that exists, a
name taken, a checksum that does not match, an invalid field) leaves the
site as it was, blobs included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.accounts.models import Group, User
from charter.audit.service import Actor
from charter.content.registry import types_of
from charter.content.services import ContentService, Uploads
from charter.errors import CharterError, Conflict, NotFound
from charter.history.revisions import MAX_COMMENT_LENGTH
from charter.input.text import text_problem
from charter.ops.transfer import (
    NodeDocument,
    TransferError,
    blob_path,
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
from charter.workflow.services import WorkflowService

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    """What an import made, and what it had to leave out (each a line for the administrator)."""

    path: str = ""
    nodes: int = 0
    files: int = 0
    skipped: list[str] = field(default_factory=list)


class _ImportingContent(ContentService):
    """The content service, stamping each new node with the uid and owner the export gives."""

    identity: tuple[str | None, User | None] = (None, None)

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
    registry = request.registry
    with request.tm:
        session = request.dbsession
        types = types_of(registry)
        content = _ImportingContent(
            session,
            types=types,
            actor=actor,
            notify=registry.notify,
            audit=request.audit,
            uploads=Uploads(
                request.blobs, request.tm, registry.settings["charter.blobs.max_upload_size"]
            ),
        )
        importer = _Importer(
            session,
            content,
            WorkflowService(session, types, actor, notify=registry.notify, audit=request.audit),
            SharingService(session, request.audit, registry.notify),
            actor,
            _comment(manifest),
        )
        parent = importer.target(target)
        for document_file, document in node_documents(folder):
            try:
                importer.add(folder, document_file, document, parent, new_uids, name)
            except CharterError as refused:
                # Which item was refused, so the administrator can find it in the export.
                raise TransferError(f"{document_file}: {refused.detail}") from None
            progress(1)
        if importer.report.nodes != manifest["nodes"]:
            raise TransferError(
                f"{folder} holds {importer.report.nodes} items, its manifest says "
                f"{manifest['nodes']}"
            )
    return importer.report


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
    ) -> None:
        self.session = session
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
        """Make the node ``document`` describes, with its state and local roles."""
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
        if not new_uids:
            existing = self.session.scalar(select(Node.path).where(Node.uid == uid))
            if existing is not None:
                raise Conflict(
                    f"an item with uid {uid} already exists here ({existing}); "
                    "import with --new-uids to give the copies new uids"
                )
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
        self._roles(node, document)

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
        self.report.files += 1
        return node

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


def _shown(value: str) -> str:
    """``value`` as a report may print it: quoted, short, escapes for what is not printable."""
    return repr(value[:100])
