"""The filesystem blob store: uploaded bytes kept by their SHA-256, written inside a transaction.

A blob lives at ``<root>/ab/cd/<sha256>`` (the first two pairs of hex digits
name the folders, so that no folder grows past 65,536 entries per level).
Uploads stream into ``<root>/tmp`` (the same filesystem, so the final rename
is atomic) and reach their final path only when the transaction commits; see
``charter.blobs.transaction`` for the order. Blobs are never modified: the
same bytes always have the same name, so a second upload of them is stored
once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from transaction.interfaces import ITransactionManager

from charter.blobs.sniffing import SNIFF_BYTES
from charter.blobs.transaction import BlobDataManager
from charter.i18n import Size

CHUNK_SIZE = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")
_PAIR = re.compile(r"[0-9a-f]{2}")


class Readable(Protocol):
    """What ``write`` reads from: a binary file, a request body, an upload's file object."""

    def read(self, size: int = -1, /) -> bytes: ...


class BlobError(Exception):
    """A blob could not be stored or found."""


class BlobTooLarge(BlobError):
    """The stream held more bytes than the limit; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than the limit of {format_size(limit)}.")
        self.limit = limit


class BlobNotFound(BlobError):
    """No blob has this SHA-256."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"No blob {sha256}")
        self.sha256 = sha256


@dataclass(frozen=True)
class BlobInfo:
    """A blob's SHA-256 (hex) and size in bytes.

    ``head`` holds the first bytes of what ``write`` just stored, for MIME
    sniffing without reading the upload twice; it is empty otherwise.
    """

    sha256: str
    size: int
    head: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class Garbage:
    """What ``collect_garbage`` removed (or would remove, on a dry run)."""

    blobs: list[BlobInfo]
    # Temporary files of uploads whose transaction never ended (a killed process).
    abandoned_uploads: list[tuple[str, int]]
    # Thumbnails (named by their blob) of blobs no row references (charter.blobs.thumbnails).
    thumbnails: list[tuple[str, int]] = field(default_factory=list)

    @property
    def freed_bytes(self) -> int:
        """Bytes the removals free."""
        return (
            sum(blob.size for blob in self.blobs)
            + sum(s for _, s in self.abandoned_uploads)
            + sum(s for _, s in self.thumbnails)
        )


def format_size(size: int) -> str:
    """``size`` bytes for people, in English: ``512 bytes``, ``1.5 KiB``, ``100 MiB``."""
    return Size(size).english()


def check_sha256(sha256: str) -> str:
    """``sha256`` if it is 64 lowercase hex digits; ValueError otherwise (never a path)."""
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise ValueError(f"Not a SHA-256 in lowercase hex: {sha256!r}")
    return sha256


class StripeLocks:
    """Exclusive locks on some of the 256 first-byte stripes, held until ``release``.

    Between a transaction's vote and its end, and while the garbage collector
    removes a blob, the blob's stripe is locked: so a blob that one
    transaction is about to commit a row for is never removed under it, by a
    concurrent failing transaction or by the collector. ``flock`` locks
    exclude other processes and other threads of this one alike.
    """

    def __init__(self, folder: Path, stripes: Iterable[str]) -> None:
        self._descriptors: list[int] = []
        try:
            # Always in the same order, so two transactions never wait on each other.
            for stripe in sorted(set(stripes)):
                descriptor = os.open(folder / f"{stripe}.lock", os.O_RDWR | os.O_CREAT, 0o600)
                self._descriptors.append(descriptor)
                fcntl.flock(descriptor, fcntl.LOCK_EX)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Let the stripes go (closing the lock file releases its lock)."""
        while self._descriptors:
            os.close(self._descriptors.pop())

    def __enter__(self) -> StripeLocks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class FilesystemBlobStore:
    """Content-addressed blobs under ``root``; writes become visible when the transaction does."""

    def __init__(self, root: Path) -> None:
        # Absolute now, so that a later change of working directory moves nothing.
        self.root = Path(root).absolute()
        self.temporary = self.root / "tmp"
        self.locks = self.root / "locks"
        for folder in (self.root, self.temporary, self.locks):
            folder.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FilesystemBlobStore({str(self.root)!r})"

    def path(self, sha256: str) -> Path:
        """Where the blob ``sha256`` lives (whether or not it exists)."""
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """Whether the blob ``sha256`` is stored (and committed)."""
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        """The blob's size in bytes; BlobNotFound when it is not stored."""
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def open(self, sha256: str) -> BinaryIO:
        """The blob's bytes, opened for reading; BlobNotFound when it is not stored."""
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def iter_all(self) -> Iterator[str]:
        """The SHA-256 of every stored blob, in order (the tmp and locks folders are skipped)."""
        for first in _sorted_folders(self.root):
            for second in _sorted_folders(first):
                prefix = first.name + second.name
                with os.scandir(second) as entries:
                    names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
                for name in names:
                    if SHA256.fullmatch(name) and name.startswith(prefix):
                        yield name

    def write(
        self,
        stream: Readable,
        *,
        max_size: int | None = None,
        transaction_manager: ITransactionManager,
    ) -> BlobInfo:
        """Store what ``stream`` holds as part of ``transaction_manager``'s current transaction.

        The bytes are read in chunks (never all at once) into a temporary
        file; more than ``max_size`` of them raise BlobTooLarge at once and
        leave nothing behind. The blob appears at its final path when the
        transaction commits; an abort removes the temporary file.
        """
        transaction = transaction_manager.get()
        descriptor, name = tempfile.mkstemp(dir=self.temporary, prefix="upload-", suffix=".part")
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as out:
                info = _copy_hashing(stream, out, max_size)
                out.flush()
                os.fsync(out.fileno())
            BlobDataManager.joined(self, transaction, transaction_manager).add(
                temporary, info.sha256
            )
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return info

    def lock(self, sha256s: Iterable[str]) -> StripeLocks:
        """Lock the stripes of these blobs (see StripeLocks)."""
        return StripeLocks(self.locks, (check_sha256(s)[:2] for s in sha256s))

    def place(self, temporary: Path, sha256: str) -> bool:
        """Move a written temporary file to the blob's path, durably; the caller holds its lock.

        Returns False (and drops the temporary file) when the blob was
        already there; its modification time is renewed so that the garbage
        collector counts it as new again.
        """
        final = self.path(sha256)
        if final.is_file():
            os.utime(final)
            temporary.unlink()
            return False
        for folder in (final.parent.parent, final.parent):
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            _fsync_folder(folder.parent)
        os.rename(temporary, final)
        _fsync_folder(final.parent)
        return True

    def delete(self, sha256: str, *, modified_before: float | None = None) -> bool:
        """Remove a blob, under its stripe lock; only the garbage collector calls this.

        With ``modified_before`` (a POSIX timestamp) a blob modified since
        then is kept. Returns whether the blob was removed.
        """
        final = self.path(sha256)
        with self.lock([sha256]):
            try:
                if modified_before is not None and final.stat().st_mtime >= modified_before:
                    return False
                final.unlink()
            except FileNotFoundError:
                return False
        return True

    def abandoned_uploads(self, modified_before: float) -> Iterator[tuple[Path, int]]:
        """Temporary upload files (path, size) not written to since ``modified_before``."""
        with os.scandir(self.temporary) as entries:
            found = [e for e in entries if e.is_file(follow_symlinks=False)]
        for entry in sorted(found, key=lambda e: e.name):
            try:
                status = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if status.st_mtime < modified_before:
                yield Path(entry.path), status.st_size


def collect_garbage(
    store: FilesystemBlobStore,
    referenced: set[str],
    min_age: timedelta,
    dry_run: bool = False,
) -> Garbage:
    """Remove the blobs not in ``referenced`` and not modified within ``min_age``.

    Read ``referenced`` before calling: a blob committed after that read is
    younger than ``min_age`` and is kept. Temporary files of uploads idle for
    ``min_age`` (left by a killed process) go too. ``dry_run`` removes nothing.
    """
    if min_age < timedelta(0):
        raise ValueError("min_age must not be negative")
    cutoff = time.time() - min_age.total_seconds()
    removed: list[BlobInfo] = []
    for sha256 in store.iter_all():
        if sha256 in referenced:
            continue
        try:
            status = store.path(sha256).stat()
        except FileNotFoundError:
            continue
        if status.st_mtime >= cutoff:
            continue
        if dry_run or store.delete(sha256, modified_before=cutoff):
            removed.append(BlobInfo(sha256, status.st_size))
    uploads: list[tuple[str, int]] = []
    for path, size in store.abandoned_uploads(cutoff):
        if not dry_run:
            path.unlink(missing_ok=True)
        uploads.append((path.name, size))
    return Garbage(removed, uploads)


def _copy_hashing(stream: Readable, out: BinaryIO, max_size: int | None) -> BlobInfo:
    digest = hashlib.sha256()
    size = 0
    head = b""
    while True:
        # Never ask for more than one byte past the limit: that byte is the proof.
        wanted = CHUNK_SIZE if max_size is None else min(CHUNK_SIZE, max_size - size + 1)
        chunk = stream.read(wanted)
        if not chunk:
            break
        size += len(chunk)
        if max_size is not None and size > max_size:
            raise BlobTooLarge(max_size)
        digest.update(chunk)
        out.write(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
    return BlobInfo(digest.hexdigest(), size, head)


def _sorted_folders(parent: Path) -> list[Path]:
    with os.scandir(parent) as entries:
        names = [
            e.name for e in entries if e.is_dir(follow_symlinks=False) and _PAIR.fullmatch(e.name)
        ]
    return [parent / name for name in sorted(names)]


def _fsync_folder(folder: Path) -> None:
    # A rename or a new entry is durable only once its folder is synced.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
