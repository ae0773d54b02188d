"""The filesystem blob store: what a write leaves on disk after commit, abort or refusal."""

import contextlib
import hashlib
import io
import os
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
import transaction
from transaction.interfaces import NoTransaction

from charter.blobs.store import (
    CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    BlobTooLarge,
    FilesystemBlobStore,
    collect_garbage,
    format_size,
)

MIB = 1024 * 1024
DAY = 24 * 3600


@pytest.fixture
def store(tmp_path):
    return FilesystemBlobStore(tmp_path / "blobs")


@pytest.fixture
def tm():
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    yield manager
    # Tests that commit or abort themselves leave no transaction to end.
    with contextlib.suppress(NoTransaction):
        manager.abort()


def every_file(root):
    """Every file under ``root``, as paths relative to it."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def commit_blob(store, data, **options):
    """Write ``data`` in a transaction of its own and commit it."""
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    info = store.write(io.BytesIO(data), transaction_manager=manager, **options)
    manager.commit()
    return info


def age(store, sha, seconds):
    """Make the blob look ``seconds`` old."""
    then = time.time() - seconds
    os.utime(store.path(sha), (then, then))


class CountingStream:
    """A file-like object of ``size`` bytes made on demand; counts what was read from it."""

    def __init__(self, size, pattern=bytes(range(256)) * 4096):
        self.remaining = size
        self.pattern = pattern
        self.bytes_read = 0

    def chunks(self):
        """The same bytes ``read`` gives, for computing the expected hash."""
        left = self.remaining
        while left:
            piece = self.pattern[: min(left, len(self.pattern))]
            left -= len(piece)
            yield piece

    def read(self, size=-1):
        if size < 0:
            raise AssertionError("the store must never read the whole stream at once")
        piece = self.pattern[: min(size, self.remaining, len(self.pattern))]
        self.remaining -= len(piece)
        self.bytes_read += len(piece)
        return piece


def test_committed_blob_is_readable_with_its_exact_bytes(store, tm):
    data = b"The quarterly report\n" * 1000

    info = store.write(io.BytesIO(data), transaction_manager=tm)
    tm.commit()

    assert info == BlobInfo(sha256(data), len(data))
    assert info.head == data[: len(info.head)]
    assert store.exists(info.sha256)
    assert store.size(info.sha256) == len(data)
    with store.open(info.sha256) as stored:
        assert stored.read() == data
    digest = info.sha256
    assert store.path(digest) == store.root / digest[:2] / digest[2:4] / digest
    assert every_file(store.root / "tmp") == []


def test_blob_is_invisible_until_the_transaction_commits(store, tm):
    info = store.write(io.BytesIO(b"draft"), transaction_manager=tm)

    assert not store.exists(info.sha256)
    with pytest.raises(BlobNotFound):
        store.open(info.sha256)
    assert list(store.iter_all()) == []


def test_abort_leaves_no_file_anywhere(store, tm):
    store.write(io.BytesIO(b"first upload"), transaction_manager=tm)
    store.write(io.BytesIO(b"second upload"), transaction_manager=tm)

    tm.abort()

    assert every_file(store.root) == []
    assert list(store.iter_all()) == []


def test_same_bytes_twice_in_one_transaction_are_stored_once(store, tm):
    first = store.write(io.BytesIO(b"same bytes"), transaction_manager=tm)
    second = store.write(io.BytesIO(b"same bytes"), transaction_manager=tm)
    tm.commit()

    assert first == second
    assert list(store.iter_all()) == [first.sha256]
    assert every_file(store.root / "tmp") == []


def test_same_bytes_in_two_transactions_are_stored_once(store):
    first = commit_blob(store, b"same bytes")
    second = commit_blob(store, b"same bytes")

    assert first == second
    assert list(store.iter_all()) == [first.sha256]
    assert every_file(store.root / "tmp") == []


def test_empty_content_is_a_blob_too(store):
    info = commit_blob(store, b"")

    assert info == BlobInfo(sha256(b""), 0)
    assert store.size(info.sha256) == 0


def test_too_large_is_refused_as_soon_as_the_limit_is_passed_and_leaves_nothing(store, tm):
    stream = CountingStream(10 * MIB)

    with pytest.raises(BlobTooLarge) as refused:
        store.write(stream, max_size=MIB, transaction_manager=tm)

    assert refused.value.limit == MIB
    assert str(refused.value) == "The file is larger than the limit of 1 MiB."
    assert stream.bytes_read == MIB + 1, "reading stops at the first byte over the limit"
    assert every_file(store.root) == []
    tm.commit()
    assert every_file(store.root) == []


def test_exactly_the_limit_is_accepted(store):
    info = commit_blob(store, b"x" * 1000, max_size=1000)

    assert store.size(info.sha256) == 1000


def test_a_stream_that_breaks_midway_leaves_nothing(store, tm):
    class BrokenUpload:
        def __init__(self):
            self.calls = 0

        def read(self, size=-1):
            self.calls += 1
            if self.calls > 2:
                raise OSError("client went away")
            return b"x" * min(size, 1000)

    with pytest.raises(OSError, match="client went away"):
        store.write(BrokenUpload(), transaction_manager=tm)

    assert every_file(store.root) == []


def test_writing_without_a_transaction_is_refused_and_leaves_nothing(tmp_path):
    store = FilesystemBlobStore(tmp_path / "blobs")
    idle = transaction.TransactionManager(explicit=True)

    with pytest.raises(NoTransaction):
        store.write(io.BytesIO(b"orphan"), transaction_manager=idle)

    assert every_file(store.root) == []


def test_200_mib_are_written_with_flat_memory(store, tm):
    size = 200 * MIB
    stream = CountingStream(size)
    expected = hashlib.sha256()
    for piece in CountingStream(size).chunks():
        expected.update(piece)

    tracemalloc.start()
    try:
        info = store.write(stream, transaction_manager=tm)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tm.commit()

    assert peak < 20 * MIB, f"peak Python allocation {format_size(peak)} while streaming"
    assert info.sha256 == expected.hexdigest()
    assert store.size(info.sha256) == size


def test_chunks_are_bounded(store, tm):
    stream = CountingStream(3 * CHUNK_SIZE + 5)
    reads = []
    original = stream.read

    def read(size=-1):
        reads.append(size)
        return original(size)

    stream.read = read
    store.write(stream, transaction_manager=tm)

    assert max(reads) == CHUNK_SIZE


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "ABCDEF" + "0" * 58, "0" * 63, "g" * 64, "", None]
)
def test_a_malformed_hash_is_never_a_path(store, bad):
    with pytest.raises(ValueError, match="Not a SHA-256"):
        store.path(bad)
    with pytest.raises(ValueError, match="Not a SHA-256"):
        store.open(bad)


def test_unknown_blob_is_not_found(store):
    missing = sha256(b"never stored")

    assert not store.exists(missing)
    with pytest.raises(BlobNotFound) as not_found:
        store.open(missing)
    assert not_found.value.sha256 == missing
    with pytest.raises(BlobNotFound):
        store.size(missing)


def test_iter_all_lists_the_blobs_in_order_and_nothing_else(store, tm):
    hashes = sorted(commit_blob(store, bytes([n]) * 10).sha256 for n in range(5))
    # An upload in progress, a stray file and a folder that is not a stripe.
    store.write(io.BytesIO(b"uncommitted"), transaction_manager=tm)
    (store.root / hashes[0][:2] / "README").write_text("not a blob")
    (store.root / "lost+found").mkdir()

    assert list(store.iter_all()) == hashes


def test_a_relative_root_is_made_absolute_at_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = FilesystemBlobStore(Path("var/blobs"))

    monkeypatch.chdir("/")
    info = commit_blob(store, b"kept")

    assert store.root == tmp_path / "var" / "blobs"
    assert (tmp_path / "var" / "blobs" / "tmp").is_dir()
    assert store.path(info.sha256).is_file()


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (100 * MIB, "100 MiB"),
        (5 * 1024**4, "5 TiB"),
        (2048 * 1024**4, "2048 TiB"),
    ],
)
def test_format_size(size, shown):
    assert format_size(size) == shown


# Garbage collection


def test_gc_removes_only_unreferenced_blobs_older_than_the_minimum_age(store):
    kept = commit_blob(store, b"referenced, old")
    garbage = commit_blob(store, b"unreferenced, old")
    recent = commit_blob(store, b"unreferenced, recent")
    age(store, kept.sha256, 2 * DAY)
    age(store, garbage.sha256, 2 * DAY)
    age(store, recent.sha256, 3600)

    result = collect_garbage(store, {kept.sha256}, timedelta(hours=24))

    assert result.blobs == [BlobInfo(garbage.sha256, len(b"unreferenced, old"))]
    assert result.freed_bytes == len(b"unreferenced, old")
    assert sorted(store.iter_all()) == sorted([kept.sha256, recent.sha256])


def test_gc_dry_run_removes_nothing_but_tells_what_it_would(store):
    garbage = commit_blob(store, b"unreferenced, old")
    age(store, garbage.sha256, 2 * DAY)
    before = every_file(store.root)

    result = collect_garbage(store, set(), timedelta(hours=24), dry_run=True)

    assert result.blobs == [BlobInfo(garbage.sha256, len(b"unreferenced, old"))]
    assert every_file(store.root) == before


def test_gc_keeps_an_old_blob_that_a_new_upload_reused(store):
    old = commit_blob(store, b"uploaded again today")
    age(store, old.sha256, 30 * DAY)

    commit_blob(store, b"uploaded again today")
    result = collect_garbage(store, set(), timedelta(hours=24))

    assert result.blobs == []
    assert store.exists(old.sha256)


def test_gc_removes_abandoned_uploads_but_not_current_ones(store, tm):
    abandoned = store.root / "tmp" / "upload-crashed.part"
    abandoned.write_bytes(b"x" * 300)
    then = time.time() - 2 * DAY
    os.utime(abandoned, (then, then))
    store.write(io.BytesIO(b"in progress"), transaction_manager=tm)

    dry = collect_garbage(store, set(), timedelta(hours=24), dry_run=True)
    assert abandoned.exists()
    result = collect_garbage(store, set(), timedelta(hours=24))

    assert dry.abandoned_uploads == result.abandoned_uploads == [("upload-crashed.part", 300)]
    assert not abandoned.exists()
    assert len(every_file(store.root / "tmp")) == 1, "the current upload's file stays"
    tm.commit()
    assert store.exists(sha256(b"in progress"))


def test_gc_refuses_a_negative_minimum_age(store):
    with pytest.raises(ValueError, match="min_age"):
        collect_garbage(store, set(), timedelta(hours=-1))
