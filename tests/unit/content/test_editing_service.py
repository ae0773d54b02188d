"""The editing service: every operation allowed, forbidden and with bad input."""

import pytest
from sqlalchemy import func, select

from charter.audit.models import AuditEntry
from charter.audit.service import Actor
from charter.content.events import (
    ObjectAdded,
    ObjectModified,
    ObjectMoved,
    ObjectRemoved,
    ObjectTrashed,
    RevisionCreated,
)
from charter.content.models import Document, Folder
from charter.content.services import ContentService
from charter.errors import Conflict, Forbidden, PreconditionFailed, ValidationFailed
from charter.security.roles import Permission
from charter.tree.models import LocalRole, Node


@pytest.fixture
def events():
    """Every event the service sends, in order."""
    return []


@pytest.fixture
def editor(dbsession, events, admin_user):
    """The editing service acting for the administrator, allowed everything."""
    return ContentService(dbsession, actor=Actor(admin_user.id, "admin"), notify=events.append)


@pytest.fixture
def tree_of(site_root, editor, dbsession):
    """/docs (Folder) holding /docs/guide (Document) and /docs/deep/leaf; /archive (Folder)."""
    docs = editor.create(site_root, "Folder", {"title": "Docs"}, "docs")
    guide = editor.create(docs, "Document", {"title": "Guide", "body": "# Hi"}, "guide")
    deep = editor.create(docs, "Folder", {"title": "Deep"}, "deep")
    editor.create(deep, "Document", {"title": "Leaf", "body": "*leaf*"}, "leaf")
    archive = editor.create(site_root, "Folder", {"title": "Archive"}, "archive")
    dbsession.flush()
    return {"docs": docs, "guide": guide, "deep": deep, "archive": archive}


def paths(dbsession):
    dbsession.expire_all()
    return sorted(dbsession.scalars(select(Node.path)))


def denying(dbsession, permission):
    """A service whose caller lacks ``permission`` everywhere (and holds every other)."""
    return ContentService(dbsession, permits=lambda node, wanted: wanted != permission)


def test_create_names_from_the_title_and_stamps_the_actor(site_root, editor, events, admin_user):
    first = editor.create(site_root, "Document", {"title": "Annual Report 2026", "body": "x"})
    second = editor.create(site_root, "Document", {"title": "Annual report 2026"})

    assert (first.name, second.name) == ("annual-report-2026", "annual-report-2026-2")
    assert isinstance(first, Document)
    assert first.body_html == "<p>x</p>\n"
    assert first.created_by_id == first.owner_id == admin_user.id
    assert first.version == 1
    assert [type(event) for event in events] == [ObjectAdded, RevisionCreated] * 2
    assert events[0].parent is site_root


def test_create_refuses_bad_fields_and_adds_nothing(site_root, editor, dbsession):
    before = paths(dbsession)

    with pytest.raises(ValidationFailed) as caught:
        editor.create(site_root, "Document", {"title": " ", "colour": "red"})

    assert dict(caught.value.errors) == {
        "title": "a title is required",
        "colour": "Extra inputs are not permitted",
    }
    assert paths(dbsession) == before


def test_create_refuses_an_unknown_type_and_a_non_container(tree_of, editor):
    with pytest.raises(Exception, match="no content type named 'Spreadsheet'"):
        editor.create(tree_of["docs"], "Spreadsheet", {"title": "x"})
    with pytest.raises(Conflict, match="cannot be placed in /docs/guide"):
        editor.create(tree_of["guide"], "Document", {"title": "x"})


def test_create_needs_add(site_root, dbsession):
    with pytest.raises(Forbidden):
        denying(dbsession, Permission.ADD).create(site_root, "Folder", {"title": "No"})
    assert dbsession.scalar(select(func.count()).select_from(Node)) == 1


def test_update_changes_only_what_is_sent_and_moves_the_version(tree_of, editor, events):
    guide = tree_of["guide"]

    editor.update(guide, {"body": "## New"}, expected_version=1)

    assert (guide.title, guide.body, guide.version) == ("Guide", "## New", 2)
    assert guide.body_html == "<h3>New</h3>\n"
    assert [type(event) for event in events[-2:]] == [ObjectModified, RevisionCreated]
    assert events[-2].changes == {"body": "## New"}


def test_update_with_a_stale_version_changes_nothing(tree_of, editor, dbsession):
    guide = tree_of["guide"]
    editor.update(guide, {"title": "First"}, expected_version=1)

    with pytest.raises(PreconditionFailed) as caught:
        editor.update(guide, {"title": "Second"}, expected_version=1)

    assert caught.value.current_version == 2
    dbsession.expire_all()
    assert (guide.title, guide.version) == ("First", 2)


def test_update_refused_in_the_database_when_another_writer_got_there_first(
    tree_of, editor, dbsession
):
    guide = tree_of["guide"]
    # Another transaction moved the version on after this one loaded the node.
    dbsession.execute(Node.__table__.update().where(Node.id == guide.id).values(version=7))

    with pytest.raises(PreconditionFailed):
        editor.update(guide, {"title": "Lost"}, expected_version=1)
    dbsession.expire_all()
    assert guide.title == "Guide"


def test_update_needs_edit(tree_of, dbsession):
    with pytest.raises(Forbidden):
        denying(dbsession, Permission.EDIT).update(tree_of["guide"], {"title": "x"}, 1)


def test_update_without_changes_keeps_the_version(tree_of, editor):
    editor.update(tree_of["guide"], {"title": "Guide"}, expected_version=1)

    assert tree_of["guide"].version == 1


def test_move_keeps_the_subtree_reachable_and_fires_moved(tree_of, editor, dbsession, events):
    editor.move(tree_of["docs"], tree_of["archive"])

    assert "/archive/docs/deep/leaf" in paths(dbsession)
    assert "/docs" not in paths(dbsession)
    assert isinstance(events[-1], ObjectMoved)
    assert events[-1].old_path == "/docs"


def test_move_needs_delete_here_and_add_there(tree_of, dbsession):
    before = paths(dbsession)
    for missing in (Permission.DELETE, Permission.ADD):
        with pytest.raises(Forbidden):
            denying(dbsession, missing).move(tree_of["docs"], tree_of["archive"])
    assert paths(dbsession) == before


def test_move_into_its_own_subtree_is_refused(tree_of, editor, dbsession):
    before = paths(dbsession)
    with pytest.raises(Conflict):
        editor.move(tree_of["docs"], tree_of["deep"])
    assert paths(dbsession) == before


def test_rename(tree_of, editor, dbsession):
    editor.rename(tree_of["docs"], "manuals")

    assert "/manuals/deep/leaf" in paths(dbsession)


def test_copy_is_deep_with_new_uids_and_keeps_grants(tree_of, editor, dbsession, events):
    tree_of["deep"].local_roles.append(LocalRole(principal="group:staff", role="Editor"))
    dbsession.flush()
    originals = {n.path: n.uid for n in dbsession.scalars(select(Node))}

    top = editor.copy(tree_of["docs"], tree_of["archive"])

    dbsession.expire_all()
    copied = {
        n.path: n for n in dbsession.scalars(select(Node).where(Node.path.like("/archive/docs%")))
    }
    assert sorted(copied) == [
        "/archive/docs",
        "/archive/docs/deep",
        "/archive/docs/deep/leaf",
        "/archive/docs/guide",
    ]
    assert not {n.uid for n in copied.values()} & set(originals.values())
    assert copied["/archive/docs/guide"].body == "# Hi"
    assert [g.role for g in copied["/archive/docs/deep"].local_roles] == ["Editor"]
    assert top.version == 1
    # The copy is announced, then the first revision of each of its four nodes.
    assert [type(event) for event in events[-5:]] == [ObjectAdded] + [RevisionCreated] * 4
    assert "/docs/guide" in paths(dbsession)  # the original stays


def test_copy_beside_the_original_gets_a_new_name(tree_of, editor, site_root):
    top = editor.copy(tree_of["docs"], site_root)

    assert top.name == "docs-2"


def test_reorder_puts_the_named_children_in_order(tree_of, editor, dbsession):
    docs = tree_of["docs"]
    editor.create(docs, "Document", {"title": "Third"}, "third")

    editor.reorder(docs, ["third", "guide"])

    order = list(
        dbsession.scalars(
            select(Node.name).where(Node.parent_id == docs.id).order_by(Node.position, Node.id)
        )
    )
    assert order == ["third", "deep", "guide"]


def test_reorder_refuses_unknown_and_repeated_names(tree_of, editor):
    with pytest.raises(ValidationFailed, match="no item named nope"):
        editor.reorder(tree_of["docs"], ["guide", "nope"])
    with pytest.raises(ValidationFailed, match="more than once"):
        editor.reorder(tree_of["docs"], ["guide", "guide"])


def test_delete_moves_the_subtree_to_the_trash(tree_of, editor, dbsession, events):
    entry = editor.delete(tree_of["docs"], expected_version=1)

    assert [p for p in paths(dbsession) if p.startswith("/docs")] == []
    assert [p for p in paths(dbsession) if p.startswith("@trash/")] == [
        f"@trash/{entry.id}",
        f"@trash/{entry.id}/deep",
        f"@trash/{entry.id}/deep/leaf",
        f"@trash/{entry.id}/guide",
    ]
    # The rows stay, restorable; purging deletes them (tests/unit/trash).
    assert dbsession.scalar(select(func.count()).select_from(Document)) == 2
    assert isinstance(events[-1], ObjectTrashed)
    assert not isinstance(events[-1], ObjectRemoved)
    assert events[-1].old_path == "/docs"
    assert (
        dbsession.scalars(select(AuditEntry.action).where(AuditEntry.target == "/docs")).all()[-1]
        == "content.trashed"
    )


def test_delete_of_a_stale_version_or_the_root_is_refused(tree_of, editor, site_root, dbsession):
    before = paths(dbsession)
    with pytest.raises(PreconditionFailed):
        editor.delete(tree_of["docs"], expected_version=5)
    with pytest.raises(Conflict):
        editor.delete(site_root)
    with pytest.raises(Forbidden):
        denying(dbsession, Permission.DELETE).delete(tree_of["guide"])
    assert paths(dbsession) == before


def test_types_registered_through_the_public_directive(charter_app):
    from charter.content.registry import types_of

    types = types_of(charter_app.registry)

    assert [t.name for t in types] == ["Document", "File", "Folder"]
    assert types.get("Folder").model is Folder
    assert types.get("Document").json_schema()["properties"]["body"]["type"] == "string"


def test_a_copy_beside_its_original_is_titled_copy_of(tree_of, editor):
    guide = tree_of["guide"]

    copy = editor.copy(guide, tree_of["docs"])

    assert copy.title == "Copy of Guide"
    assert guide.title == "Guide"


def test_a_copy_elsewhere_keeps_its_title(tree_of, editor):
    copy = editor.copy(tree_of["guide"], tree_of["archive"])

    assert copy.title == "Guide"


def test_a_copys_title_stays_within_the_limit():
    from charter.content.schemas import MAX_TITLE_LENGTH
    from charter.content.services import copy_title

    assert len(copy_title("x" * MAX_TITLE_LENGTH)) == MAX_TITLE_LENGTH
