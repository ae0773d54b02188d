"""The data manager that makes blob writes part of the request's transaction.

The ``transaction`` package commits in two phases, calling every joined data
manager in the order of its ``sortKey``: ``tpc_begin``, ``commit``,
``tpc_vote``, then ``tpc_finish`` (or ``tpc_abort`` if anything failed).
zope.sqlalchemy commits the database in its ``tpc_vote`` and sorts itself
last ("~sqlalchemy:..."). This manager sorts before it and moves its blobs
to their final paths in ``tpc_vote``: when the database commits, every blob
a new row points at is already on disk. If the database (or anything else)
then fails, ``tpc_abort`` removes the blobs this transaction added again.

From the vote to the end of the transaction the blobs' stripes stay locked,
so a concurrent transaction storing the same bytes, or the garbage
collector, waits instead of relying on, or removing, a file that this
transaction may still take back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from transaction.interfaces import IDataManager, IDataManagerSavepoint, ITransaction
from zope.interface import implementer

if TYPE_CHECKING:
    from transaction.interfaces import ITransactionManager

    from charter.blobs.store import FilesystemBlobStore, StripeLocks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingBlob:
    """A blob written to a temporary file, waiting for its transaction to commit."""

    temporary: Path
    sha256: str


@implementer(IDataManager)
class BlobDataManager:
    """One store's blobs written in one transaction."""

    def __init__(
        self, store: FilesystemBlobStore, transaction_manager: ITransactionManager
    ) -> None:
        self.store = store
        self.transaction_manager = transaction_manager
        self.pending: list[PendingBlob] = []
        # Blobs this transaction put in place that were not there before: only
        # these are removed again if the transaction fails after its vote.
        self.placed: list[str] = []
        self.finished = False
        self._locks: StripeLocks | None = None

    @classmethod
    def joined(
        cls,
        store: FilesystemBlobStore,
        transaction: ITransaction,
        transaction_manager: ITransactionManager,
    ) -> BlobDataManager:
        """The manager of ``store``'s blobs in ``transaction``, joining it on first use."""
        try:
            manager = transaction.data(store)
        except KeyError:
            manager = None
        # A rolled-back savepoint can abort a manager that joined after it.
        if manager is None or manager.finished:
            manager = cls(store, transaction_manager)
            transaction.join(manager)
            transaction.set_data(store, manager)
        return manager

    def add(self, temporary: Path, sha256: str) -> None:
        """Commit ``temporary`` as the blob ``sha256`` with the transaction."""
        self.pending.append(PendingBlob(temporary, sha256))

    def abort(self, transaction: ITransaction) -> None:
        """Forget the writes: remove their temporary files.

        Nothing once the transaction has ended: the transaction package calls
        this after every commit that ran after-commit hooks, too.
        """
        if not self.finished:
            self._undo()

    def tpc_begin(self, transaction: ITransaction) -> None:
        """Nothing to prepare: the bytes are already on disk."""

    def commit(self, transaction: ITransaction) -> None:
        """Nothing to do before the vote."""

    def tpc_vote(self, transaction: ITransaction) -> None:
        """Lock the blobs' stripes and move each blob to its final path, durably."""
        self._locks = self.store.lock(blob.sha256 for blob in self.pending)
        while self.pending:
            blob = self.pending[0]
            if self.store.place(blob.temporary, blob.sha256):
                self.placed.append(blob.sha256)
            self.pending.pop(0)

    def tpc_finish(self, transaction: ITransaction) -> None:
        """The transaction committed: the blobs stay; let their stripes go."""
        self._release()
        self.finished = True

    def tpc_abort(self, transaction: ITransaction) -> None:
        """The commit failed: remove the temporary files and the blobs this transaction placed."""
        self._undo()

    def sortKey(self) -> str:  # noqa: N802 - the transaction package's name
        """Before zope.sqlalchemy's "~sqlalchemy:" so the files are in place when the DB commits."""
        return f"charter.blobs:{self.store.root}"

    def savepoint(self) -> BlobSavepoint:
        """A savepoint to roll the writes made after it back to."""
        return BlobSavepoint(self, len(self.pending))

    def roll_back_to(self, count: int) -> None:
        """Drop the writes after the first ``count``: remove their temporary files."""
        for blob in self.pending[count:]:
            _remove(blob.temporary)
        del self.pending[count:]

    def _undo(self) -> None:
        # Never raises: tpc_abort must not fail, so a file that cannot be
        # removed is logged and left to the garbage collector.
        self.roll_back_to(0)
        for sha256 in self.placed:
            _remove(self.store.path(sha256))
        self.placed.clear()
        self._release()
        self.finished = True

    def _release(self) -> None:
        if self._locks is not None:
            self._locks.release()
            self._locks = None


@implementer(IDataManagerSavepoint)
@dataclass
class BlobSavepoint:
    """The writes a transaction savepoint keeps: the first ``count``."""

    manager: BlobDataManager
    count: int

    def rollback(self) -> None:
        """Remove the writes made after the savepoint."""
        self.manager.roll_back_to(self.count)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.exception("Could not remove %s; charter-blobs gc will", path)
