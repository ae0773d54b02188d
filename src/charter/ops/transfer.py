"""The export format of ``charter-export`` and ``charter-import``: a subtree as a folder.

A folder holds ``manifest.json``, ``nodes/NNNNNNNN.json`` (one JSON document
per item, parents before children, siblings in their order),
``nodes.sha256`` (the SHA-256 of each node document, one line each, in that
order), ``history/NNNNNNNN.jsonl`` (the revisions and workflow steps of the
item ``nodes/NNNNNNNN.json``, one JSON object a line, its SHA-256 in the node
document) and ``blobs/aa/bb/<sha256>`` (the bytes of each file and of its
earlier versions, named by their hash). docs/operations.md describes every
key; version 1 (no history, no creator or last editor) is still read. Everything read from such a
folder is treated as hostile: sizes are bounded, text must be UTF-8, every
document is checked against its checksum and its shape before any of it is
used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from charter.tree.names import MAX_NAME_LENGTH

FORMAT_NAME = "charter-export"
FORMAT_VERSION = 2
# Version 1 carried each item's current state only; it is still imported.
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
NODES = "nodes"
CHECKSUMS = "nodes.sha256"
HISTORY = "history"
BLOBS = "blobs"
CHUNK = 1 << 20
# Far above any node's JSON (a document's body is at most 2 MiB): a bigger file is not ours.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024
UID = r"^[0-9a-f]{32}$"
LOGIN = 100
# A revision's number, as the INTEGER column holds it on every database.
MAX_NUMBER = 2**31 - 1
# The oldest and newest moments every database's date column holds (MariaDB: years 1000-9999).
EARLIEST = dt.datetime(1000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
SHA256 = r"^[0-9a-f]{64}$"
_CHECKSUM_LINE = re.compile(r"([0-9a-f]{64})  (nodes/[0-9]{8,12}\.json)")


class TransferError(Exception):
    """An export cannot be written or imported; the message says why, in one line."""


class Grant(BaseModel):
    """A local role, its principal named so another site can find it: a login, a group name
    or a system principal."""

    model_config = ConfigDict(extra="forbid", strict=True)

    role: str = Field(max_length=32)
    user: str | None = Field(default=None, max_length=100)
    group: str | None = Field(default=None, max_length=100)
    principal: str | None = Field(default=None, max_length=120)


class FileBytes(BaseModel):
    """The bytes of an upload type's node: a blob of the export, and what it was called."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=0)
    filename: str = Field(max_length=255)
    mime_type: str = Field(max_length=255)


class History(BaseModel):
    """Where a node document's history is: how many revisions and workflow steps its
    ``history/NNNNNNNN.jsonl`` holds, and that file's SHA-256."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sha256: str = Field(pattern=SHA256)
    revisions: int = Field(ge=0, le=MAX_NUMBER)
    workflow_steps: int = Field(ge=0, le=MAX_NUMBER)


class RevisionEntry(BaseModel):
    """One revision of an item, as a line of its history file holds it."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    kind: str = Field(alias="@kind", pattern="^revision$")
    number: int = Field(ge=1, le=MAX_NUMBER)
    created: str = Field(max_length=40)
    author: str | None = Field(max_length=LOGIN)
    comment: str = Field(max_length=500)
    fields: dict[str, Any]


class WorkflowStepEntry(BaseModel):
    """One step of an item's workflow history, as a line of its history file holds it."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    kind: str = Field(alias="@kind", pattern="^workflow_step$")
    at: str = Field(max_length=40)
    actor: str | None = Field(max_length=LOGIN)
    workflow: str = Field(max_length=64)
    transition: str = Field(max_length=64)
    from_state: str | None = Field(max_length=64)
    to_state: str = Field(max_length=64)
    comment: str = Field(max_length=500)


HistoryEntry = RevisionEntry | WorkflowStepEntry


class NodeDocument(BaseModel):
    """One item of an export, as ``nodes/NNNNNNNN.json`` holds it."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    type: str = Field(alias="@type", max_length=64)
    uid: str = Field(pattern=UID)
    parent: str | None = Field(pattern=UID)
    name: str = Field(max_length=MAX_NAME_LENGTH)
    position: int
    title: str
    description: str
    created: str = Field(max_length=40)
    modified: str = Field(max_length=40)
    owner: str | None = Field(max_length=LOGIN)
    # Version 2: who made the item and who last changed it (logins), and its history.
    created_by: str | None = Field(default=None, max_length=LOGIN)
    modified_by: str | None = Field(default=None, max_length=LOGIN)
    history: History | None = None
    workflow_state: str | None = Field(max_length=64)
    inherit_roles: bool
    local_roles: list[Grant]
    fields: dict[str, Any]
    file: FileBytes | None = None


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def blob_path(folder: Path, sha256: str) -> Path:
    """Where the blob ``sha256`` lies in an export folder."""
    return folder / BLOBS / sha256[:2] / sha256[2:4] / sha256


def node_file(number: int) -> str:
    """The name, relative to the export folder, of the ``number``-th node document."""
    return f"{NODES}/{number:08d}.json"


def history_file(document_file: str) -> str:
    """The history file of the node document ``document_file`` (``nodes/NNNNNNNN.json``)."""
    return f"{HISTORY}/{Path(document_file).stem}.jsonl"


def moment(value: str, where: str) -> dt.datetime:
    """The aware UTC datetime an export's ISO 8601 ``value`` names; TransferError naming
    ``where`` when it is not one every database can store."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise TransferError(f"{where}: {value[:40]!r} is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise TransferError(f"{where}: {value!r} does not say its time zone")
    parsed = parsed.astimezone(dt.UTC)
    if not EARLIEST <= parsed <= LATEST:
        raise TransferError(f"{where}: {value!r} is outside the years 1000 to 9999")
    return parsed


def _read_json(path: Path, limit: int) -> Any:
    """The JSON in ``path``: at most ``limit`` bytes of strict UTF-8, else TransferError."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TransferError(f"{path} is larger than {limit} bytes")
    return _parse(data, path)


def _parse(data: bytes, path: Path) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise TransferError(f"{path} is not UTF-8 text") from None
    except ValueError as error:
        raise TransferError(f"{path} is not JSON: {error}") from None
    except RecursionError:
        raise TransferError(f"{path} nests its JSON too deeply") from None


def read_manifest(folder: Path) -> dict[str, Any]:
    """The export's manifest, its format known and its checksum file intact; TransferError
    saying what is wrong otherwise."""
    path = folder / MANIFEST
    if not path.is_file():
        raise TransferError(f"{folder} holds no {MANIFEST}: not a Charter export")
    manifest = _read_json(path, MAX_MANIFEST_BYTES)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        shown = manifest.get("format") if isinstance(manifest, dict) else None
        raise TransferError(f"{path}: the format {shown!r} is not {FORMAT_NAME!r}")
    # ``type`` rather than ``isinstance``: JSON's true is a Python int equal to 1.
    if type(manifest.get("version")) is not int or manifest["version"] not in READABLE_VERSIONS:
        readable = " and ".join(str(version) for version in READABLE_VERSIONS)
        raise TransferError(
            f"{path}: format version {manifest.get('version')!r} is unknown to this release "
            f"(it reads versions {readable})"
        )
    checksums = manifest.get("checksums")
    expected = checksums.get(CHECKSUMS) if isinstance(checksums, dict) else None
    if not (folder / CHECKSUMS).is_file() or sha256_of(folder / CHECKSUMS) != expected:
        raise TransferError(f"{folder / CHECKSUMS} is missing or does not match its checksum")
    if type(manifest.get("nodes")) is not int or not isinstance(manifest.get("root"), str):
        raise TransferError(f"{path} does not say how many items it holds or where from")
    return manifest


def node_documents(folder: Path) -> Iterator[tuple[str, NodeDocument]]:
    """Each node document of the export in order, with its file's name, each checked
    against its checksum and its shape (TransferError naming the file otherwise)."""
    with (folder / CHECKSUMS).open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                match = _CHECKSUM_LINE.fullmatch(raw.decode("ascii").rstrip("\n"))
            except UnicodeDecodeError:
                match = None
            if match is None or match.group(2) != node_file(number):
                raise TransferError(
                    f"{folder / CHECKSUMS}: line {number} is not the checksum "
                    f"of {node_file(number)}"
                )
            path = folder / match.group(2)
            if not path.is_file():
                raise TransferError(f"{path} is missing")
            with path.open("rb") as handle:
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
            if len(data) > MAX_DOCUMENT_BYTES:
                raise TransferError(f"{path} is larger than {MAX_DOCUMENT_BYTES} bytes")
            if hashlib.sha256(data).hexdigest() != match.group(1):
                raise TransferError(f"{path} does not match its checksum")
            try:
                document = NodeDocument.model_validate(_parse(data, path))
            except ValidationError as error:
                first = error.errors()[0]
                where = "/".join(str(part) for part in first["loc"]) or "the document"
                raise TransferError(f"{path}: {where}: {first['msg']}") from None
            yield match.group(2), document


def history_entries(
    folder: Path, document_file: str, history: History
) -> Iterator[RevisionEntry | WorkflowStepEntry]:
    """The entries of a node's history file, revisions first, each checked for its shape.

    The file is checked against its checksum before the first entry is given and against
    the document's counts after the last (an import is one transaction: a late refusal
    still writes nothing).
    """
    path = folder / history_file(document_file)
    if not path.is_file():
        raise TransferError(f"{path} is missing")
    if sha256_of(path) != history.sha256:
        raise TransferError(f"{path} does not match its checksum")
    revisions = steps = 0
    with path.open("rb") as lines:
        read = iter(lambda: lines.readline(MAX_DOCUMENT_BYTES + 1), b"")
        for number, line in enumerate(read, start=1):
            if len(line) > MAX_DOCUMENT_BYTES:
                limit = MAX_DOCUMENT_BYTES
                raise TransferError(f"{path}: line {number} is larger than {limit} bytes")
            data = _parse(line, path)
            kind = data.get("@kind") if isinstance(data, dict) else None
            model = WorkflowStepEntry if kind == "workflow_step" else RevisionEntry
            if kind == "revision" and steps:
                raise TransferError(f"{path}: line {number}: revisions come before steps")
            try:
                entry = model.model_validate(data)
            except ValidationError as error:
                first = error.errors()[0]
                where = "/".join(str(part) for part in first["loc"]) or "the entry"
                raise TransferError(f"{path}: line {number}: {where}: {first['msg']}") from None
            if isinstance(entry, RevisionEntry):
                revisions += 1
            else:
                steps += 1
            yield entry
    if (revisions, steps) != (history.revisions, history.workflow_steps):
        raise TransferError(
            f"{path} holds {revisions} revision(s) and {steps} workflow step(s), its node "
            f"document says {history.revisions} and {history.workflow_steps}"
        )
