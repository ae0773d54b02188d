"""``charter-revisions CONFIG_URI prune``, run in-process on an ini file and a database of its
own; then ``charter-blobs gc`` collects only the bytes no revision refers to any more."""

import io
import os
import time

import pytest
import transaction
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from charter.audit.models import AuditEntry
from charter.blobs.store import FilesystemBlobStore
from charter.content.services import ContentService, Uploads
from charter.history.models import Revision
from charter.scripts import blobs, init, revisions
from charter.settings import SettingsError
from charter.tree.services import TreeService

HOUR = 3600


@pytest.fixture
def blob_folder(tmp_path):
    return tmp_path / "blobs"


@pytest.fixture
def site(write_ini, blob_folder, scratch_database_url, capsys, monkeypatch):
    """``site(keep)``: an initialised site whose ini keeps ``keep`` revisions; its path."""
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-revision-tests")

    def make(keep):
        path = write_ini(f"charter.blobs.path = {blob_folder}\ncharter.revisions.keep = {keep}")
        assert init.main([path, "--no-sample"]) == 0
        capsys.readouterr()
        return path

    return make


@pytest.fixture
def engine(scratch_database_url):
    engine = create_engine(scratch_database_url)
    yield engine
    engine.dispose()


def add_document_with_revisions(engine, name, count):
    """A document at the root saved ``count`` times (revisions 1 to ``count``)."""
    with Session(engine) as session, session.begin():
        content = ContentService(session)
        document = content.create(TreeService(session).root(), "Document", {"title": name}, name)
        for number in range(2, count + 1):
            content.update(document, {"body": f"Version {number}"}, number - 1)


def numbers(engine, path):
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Revision.number)
                .join(Revision.node)
                .where(Revision.node.has(path=path))
                .order_by(Revision.number)
            )
        )


def test_keep_0_prunes_nothing(site, engine, capsys):
    ini = site(0)
    add_document_with_revisions(engine, "guide", 4)

    assert revisions.main([ini, "prune"]) == 0

    assert capsys.readouterr().out == (
        "charter.revisions.keep is 0: every revision is kept; nothing was pruned.\n"
    )
    assert numbers(engine, "/guide") == [1, 2, 3, 4]


def test_prune_keeps_the_first_and_the_newest(site, engine, capsys):
    ini = site(2)
    add_document_with_revisions(engine, "guide", 6)
    add_document_with_revisions(engine, "short", 2)

    assert revisions.main([ini, "prune", "--dry-run"]) == 0
    assert capsys.readouterr().out == (
        "Dry run: would prune 3 revision(s) of 1 node(s); each node keeps its first revision "
        "and its newest 2. Nothing was removed.\n"
    )
    assert numbers(engine, "/guide") == [1, 2, 3, 4, 5, 6]

    assert revisions.main([ini, "prune"]) == 0
    assert capsys.readouterr().out == (
        "Pruned 3 revision(s) of 1 node(s); each node keeps its first revision and its newest 2.\n"
    )
    assert numbers(engine, "/guide") == [1, 5, 6]
    assert numbers(engine, "/short") == [1, 2]
    with Session(engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "revisions.pruned")
        ).one()
        assert (entry.actor_login, entry.details) == ("cli", {"count": 3, "nodes": 1, "keep": 2})

    assert revisions.main([ini, "prune"]) == 0
    assert capsys.readouterr().out == (
        "Nothing to prune: each node keeps its first revision and its newest 2 already.\n"
    )


@pytest.mark.parametrize("keep", ["-1", "many", "1000001"])
def test_a_bad_keep_stops_the_command_naming_the_setting(site, write_ini, keep):
    site(0)
    ini = write_ini(f"charter.revisions.keep = {keep}")

    with pytest.raises(SettingsError, match=r"charter\.revisions\.keep"):
        revisions.main([ini, "prune"])


def test_a_missing_command_is_a_usage_error(site, capsys):
    ini = site(1)

    with pytest.raises(SystemExit) as stopped:
        revisions.main([ini])

    assert stopped.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_gc_collects_the_bytes_of_pruned_versions_only(site, engine, blob_folder, capsys):
    ini = site(1)
    store = FilesystemBlobStore(blob_folder)
    contents = [b"first version\n", b"second version\n", b"third version\n"]
    with Session(engine) as session, session.begin():
        manager = transaction.TransactionManager(explicit=True)
        manager.begin()
        content = ContentService(session, uploads=Uploads(store, manager, 1 << 20))
        node = content.upload(TreeService(session).root(), io.BytesIO(contents[0]), "r.txt")
        for version, data in enumerate(contents[1:], start=1):
            content.replace(node, io.BytesIO(data), None, version)
        shas = [
            revision.blob_sha256
            for revision in session.scalars(
                select(Revision).where(Revision.node_id == node.id).order_by(Revision.number)
            )
        ]
        manager.commit()
    past = time.time() - 48 * HOUR
    for sha in shas:
        os.utime(store.path(sha), (past, past))

    assert revisions.main([ini, "prune"]) == 0
    assert blobs.main([ini, "gc"]) == 0

    assert sorted(store.iter_all()) == sorted([shas[0], shas[2]])
    assert f"Removed blob {shas[1]}" in capsys.readouterr().out
