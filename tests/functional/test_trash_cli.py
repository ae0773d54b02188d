"""``charter-trash CONFIG_URI purge``, run in-process on an ini file and a database of its own."""

import io
import os
import time

import pytest
from sqlalchemy import create_engine, text

from charter.content.registry import types_of
from charter.content.services import ContentService, Uploads
from charter.scripts import blobs, init, trash
from charter.scripts.environment import app_environment

DAY = 86400


@pytest.fixture
def blob_folder(tmp_path):
    return tmp_path / "blobs"


@pytest.fixture
def ini(write_ini, blob_folder, capsys, monkeypatch):
    """An ini file on a database holding the sample site."""
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-trash-tests")
    path = write_ini(f"charter.blobs.path = {blob_folder}")
    assert init.main([path]) == 0
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


def delete(ini_path, path, days_ago, upload=None, hold=False):
    """Move the node at ``path`` to the trash ``days_ago`` days ago (uploading a file into it
    first, when given); the trash entry's id."""
    with app_environment(ini_path) as env:
        request = env["request"]
        with request.tm:
            content = ContentService(
                request.dbsession,
                types=types_of(request.registry),
                uploads=Uploads(request.blobs, request.tm, 1 << 20),
            )
            node = request.tree.resolve([s for s in path.split("/") if s]).context
            if upload is not None:
                content.upload(node, io.BytesIO(upload), "notes.txt")
            if hold:
                node.legal_hold = True
            entry = content.delete(node)
            entry.deleted_at = entry.deleted_at.fromtimestamp(
                time.time() - days_ago * DAY, entry.deleted_at.tzinfo
            )
            return entry.id


def node_count(sql):
    return sql("SELECT COUNT(*) FROM nodes")[0][0]


def test_purge_deletes_what_is_older_than_the_retention(ini, sql, capsys):
    old = delete(ini, "/projects", days_ago=40)
    delete(ini, "/welcome", days_ago=1)
    held = delete(ini, "/policies", days_ago=90, hold=True)
    before = node_count(sql)

    assert trash.main([ini, "purge"]) == 0

    out = capsys.readouterr()
    assert out.err == ""  # no progress bar without a terminal
    lines = out.out.splitlines()
    assert lines[0] == "Purged “Projects” (/projects, 4 items)"
    assert lines[1].startswith("Purged 1 deleted item(s) deleted more than 30 days ago (4 item(s)")
    assert (
        lines[2]
        == "Kept “Policies” (/policies, 2 items): “Policies” (/policies) is under legal hold"
    )
    assert lines[3] == "1 item(s) under legal hold stayed in the trash."
    assert node_count(sql) == before - 4
    ids = {row[0] for row in sql("SELECT id FROM trash_entries")}
    assert old not in ids
    assert held in ids
    assert sql("SELECT actor_login FROM audit_log WHERE action = 'content.purged'") == [("cli",)]


def test_dry_run_and_older_than(ini, sql, capsys):
    delete(ini, "/projects", days_ago=2)
    delete(ini, "/welcome", days_ago=0)
    before = node_count(sql)

    assert trash.main([ini, "purge", "--older-than", "1", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Would purge “Projects” (/projects, 4 items)",
        "Dry run: would purge 1 deleted item(s) deleted more than 1 day ago (4 item(s), "
        "0 bytes of files); nothing was removed.",
    ]
    assert node_count(sql) == before

    assert trash.main([ini, "purge", "--older-than", "0"]) == 0
    assert "Purged 2 deleted item(s)" in capsys.readouterr().out
    assert sql("SELECT COUNT(*) FROM trash_entries") == [(0,)]


def test_nothing_to_purge_and_retention_zero(ini, write_ini, blob_folder, capsys):
    assert trash.main([ini, "purge"]) == 0
    assert capsys.readouterr().out == (
        "Nothing to purge: nothing in the trash was deleted more than 30 days ago.\n"
    )
    keep = write_ini(f"charter.blobs.path = {blob_folder}\ncharter.trash.retention_days = 0")
    assert trash.main([keep, "purge"]) == 0
    assert "keeps everything" in capsys.readouterr().out


@pytest.mark.parametrize("days", ["-1", "x", "36501"])
def test_bad_older_than_is_refused(ini, days, capsys):
    with pytest.raises(SystemExit) as stopped:
        trash.main([ini, "purge", "--older-than", days])
    assert stopped.value.code == 2
    assert "whole number of days" in capsys.readouterr().err


def test_purged_files_blobs_are_collected_by_gc(ini, sql, blob_folder, capsys):
    delete(ini, "/projects", days_ago=40, upload=b"bytes only this file holds")
    [(sha256,)] = sql("SELECT blob_sha256 FROM files")
    blob = next(blob_folder.rglob(sha256))
    then = time.time() - 48 * 3600
    os.utime(blob, (then, then))

    assert blobs.main([ini, "gc", "--dry-run"]) == 0
    assert sha256 not in capsys.readouterr().out  # still in the trash: still referenced
    assert trash.main([ini, "purge"]) == 0
    assert "26 bytes of files" in capsys.readouterr().out
    assert blobs.main([ini, "gc"]) == 0
    assert f"Removed blob {sha256}" in capsys.readouterr().out
    assert not blob.exists()
    assert sql("SELECT COUNT(*) FROM nodes WHERE type = 'File'") == [(0,)]
