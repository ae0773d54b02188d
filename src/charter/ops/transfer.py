"""The export format of ``charter-export`` and ``charter-import``: a subtree as a folder.

A folder holds ``manifest.json``, ``nodes/NNNNNNNN.json`` (one JSON document
per item, parents before children, siblings in their order),
``nodes.sha256`` (the SHA-256 of each node document, one line each, in that
order) and ``blobs/aa/bb/<sha256>`` (each file's bytes, named by their
hash). docs/operations.md describes every key. Everything read from such a
folder is treated as hostile: sizes are bounded, text must be UTF-8, every
document is checked against its checksum and its shape before any of it is
used.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from charter.tree.names import MAX_NAME_LENGTH

FORMAT_NAME = "charter-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
NODES = "nodes"
CHECKSUMS = "nodes.sha256"
BLOBS = "blobs"
CHUNK = 1 << 20
# Far above any node's JSON (a document's body is at most 2 MiB): a bigger file is not ours.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024
UID = r"^[0-9a-f]{32}$"
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
    owner: str | None = Field(max_length=100)
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
    if type(manifest.get("version")) is not int or manifest["version"] != FORMAT_VERSION:
        raise TransferError(
            f"{path}: format version {manifest.get('version')!r} is unknown to this release "
            f"(it reads version {FORMAT_VERSION})"
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
