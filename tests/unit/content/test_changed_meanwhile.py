"""Writes on what another transaction changed meanwhile: refused clearly, never a crash.

The other transaction's work is played by statements sent behind the
service's back on the same connection; the live-server tests in
tests/concurrency/ race real requests.
"""

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import with_polymorphic

from charter.audit.models import AuditEntry
from charter.audit.service import Actor
from charter.content.services import ContentService
from charter.errors import ChangedMeanwhile, Conflict, PreconditionFailed
from charter.tree.models import Node


@pytest.fixture
def editor(dbsession, admin_user):
    """The editing service acting for the administrator."""
    return ContentService(dbsession, actor=Actor(admin_user.id, "admin"))


@pytest.fixture
def docs(site_root, editor, dbsession):
    """/docs holding /docs/guide; /archive."""
    docs = editor.create(site_root, "Folder", {"title": "Docs"}, "docs")
    editor.create(docs, "Document", {"title": "Guide", "body": "Hi"}, "guide")
    editor.create(site_root, "Folder", {"title": "Archive"}, "archive")
    dbsession.flush()
    return docs


def node(dbsession, path):
    """The node at ``path`` with its type's columns, as traversal loads it."""
    every_type = with_polymorphic(Node, "*")
    return dbsession.scalars(select(every_type).where(every_type.path == path)).one()


def behind_the_back(dbsession, statement):
    """Run ``statement`` as if another transaction had committed it."""
    dbsession.execute(statement.execution_options(synchronize_session=False))


def entries(dbsession, action):
    return dbsession.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_an_edit_of_a_node_deleted_meanwhile_is_a_precondition_failure(editor, docs, dbsession):
    guide = node(dbsession, "/docs/guide")
    behind_the_back(dbsession, delete(Node).where(Node.id == guide.id))

    with pytest.raises(PreconditionFailed, match="deleted meanwhile") as refusal:
        editor.update(guide, {"title": "Too late"}, expected_version=1)

    assert refusal.value.current_version is None
    assert entries(dbsession, "content.modified") == 0


def test_an_edit_of_a_node_changed_meanwhile_names_the_current_version(editor, docs, dbsession):
    guide = node(dbsession, "/docs/guide")
    behind_the_back(dbsession, update(Node).where(Node.id == guide.id).values(version=7))

    with pytest.raises(PreconditionFailed) as refusal:
        editor.update(guide, {"title": "Too late"}, expected_version=1)

    assert refusal.value.current_version == 7


def test_a_delete_of_a_node_changed_meanwhile_deletes_nothing(editor, docs, dbsession):
    guide = node(dbsession, "/docs/guide")
    behind_the_back(dbsession, update(Node).where(Node.id == guide.id).values(version=2))

    with pytest.raises(PreconditionFailed):
        editor.delete(guide, expected_version=1)
    with pytest.raises(ChangedMeanwhile):
        editor.delete(guide)

    assert dbsession.scalar(select(Node.id).where(Node.path == "/docs/guide")) == guide.id
    assert entries(dbsession, "content.removed") == 0


def test_adding_to_a_folder_deleted_meanwhile_is_changed_meanwhile(editor, docs, dbsession):
    archive = node(dbsession, "/archive")
    behind_the_back(dbsession, delete(Node).where(Node.id == archive.id))

    with pytest.raises(ChangedMeanwhile, match="moved or deleted meanwhile"):
        editor.create(archive, "Document", {"title": "Orphan"})


def test_adding_to_a_folder_moved_meanwhile_is_changed_meanwhile(editor, docs, dbsession):
    archive = node(dbsession, "/archive")
    behind_the_back(dbsession, update(Node).where(Node.id == archive.id).values(path="/elsewhere"))

    with pytest.raises(ChangedMeanwhile):
        editor.create(archive, "Document", {"title": "Lost"})


def test_a_move_into_a_folder_moved_meanwhile_cannot_make_a_cycle(editor, docs, dbsession):
    # This request loaded /archive at the top; meanwhile /archive went into /docs.
    archive = node(dbsession, "/archive")
    behind_the_back(
        dbsession,
        update(Node).where(Node.id == archive.id).values(path="/docs/archive", depth=2),
    )

    with pytest.raises(ChangedMeanwhile):
        editor.move(docs, archive)


def test_a_move_of_a_node_whose_folder_moved_meanwhile_is_changed_meanwhile(
    editor, docs, dbsession
):
    guide = node(dbsession, "/docs/guide")
    archive = node(dbsession, "/archive")
    behind_the_back(
        dbsession,
        update(Node).where(Node.id == guide.id).values(path_hash=bytes(32)),
    )

    with pytest.raises(ChangedMeanwhile):
        editor.move(guide, archive)


def test_generated_names_skip_every_taken_one(editor, docs, site_root, dbsession):
    names = [editor.create(docs, "Document", {"title": "Guide"}).name for _ in range(3)]

    assert names == ["guide-2", "guide-3", "guide-4"]


def test_a_name_taken_is_a_conflict_naming_it(editor, docs, dbsession):
    with pytest.raises(Conflict, match="already holds an item named 'guide'"):
        editor.create(docs, "Document", {"title": "Again"}, "guide")


def test_an_edit_refused_as_stale_leaves_nothing_to_flush(editor, docs, dbsession):
    guide = node(dbsession, "/docs/guide")
    behind_the_back(dbsession, update(Node).where(Node.id == guide.id).values(version=7))

    with pytest.raises(PreconditionFailed):
        editor.update(guide, {"title": "Too late", "body": "Overwritten"}, expected_version=1)
    dbsession.flush()
    dbsession.expire_all()

    guide = node(dbsession, "/docs/guide")
    assert (guide.title, guide.body, guide.version) == ("Guide", "Hi", 7)


def test_an_edit_claims_the_node_and_writes_its_columns_in_one_update(
    editor, docs, dbsession, query_recorder
):
    guide = node(dbsession, "/docs/guide")

    with query_recorder.record() as queries:
        editor.update(guide, {"title": "New", "description": "Now"}, expected_version=1)
        dbsession.flush()
    dbsession.expire_all()

    updates = [q for q in queries if q.lstrip().upper().startswith("UPDATE NODES")]
    assert len(updates) == 1, updates
    guide = node(dbsession, "/docs/guide")
    assert (guide.title, guide.description, guide.version) == ("New", "Now", 2)
    assert guide.modified_by_id == editor.actor.user_id
