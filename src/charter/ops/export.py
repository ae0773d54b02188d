"""Writing a subtree to an export folder (``charter-export``; the format: charter.ops.transfer).

The subtree is read in keyset batches of ``BATCH`` nodes ordered by
(depth, position, id), parents before children and siblings in their
order, in one REPEATABLE READ transaction, and each batch is let go before
the next: memory stays flat however big the subtree. Each batch's revisions
and workflow steps are streamed (two queries a batch) into the items'
history files, and the blobs of files' earlier versions are copied beside
the current ones. Trashed nodes live under ``@trash/`` and so are never in a
live path's range; audit rows are not exported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload, with_polymorphic

from charter.accounts.models import User
from charter.addons import addon_version_locations
from charter.blobs.store import BlobNotFound, FilesystemBlobStore
from charter.content.registry import TypeRegistry, types_of
from charter.db.migrations import schema_status
from charter.errors import NotFound
from charter.health import release
from charter.history.models import Revision
from charter.ops.transfer import (
    CHECKSUMS,
    CHUNK,
    FORMAT_NAME,
    FORMAT_VERSION,
    HISTORY,
    MANIFEST,
    NODES,
    TransferError,
    blob_path,
    history_file,
    node_file,
    sha256_of,
)
from charter.security.principals import GROUP_PREFIX, USER_PREFIX
from charter.tree.models import Node
from charter.tree.paths import descendants_range
from charter.tree.services import TreeService
from charter.workflow.models import WorkflowStep

BATCH = 500
# Rows of revisions fetched at a time: a document's revision can hold 2 MiB of body.
REVISION_ROWS = 20
Progress = Callable[[int], None]


def export_subtree(
    env: dict[str, Any], path: str, folder: Path, progress: Progress = lambda count: None
) -> dict[str, Any]:
    """Write the subtree at ``path`` into ``folder`` (new or empty); its manifest.

    ``progress`` is told how many nodes each batch wrote.
    """
    if folder.exists() and any(folder.iterdir()):
        raise TransferError(f"{folder} is not empty; export into a new folder")
    request = env["request"]
    registry = request.registry
    store: FilesystemBlobStore = request.blobs
    (folder / NODES).mkdir(parents=True, exist_ok=True)
    (folder / HISTORY).mkdir(exist_ok=True)
    with request.tm:
        session = request.dbsession
        if session.get_bind().dialect.name != "sqlite":
            # Every batch reads one snapshot of the tree (the app's connections read committed;
            # a SQLite transaction is one snapshot already).
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        try:
            top = TreeService(session).resolve([s for s in path.split("/") if s])
        except NotFound:
            top = None
        if top is None or top.remainder:
            raise TransferError(f"no item at {path}")
        writer = _Writer(session, types_of(registry), store, folder)
        for count in writer.write(top.context):
            progress(count)
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "charter_version": release(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "revisions": sorted(
            schema_status(
                registry["charter.db.engine"], addon_version_locations(registry.settings)
            ).current
        ),
        "site": {"title": registry.settings["charter.site_title"]},
        "root": top.context.path,
        "nodes": writer.nodes,
        "blobs": {"count": writer.blobs, "bytes": writer.blob_bytes},
        "checksums": {CHECKSUMS: sha256_of(folder / CHECKSUMS)},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


class _Writer:
    """Writes node documents, their checksums and their blobs; counts what it wrote."""

    def __init__(
        self, session: Session, types: TypeRegistry, store: FilesystemBlobStore, folder: Path
    ) -> None:
        self.session = session
        self.types = types
        self.store = store
        self.folder = folder
        self.logins: dict[int, str | None] = {}
        self.nodes = self.blobs = self.blob_bytes = 0

    def write(self, top: Node) -> Iterator[int]:
        """Write ``top`` and its subtree, batch by batch; yields each batch's size."""
        with (self.folder / CHECKSUMS).open("w", encoding="ascii") as checksums:
            self._write_node(top, None, checksums, self._histories([top]).get(top.id))
            yield 1
            # The uid of each node's parent: only the folders one level up are needed.
            parents: dict[int, str] = {top.id: top.uid}
            current: dict[int, str] = {}
            depth = top.depth + 1
            for batch in self._batches(top):
                histories = self._histories(batch)
                for node in batch:
                    if node.depth != depth:
                        parents, current, depth = current, {}, node.depth
                    self._write_node(
                        node, parents[node.parent_id], checksums, histories.get(node.id)
                    )
                    if node.is_container:
                        current[node.id] = node.uid
                yield len(batch)
                # Each batch is let go: the session holds one batch at a time.
                self.session.expunge_all()

    def _batches(self, top: Node) -> Iterator[list[Node]]:
        low, high = descendants_range(top.path)
        every = with_polymorphic(Node, "*")
        query = (
            select(every)
            .options(selectinload(every.local_roles))
            .where(every.path > low, every.path < high)
            .order_by(every.depth, every.position, every.id)
            .limit(BATCH)
        )
        after: tuple[int, int, int] | None = None
        while True:
            page = query
            if after is not None:
                depth, position, node_id = after
                page = query.where(
                    or_(
                        every.depth > depth,
                        and_(every.depth == depth, every.position > position),
                        and_(every.depth == depth, every.position == position, every.id > node_id),
                    )
                )
            batch = list(self.session.scalars(page).unique())
            if not batch:
                return
            last = batch[-1]
            after = (last.depth, last.position, last.id)
            yield batch

    def _histories(self, batch: list[Node]) -> dict[int, dict[str, Any]]:
        """Write the history files of ``batch`` (numbered as its node documents will be): the
        ``history`` key of each node document that has one, by node id."""
        numbers = {node.id: self.nodes + 1 + index for index, node in enumerate(batch)}
        paths = {node.id: node.path for node in batch}
        files = _HistoryFiles(self.folder, numbers)
        # Authors' current logins come joined: no other query while the rows stream.
        revisions = (
            select(Revision, User.login)
            .outerjoin(User, User.id == Revision.author_id)
            .where(Revision.node_id.in_(numbers))
            .order_by(Revision.node_id, Revision.number)
            .execution_options(yield_per=REVISION_ROWS)
        )
        for revision, login in self.session.execute(revisions):
            if revision.blob_sha256 is not None:
                where = f"{paths[revision.node_id]} (revision {revision.number})"
                self._copy_blob(revision.blob_sha256, where)
            files.write(
                revision.node_id,
                "revisions",
                {
                    "@kind": "revision",
                    "number": revision.number,
                    "created": revision.created.isoformat(),
                    "author": login or revision.author_login,
                    "comment": revision.comment,
                    "fields": revision.fields,
                },
            )
            # Each revision is let go once written: they can be large.
            self.session.expunge(revision)
        steps = (
            select(WorkflowStep, User.login)
            .outerjoin(User, User.id == WorkflowStep.actor_id)
            .where(WorkflowStep.node_id.in_(numbers))
            .order_by(WorkflowStep.node_id, WorkflowStep.id)
        )
        for step, login in self.session.execute(steps):
            files.write(
                step.node_id,
                "workflow_steps",
                {
                    "@kind": "workflow_step",
                    "at": step.at.isoformat(),
                    "actor": login or step.actor_login,
                    "workflow": step.workflow,
                    "transition": step.transition,
                    "from_state": step.from_state,
                    "to_state": step.to_state,
                    "comment": step.comment,
                },
            )
        return files.close()

    def _write_node(
        self,
        node: Node,
        parent_uid: str | None,
        checksums: Any,
        history: dict[str, Any] | None,
    ) -> None:
        content_type = self.types.get(node.type_name)
        fields = {
            name: getattr(node, name)
            for name in content_type.schema.model_fields
            if name not in ("title", "description")
        }
        document: dict[str, Any] = {
            "@type": node.type_name,
            "uid": node.uid,
            "parent": parent_uid,
            "name": node.name,
            "position": node.position,
            "title": node.title,
            "description": node.description,
            "created": node.created.isoformat(),
            "modified": node.modified.isoformat(),
            "owner": self._login(node.owner_id),
            "created_by": self._login(node.created_by_id),
            "modified_by": self._login(node.modified_by_id),
            "history": history,
            "workflow_state": node.workflow_state,
            "inherit_roles": node.inherit_roles,
            "local_roles": [self._grant(g.principal, g.role) for g in node.local_roles],
            # Through the schema, so an add-on's dates and numbers come out as JSON.
            "fields": content_type.schema.model_construct(**fields).model_dump(
                mode="json", include=set(fields)
            ),
        }
        if content_type.upload:
            document["file"] = {
                "sha256": node.blob_sha256,
                "size": node.size,
                "filename": node.filename,
                "mime_type": node.mime_type,
            }
            self._copy_blob(node.blob_sha256, node.path)
        self.nodes += 1
        data = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        name = node_file(self.nodes)
        (self.folder / name).write_bytes(data)
        checksums.write(f"{hashlib.sha256(data).hexdigest()}  {name}\n")

    def _grant(self, principal: str, role: str) -> dict[str, str]:
        if principal.startswith(USER_PREFIX):
            user_id = principal[len(USER_PREFIX) :]
            login = self._login(int(user_id)) if user_id.isdigit() else None
            if login is not None:
                return {"role": role, "user": login}
        elif principal.startswith(GROUP_PREFIX):
            return {"role": role, "group": principal[len(GROUP_PREFIX) :]}
        return {"role": role, "principal": principal}

    def _login(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.logins:
            self.logins[user_id] = self.session.scalar(select(User.login).where(User.id == user_id))
        return self.logins[user_id]

    def _copy_blob(self, sha256: str, path: str) -> None:
        destination = blob_path(self.folder, sha256)
        if destination.exists():
            return  # one copy of bytes that several files share
        destination.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with self.store.open(sha256) as source, destination.open("wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BlobNotFound:
            raise TransferError(
                f"the bytes of {path} ({sha256}) are not in the blob store"
            ) from None
        if digest.hexdigest() != sha256:
            destination.unlink()
            raise TransferError(f"the bytes of {path} ({sha256}) in the blob store are corrupt")
        self.blobs += 1
        self.blob_bytes += destination.stat().st_size


class _HistoryFiles:
    """The history files of one batch, written a line at a time, one file open at a time
    (rows come ordered by node), each hashed as it is written."""

    def __init__(self, folder: Path, numbers: dict[int, int]) -> None:
        self.folder = folder
        self.numbers = numbers
        self.summaries: dict[int, dict[str, Any]] = {}
        self.digests: dict[int, Any] = {}
        self.node_id: int | None = None
        self.handle: Any = None

    def write(self, node_id: int, count: str, entry: dict[str, Any]) -> None:
        """Add ``entry`` as a line of ``node_id``'s history file, counted under ``count``."""
        if node_id != self.node_id:
            self._close_file()
            name = history_file(node_file(self.numbers[node_id]))
            # Appending: a node's workflow steps follow its revisions, from a second query.
            self.handle = (self.folder / name).open("ab")
            self.node_id = node_id
            self.digests.setdefault(node_id, hashlib.sha256())
            self.summaries.setdefault(node_id, {"revisions": 0, "workflow_steps": 0})
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        self.handle.write(line)
        self.digests[node_id].update(line)
        self.summaries[node_id][count] += 1

    def close(self) -> dict[int, dict[str, Any]]:
        """Close the last file; each node's ``history`` key, by node id."""
        self._close_file()
        for node_id, digest in self.digests.items():
            self.summaries[node_id]["sha256"] = digest.hexdigest()
        return self.summaries

    def _close_file(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
            self.node_id = None
