"""A committed blob stays when the transaction also runs after-commit hooks.

The transaction package aborts every resource once more after such hooks
(the session store's, for one); that abort must not undo a commit.
"""

import hashlib
import io

import transaction

from charter.blobs.store import FilesystemBlobStore

DATA = b"Quarterly figures\n" * 50


def test_a_blob_committed_with_an_after_commit_hook_stays(tmp_path):
    store = FilesystemBlobStore(tmp_path / "blobs")
    manager = transaction.TransactionManager(explicit=True)
    outcomes = []
    manager.begin().addAfterCommitHook(outcomes.append)

    store.write(io.BytesIO(DATA), transaction_manager=manager)
    manager.commit()

    assert outcomes == [True]
    assert store.exists(hashlib.sha256(DATA).hexdigest())
