"""``charter-blobs CONFIG_URI gc``, run in-process on an ini file and a database of its own."""

import datetime
import io
import os
import time

import pytest
import transaction
from sqlalchemy import create_engine, text

from charter.blobs.store import FilesystemBlobStore, format_size
from charter.blobs.thumbnails import ThumbnailStore
from charter.scripts import blobs, init

HOUR = 3600


@pytest.fixture
def blob_folder(tmp_path):
    return tmp_path / "blobs"


@pytest.fixture
def ini(write_ini, blob_folder, capsys, monkeypatch):
    """An ini file with its blob folder, on a database with a root folder (and so a node id)."""
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-blob-tests")
    path = write_ini(f"charter.blobs.path = {blob_folder}")
    assert init.main([path, "--no-sample"]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def sql(scratch_database_url):
    """Run one SQL statement on the CLI database and commit it."""
    engine = create_engine(scratch_database_url)

    def run(statement, **params):
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return result.all() if result.returns_rows else None

    yield run
    engine.dispose()


@pytest.fixture
def store(blob_folder):
    return FilesystemBlobStore(blob_folder)


def add_blob(store, data, age_hours):
    """Commit a blob with ``data`` and make it ``age_hours`` old; its SHA-256."""
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    info = store.write(io.BytesIO(data), transaction_manager=manager)
    manager.commit()
    then = time.time() - age_hours * HOUR
    os.utime(store.path(info.sha256), (then, then))
    return info.sha256


@pytest.fixture
def blob_set(store, sql, ini):
    """Blobs: one a file row references, two old unreferenced ones, one recent unreferenced."""
    shas = {
        "referenced": add_blob(store, b"the handbook", age_hours=100),
        "old": add_blob(store, b"a deleted file", age_hours=48),
        "older": add_blob(store, b"x" * 3000, age_hours=30 * 24),
        "recent": add_blob(store, b"uploaded an hour ago", age_hours=1),
    }
    root_id = sql("SELECT id FROM nodes WHERE path = '/'")[0][0]
    sql(
        "INSERT INTO files (id, blob_sha256, size, mime_type, filename) "
        "VALUES (:id, :sha, 12, 'text/plain', 'handbook.txt')",
        id=root_id,
        sha=shas["referenced"],
    )
    return shas


def test_gc_removes_unreferenced_blobs_older_than_a_day(ini, store, blob_set, capsys):
    assert blobs.main([ini, "gc"]) == 0

    output = capsys.readouterr().out.splitlines()
    freed = len(b"a deleted file") + 3000
    assert sorted(output[:-1]) == sorted(
        [
            f"Removed blob {blob_set['old']} (14 bytes)",
            f"Removed blob {blob_set['older']} (2.9 KiB)",
        ]
    )
    assert output[-1] == (
        f"Removed 2 unreferenced blob(s) and 0 abandoned upload(s); freed {format_size(freed)}."
    )
    assert sorted(store.iter_all()) == sorted([blob_set["referenced"], blob_set["recent"]])


def test_dry_run_removes_nothing(ini, store, blob_set, capsys):
    before = sorted(store.iter_all())

    assert blobs.main([ini, "gc", "--dry-run"]) == 0

    output = capsys.readouterr().out
    assert f"Would remove blob {blob_set['old']} (14 bytes)" in output
    assert f"Would remove blob {blob_set['older']} (2.9 KiB)" in output
    assert blob_set["referenced"] not in output
    assert blob_set["recent"] not in output
    assert output.splitlines()[-1].startswith("Dry run: 2 unreferenced blob(s) and 0 abandoned")
    assert output.splitlines()[-1].endswith("; nothing was removed.")
    assert sorted(store.iter_all()) == before


def test_gc_removes_the_thumbnails_of_unreferenced_blobs_whatever_their_age(
    ini, store, blob_set, capsys
):
    thumbnails = ThumbnailStore(store, max_source_pixels=1000)
    for name in ("referenced", "recent"):
        thumbnails.get(blob_set[name], "image/png", lambda: io.BytesIO(b"not a picture"))
    made = {name: thumbnails.path(blob_set[name]) for name in ("referenced", "recent")}

    assert blobs.main([ini, "gc"]) == 0

    output = capsys.readouterr().out.splitlines()
    # An image that cannot be scaled leaves an empty file: 0 bytes freed.
    assert f"Removed thumbnail of blob {blob_set['recent']} (0 bytes)" in output
    assert output[-1].startswith(
        "Removed 2 unreferenced blob(s), 0 abandoned upload(s) and 1 thumbnail(s); freed"
    )
    assert made["referenced"].exists()
    assert not made["recent"].exists()
    assert blob_set["recent"] in store.iter_all()  # the blob itself is younger than a day


def test_min_age_hours_reaches_recent_blobs_but_never_referenced_ones(ini, store, blob_set, capsys):
    assert blobs.main([ini, "gc", "--min-age-hours", "1"]) == 0

    output = capsys.readouterr().out
    assert f"Removed blob {blob_set['recent']}" in output
    assert list(store.iter_all()) == [blob_set["referenced"]]


def test_nothing_to_remove_says_so(ini, store, sql, capsys):
    kept = add_blob(store, b"in use", age_hours=100)
    root_id = sql("SELECT id FROM nodes WHERE path = '/'")[0][0]
    sql(
        "INSERT INTO files (id, blob_sha256, size, mime_type, filename) "
        "VALUES (:id, :sha, 6, 'text/plain', 'a.txt')",
        id=root_id,
        sha=kept,
    )

    assert blobs.main([ini, "gc"]) == 0

    assert capsys.readouterr().out == (
        "Nothing to remove: every blob older than 24 hours is referenced "
        "and no upload was abandoned.\n"
    )
    assert list(store.iter_all()) == [kept]


def test_without_a_files_table_it_stops_and_removes_nothing(ini, store, blob_set, sql, capsys):
    sql("DROP TABLE files")
    before = sorted(store.iter_all())

    assert blobs.main([ini, "gc"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "The database has no files table, so nothing is known to reference any blob; "
        "run charter-migrate first. Nothing was removed.\n"
    )
    assert sorted(store.iter_all()) == before


@pytest.mark.parametrize("hours", ["0", "-3", "soon", "87601"])
def test_a_bad_minimum_age_is_refused(ini, hours, capsys):
    with pytest.raises(SystemExit) as stopped:
        blobs.main([ini, "gc", "--min-age-hours", hours])

    assert stopped.value.code == 2
    assert (
        f"argument --min-age-hours: expected a whole number of hours from 1 to 87600, "
        f"got {hours!r}" in capsys.readouterr().err
    )


def test_a_command_is_required(ini, capsys):
    with pytest.raises(SystemExit) as stopped:
        blobs.main([ini])

    assert stopped.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err


def test_a_missing_ini_file_is_one_line(tmp_path):
    with pytest.raises(SystemExit) as stopped:
        blobs.main([str(tmp_path / "nowhere.ini"), "gc"])

    assert str(stopped.value) == f"No such configuration file: {tmp_path / 'nowhere.ini'}"


def test_gc_keeps_the_blobs_old_versions_of_files_refer_to(ini, store, sql, blob_set, capsys):
    root_id = sql("SELECT id FROM nodes WHERE path = '/'")[0][0]
    sql(
        "INSERT INTO revisions (node_id, number, created, comment, fields, blob_sha256) "
        "VALUES (:id, 99, :created, '', '{}', :sha)",
        id=root_id,
        created=datetime.datetime(2026, 1, 1),
        sha=blob_set["old"],
    )

    assert blobs.main([ini, "gc"]) == 0

    output = capsys.readouterr().out
    assert sorted(store.iter_all()) == sorted(
        [blob_set["referenced"], blob_set["old"], blob_set["recent"]]
    )
    assert f"Removed blob {blob_set['older']}" in output
    assert blob_set["old"] not in output
