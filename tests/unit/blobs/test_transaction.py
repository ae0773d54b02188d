"""Blob writes in a two-phase commit: with a real database, failing partners and concurrency."""

import contextlib
import hashlib
import io
import os
import threading

import pytest
import transaction
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from transaction.interfaces import IDataManager, NoTransaction
from zope.interface import implementer
from zope.sqlalchemy import mark_changed, register

from charter.blobs.store import FilesystemBlobStore

DATA = b"Minutes of the board meeting\n" * 100
DATA_SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path):
    return FilesystemBlobStore(tmp_path / "blobs")


def new_manager():
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    return manager


@pytest.fixture
def tm():
    manager = new_manager()
    yield manager
    # Tests that commit or abort themselves leave no transaction to end.
    with contextlib.suppress(NoTransaction):
        manager.abort()


def blob_and_temporary_files(store):
    """Files under the store's root, except the stripes' lock files (permanent and empty)."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), store.root)
        for folder, _, names in os.walk(store.root)
        for name in names
        if os.path.relpath(folder, store.root) != "locks"
    )


@implementer(IDataManager)
class Partner:
    """Another resource in the transaction; it refuses its vote when told to.

    Its sort key puts it after the blob store, like zope.sqlalchemy's.
    """

    def __init__(self, manager, refuse=False, on_vote=None):
        self.transaction_manager = manager
        self.refuse = refuse
        self.on_vote = on_vote
        manager.get().join(self)

    def abort(self, txn):
        pass

    def tpc_begin(self, txn):
        pass

    def commit(self, txn):
        pass

    def tpc_vote(self, txn):
        if self.on_vote:
            self.on_vote()
        if self.refuse:
            raise RuntimeError("the database refused to commit")

    def tpc_finish(self, txn):
        pass

    def tpc_abort(self, txn):
        pass

    def sortKey(self):
        return "~partner"


def test_a_later_vote_failing_removes_the_placed_blob_again(store, tm):
    store.write(io.BytesIO(DATA), transaction_manager=tm)
    seen_at_vote = []
    Partner(tm, refuse=True, on_vote=lambda: seen_at_vote.append(store.exists(DATA_SHA)))

    with pytest.raises(RuntimeError, match="refused"):
        tm.commit()

    assert seen_at_vote == [True], "the blob was in place before the partner voted"
    assert not store.exists(DATA_SHA)
    assert blob_and_temporary_files(store) == []


def test_a_failing_transaction_keeps_a_blob_that_existed_before(store, tm):
    earlier = new_manager()
    store.write(io.BytesIO(DATA), transaction_manager=earlier)
    earlier.commit()

    store.write(io.BytesIO(DATA), transaction_manager=tm)
    Partner(tm, refuse=True)
    with pytest.raises(RuntimeError):
        tm.commit()

    assert store.exists(DATA_SHA)
    assert blob_and_temporary_files(store) == [os.path.join(DATA_SHA[:2], DATA_SHA[2:4], DATA_SHA)]


def sqlite_with_deferred_reference(path):
    """A SQLite database whose ``files`` rows are checked against ``parents`` only at COMMIT."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def foreign_keys_on(dbapi_connection, record):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE parents (id INTEGER PRIMARY KEY)"))
        connection.execute(
            text(
                "CREATE TABLE files (id INTEGER PRIMARY KEY, blob_sha256 VARCHAR(64), "
                "parent_id INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
        connection.execute(text("INSERT INTO parents (id) VALUES (1)"))
    return engine


def add_file_row(tm, engine, sha, parent_id):
    session = Session(engine)
    register(session, transaction_manager=tm)
    session.execute(
        text("INSERT INTO files (blob_sha256, parent_id) VALUES (:sha, :parent)"),
        {"sha": sha, "parent": parent_id},
    )
    # A textual statement: zope.sqlalchemy would otherwise see nothing to commit.
    mark_changed(session)


def file_rows(path):
    """The committed rows, read on a new engine: after a failed COMMIT the SQLite driver
    leaves the pooled connection inside its transaction, where the row still shows."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT blob_sha256 FROM files")).scalars().all()
    finally:
        engine.dispose()


def test_the_blob_is_on_disk_when_the_database_commits(store, tm, tmp_path):
    engine = sqlite_with_deferred_reference(tmp_path / "db.sqlite")
    on_disk_at_commit = []
    event.listen(engine, "commit", lambda conn: on_disk_at_commit.append(store.exists(DATA_SHA)))

    info = store.write(io.BytesIO(DATA), transaction_manager=tm)
    add_file_row(tm, engine, info.sha256, parent_id=1)
    tm.commit()

    assert on_disk_at_commit == [True]
    assert file_rows(tmp_path / "db.sqlite") == [DATA_SHA]
    assert store.exists(DATA_SHA)
    engine.dispose()


def test_a_database_commit_failure_leaves_neither_row_nor_blob(store, tm, tmp_path):
    engine = sqlite_with_deferred_reference(tmp_path / "db.sqlite")

    info = store.write(io.BytesIO(DATA), transaction_manager=tm)
    add_file_row(tm, engine, info.sha256, parent_id=99)
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        tm.commit()

    assert file_rows(tmp_path / "db.sqlite") == []
    assert not store.exists(DATA_SHA)
    assert blob_and_temporary_files(store) == []
    engine.dispose()


def test_savepoint_rollback_drops_only_the_later_writes(store, tm):
    kept = store.write(io.BytesIO(b"before the savepoint"), transaction_manager=tm)
    savepoint = tm.savepoint()
    dropped = store.write(io.BytesIO(b"after the savepoint"), transaction_manager=tm)

    savepoint.rollback()
    tm.commit()

    assert list(store.iter_all()) == [kept.sha256]
    assert not store.exists(dropped.sha256)
    assert blob_and_temporary_files(store) == [
        os.path.join(kept.sha256[:2], kept.sha256[2:4], kept.sha256)
    ]


def test_writing_again_after_rolling_back_a_savepoint_taken_before_any_write(store, tm):
    savepoint = tm.savepoint()
    store.write(io.BytesIO(b"rolled back"), transaction_manager=tm)
    savepoint.rollback()

    kept = store.write(io.BytesIO(b"written afterwards"), transaction_manager=tm)
    tm.commit()

    assert list(store.iter_all()) == [kept.sha256]
    assert blob_and_temporary_files(store) == [
        os.path.join(kept.sha256[:2], kept.sha256[2:4], kept.sha256)
    ]


def test_concurrent_writers_of_the_same_bytes_do_not_clash(store):
    writers = 8
    ready = threading.Barrier(writers)
    errors = []

    def upload_and_commit():
        try:
            manager = new_manager()
            store.write(io.BytesIO(DATA), transaction_manager=manager)
            ready.wait()
            manager.commit()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload_and_commit) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert list(store.iter_all()) == [DATA_SHA]
    with store.open(DATA_SHA) as stored:
        assert stored.read() == DATA
    assert blob_and_temporary_files(store) == [os.path.join(DATA_SHA[:2], DATA_SHA[2:4], DATA_SHA)]


def test_a_failing_transaction_does_not_take_the_blob_a_concurrent_one_commits(store):
    # The first transaction places the blob, then its database refuses to
    # commit. Meanwhile a second transaction with the same bytes commits.
    # Had the second seen the first's file and dropped its own copy, the
    # first's clean-up would leave the second's row without its blob.
    first, second = new_manager(), new_manager()
    store.write(io.BytesIO(DATA), transaction_manager=first)
    store.write(io.BytesIO(DATA), transaction_manager=second)
    errors = []

    def commit_second():
        try:
            second.commit()
        except Exception as exc:
            errors.append(exc)

    racer = threading.Thread(target=commit_second)

    def let_the_second_race():
        racer.start()
        # The second commit waits on the stripe lock the first holds; give it
        # every chance to go ahead if it did not.
        racer.join(timeout=0.5)

    Partner(first, refuse=True, on_vote=let_the_second_race)
    with pytest.raises(RuntimeError):
        first.commit()
    racer.join()

    assert errors == []
    with store.open(DATA_SHA) as stored:
        assert stored.read() == DATA
    assert blob_and_temporary_files(store) == [os.path.join(DATA_SHA[:2], DATA_SHA[2:4], DATA_SHA)]
