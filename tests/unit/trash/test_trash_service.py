"""The trash service: trashing, listing, restoring, purging and legal holds."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from charter.audit.models import AuditEntry
from charter.audit.service import Actor
from charter.content.events import ObjectPurged, ObjectRemoved, ObjectRestored, ObjectTrashed
from charter.content.models import Document
from charter.content.services import ContentService
from charter.errors import Conflict, Forbidden, NotFound, ValidationFailed
from charter.security.roles import Permission
from charter.trash.listing import TrashQuery
from charter.trash.models import TrashEntry, TrashEntryPrincipal
from charter.trash.services import (
    NAME_TAKEN,
    PARENT_GONE,
    RestoreConflict,
    TrashAccess,
    TrashService,
    UnderLegalHold,
)
from charter.tree.models import LocalRole, Node, NodeViewer
from charter.tree.services import TreeService

SETTINGS = {"charter.api.default_page_size": 50, "charter.api.max_page_size": 200}


@pytest.fixture
def events():
    """Every event the services send, in order."""
    return []


@pytest.fixture
def editor(dbsession, events, admin_user):
    """The editing service acting for the administrator, allowed everything."""
    return ContentService(dbsession, actor=Actor(admin_user.id, "admin"), notify=events.append)


@pytest.fixture
def trash(dbsession, events, admin_user):
    """The trash as the administrator sees it."""
    return TrashService(dbsession, actor=Actor(admin_user.id, "admin"), notify=events.append)


@pytest.fixture
def site(site_root, editor, dbsession):
    """/docs (Folder: guide, deep/leaf), /archive (Folder)."""
    docs = editor.create(site_root, "Folder", {"title": "Docs"}, "docs")
    guide = editor.create(docs, "Document", {"title": "Guide", "body": "# Hi"}, "guide")
    deep = editor.create(docs, "Folder", {"title": "Deep"}, "deep")
    leaf = editor.create(deep, "Document", {"title": "Leaf", "body": "*leaf*"}, "leaf")
    archive = editor.create(site_root, "Folder", {"title": "Archive"}, "archive")
    dbsession.flush()
    return {
        "root": site_root,
        "docs": docs,
        "guide": guide,
        "deep": deep,
        "leaf": leaf,
        "archive": archive,
    }


def live_paths(dbsession):
    dbsession.expire_all()
    return sorted(p for p in dbsession.scalars(select(Node.path)) if p.startswith("/"))


def rows(dbsession):
    dbsession.expire_all()
    return {
        uid: (version, position)
        for uid, version, position in dbsession.execute(
            select(Node.uid, Node.version, Node.position)
        )
    }


def test_delete_moves_the_subtree_out_of_the_live_tree(site, editor, dbsession, events, tree):
    uids = {name: site[name].uid for name in ("docs", "guide", "deep", "leaf")}

    entry = editor.delete(site["docs"], expected_version=1)

    assert live_paths(dbsession) == ["/", "/archive"]
    trashed = dict(
        dbsession.execute(select(Node.uid, Node.path).where(Node.uid.in_(uids.values()))).all()
    )
    assert trashed == {
        uids["docs"]: f"@trash/{entry.id}",
        uids["guide"]: f"@trash/{entry.id}/guide",
        uids["deep"]: f"@trash/{entry.id}/deep",
        uids["leaf"]: f"@trash/{entry.id}/deep/leaf",
    }
    assert dbsession.scalar(select(func.count()).select_from(Document)) == 2
    assert (entry.item_count, entry.original_path, entry.type, entry.name) == (
        4,
        "/docs",
        "Folder",
        "docs",
    )
    assert dbsession.get(Node, site["docs"].id).parent_id is None
    assert [type(e) for e in events[-1:]] == [ObjectTrashed]
    assert not isinstance(events[-1], ObjectRemoved)
    assert tree.resolve(["docs"]).remainder == ["docs"]
    assert tree.path_of_uid(uids["leaf"]) is None
    action = dbsession.scalars(select(AuditEntry.action).where(AuditEntry.target == "/docs"))
    assert action.all()[-1] == "content.trashed"


def test_the_name_is_free_again_and_listings_skip_the_trash(site, editor, dbsession, tree):
    editor.delete(site["guide"])
    again = editor.create(site["docs"], "Document", {"title": "New guide"}, "guide")

    assert again.path == "/docs/guide"
    page = tree.children_page(site["docs"], 50)
    assert [child.name for child in page.items] == ["deep", "guide"]
    assert tree.count_visible_descendants(site["docs"], None) == 3


def test_file_bytes_count_the_files_of_the_subtree(site, editor, dbsession, content):
    from charter.content.models import File

    dbsession.add(
        File(title="A", blob_sha256="a" * 64, size=1000, mime_type="text/plain", filename="a.txt")
    )
    file = File(
        title="A", blob_sha256="a" * 64, size=1000, mime_type="text/plain", filename="a.txt"
    )
    dbsession.expunge_all()
    docs = tree_resolve(dbsession, "/docs")
    TreeService(dbsession).add(docs, file, "a.txt")
    deep = tree_resolve(dbsession, "/docs/deep")
    TreeService(dbsession).add(
        deep,
        File(title="B", blob_sha256="b" * 64, size=24, mime_type="text/plain", filename="b.txt"),
        "b.txt",
    )
    dbsession.flush()

    entry = editor.delete(tree_resolve(dbsession, "/docs"))

    assert (entry.item_count, entry.file_bytes) == (6, 1024)


def tree_resolve(dbsession, path):
    return TreeService(dbsession).resolve([s for s in path.split("/") if s]).context


def test_restore_brings_back_uids_versions_positions_and_sharing(
    site, editor, trash, dbsession, events
):
    site["deep"].local_roles.append(LocalRole(principal="group:crew", role="Reader"))
    TreeService(dbsession).refresh_viewers(site["deep"])
    before_paths = live_paths(dbsession)
    before = rows(dbsession)
    viewers_before = sorted(dbsession.execute(select(NodeViewer.node_id, NodeViewer.principal)))

    entry = editor.delete(site["guide"])
    entry_id = entry.id
    restored = trash.restore(entry_id)

    assert restored.path == "/docs/guide"
    assert live_paths(dbsession) == before_paths
    after = rows(dbsession)
    # The claim moved the top's version on once; nothing else changed.
    assert after[site["guide"].uid] == (
        before[site["guide"].uid][0] + 1,
        before[site["guide"].uid][1],
    )
    assert {k: v for k, v in after.items() if k != site["guide"].uid} == {
        k: v for k, v in before.items() if k != site["guide"].uid
    }
    assert sorted(dbsession.execute(select(NodeViewer.node_id, NodeViewer.principal))) == (
        viewers_before
    )
    assert dbsession.get(TrashEntry, entry_id) is None
    assert isinstance(events[-1], ObjectRestored)
    assert events[-1].original_path == "/docs/guide"


def test_restore_a_folder_into_another_folder_and_name(site, editor, trash, dbsession):
    entry = editor.delete(site["docs"])

    restored = trash.restore(entry.id, target="/archive", name="old-docs")

    assert restored.path == "/archive/old-docs"
    assert "/archive/old-docs/deep/leaf" in live_paths(dbsession)
    leaf = dbsession.scalars(select(Node).where(Node.uid == site["leaf"].uid)).one()
    assert leaf.depth == 4
    # Last in its new folder.
    assert restored.position == 0


def test_restore_refuses_a_taken_name_and_a_gone_parent(site, editor, trash, dbsession):
    guide_entry = editor.delete(site["guide"])
    editor.create(site["docs"], "Document", {"title": "Other"}, "guide")
    with pytest.raises(RestoreConflict) as taken:
        trash.restore(guide_entry.id)
    assert taken.value.reason == NAME_TAKEN
    assert "guide" in taken.value.detail

    leaf_entry = editor.delete(tree_resolve(dbsession, "/docs/deep/leaf"))
    editor.delete(tree_resolve(dbsession, "/docs/deep"))
    with pytest.raises(RestoreConflict) as gone:
        trash.restore(leaf_entry.id)
    assert gone.value.reason == PARENT_GONE

    assert trash.restore(guide_entry.id, name="guide-old").path == "/docs/guide-old"
    assert trash.restore(leaf_entry.id, target="/docs").path == "/docs/leaf"


def test_restore_checks_the_target(site, editor, trash, dbsession):
    entry = editor.delete(site["guide"])
    for target in ("/nowhere", "docs", "/docs/deep/leaf"):
        with pytest.raises(ValidationFailed) as refused:
            trash.restore(entry.id, target=target)
        assert refused.value.errors[0][0] == "target"
    with pytest.raises(ValidationFailed):
        trash.restore(entry.id, name="bad name")
    denied = TrashService(dbsession, permits=lambda node, wanted: wanted != Permission.ADD)
    with pytest.raises(Forbidden):
        denied.restore(entry.id)
    assert dbsession.get(TrashEntry, entry.id) is not None


def test_restore_into_the_trash_is_impossible(site, editor, trash, dbsession):
    docs_entry = editor.delete(site["docs"])
    with pytest.raises(ValidationFailed):
        trash.restore(docs_entry.id, target=f"@trash/{docs_entry.id}")
    with pytest.raises(ValidationFailed):
        trash.restore(docs_entry.id, target=f"/@trash/{docs_entry.id}")


def test_purge_deletes_the_rows_for_good(site, editor, trash, dbsession, events):
    entry = editor.delete(site["docs"])
    entry_id = entry.id

    assert trash.purge(entry_id) == 4
    dbsession.expire_all()
    assert dbsession.scalar(select(func.count()).select_from(Document)) == 0
    assert dbsession.get(TrashEntry, entry_id) is None
    assert isinstance(events[-1], ObjectPurged)
    assert events[-1].count == 4
    with pytest.raises(NotFound):
        trash.purge(entry_id)
    with pytest.raises(NotFound):
        trash.restore(entry_id)


def test_purging_a_folder_leaves_entries_deleted_from_it_restorable_elsewhere(
    site, editor, trash, dbsession
):
    leaf_entry = editor.delete(site["leaf"])
    docs_entry = editor.delete(site["docs"])
    trash.purge(docs_entry.id)
    dbsession.expire_all()

    assert dbsession.get(TrashEntry, leaf_entry.id).original_parent_id is None
    with pytest.raises(RestoreConflict):
        trash.restore(leaf_entry.id)
    assert trash.restore(leaf_entry.id, target="/archive").path == "/archive/leaf"


def test_legal_hold_on_the_entry_or_a_node_blocks_purges(site, editor, trash, dbsession):
    trash.set_node_hold(site["leaf"], True)
    docs_entry = editor.delete(site["docs"])
    with pytest.raises(UnderLegalHold) as held:
        trash.purge(docs_entry.id)
    assert "/docs/deep/leaf" in held.value.detail

    archive_entry = editor.delete(site["archive"])
    trash.set_entry_hold(archive_entry.id, True)
    with pytest.raises(UnderLegalHold):
        trash.purge(archive_entry.id)

    outcome = trash.empty()
    assert (outcome.purged, sorted(e.id for e in outcome.held)) == (
        0,
        sorted([docs_entry.id, archive_entry.id]),
    )
    trash.set_entry_hold(archive_entry.id, False)
    assert trash.purge(archive_entry.id) == 1
    # Lifting an entry's hold lifts those of the nodes inside it too.
    trash.set_entry_hold(docs_entry.id, False)
    assert trash.purge(docs_entry.id) == 4


def test_only_administrators_set_holds(site, dbsession, editor):
    entry = editor.delete(site["guide"])
    someone = TrashService(
        dbsession, access=TrashAccess(user_id=1, principals=frozenset(), may_hold=False)
    )
    with pytest.raises(Forbidden):
        someone.set_node_hold(site["docs"], True)
    with pytest.raises(Forbidden):
        TrashService(dbsession, access=TrashAccess(may_hold=False)).set_entry_hold(entry.id, True)
    no_manage = TrashService(dbsession, permits=lambda node, wanted: wanted != Permission.MANAGE)
    with pytest.raises(Forbidden):
        no_manage.set_node_hold(site["docs"], True)


def test_who_sees_an_entry(site, dbsession, make_user, events):
    ann = make_user("ann", groups=["crew"])
    bob = make_user("bob")
    carl = make_user("carl")
    site["docs"].local_roles.append(LocalRole(principal="group:crew", role="Editor"))
    site["deep"].local_roles.append(LocalRole(principal=f"user:{carl.id}", role="Manager"))
    dbsession.flush()
    by_bob = ContentService(dbsession, actor=Actor(bob.id, "bob"))
    leaf = by_bob.delete(site["leaf"])
    docs = by_bob.delete(site["docs"])

    def seen(user, principals):
        access = TrashAccess(user.id, frozenset(principals), True, False)
        page = TrashService(dbsession, access=access).page(TrashQuery(limit=50))
        return sorted(entry.id for entry in page.items)

    assert seen(bob, [f"user:{bob.id}"]) == sorted([leaf.id, docs.id])
    # Editor on /docs could delete the leaf (delete on it and its folder), not /docs itself.
    assert seen(ann, [f"user:{ann.id}", "group:crew"]) == [leaf.id]
    assert seen(carl, [f"user:{carl.id}"]) == [leaf.id]
    assert seen(make_user("dan"), ["user:999"]) == []
    principals = set(
        dbsession.scalars(
            select(TrashEntryPrincipal.principal).where(TrashEntryPrincipal.entry_id == docs.id)
        )
    )
    assert principals == set()
    with pytest.raises(NotFound):
        TrashService(dbsession, access=TrashAccess(ann.id, frozenset({"group:crew"}))).get(docs.id)


def test_listing_filters_and_pages(site, editor, trash, dbsession, make_user):
    bob = make_user("bob")
    entries = [editor.delete(site["guide"]), editor.delete(site["leaf"])]
    by_bob = ContentService(dbsession, actor=Actor(bob.id, "bob"))
    entries.append(by_bob.delete(site["archive"]))

    def ids(**params):
        query = TrashQuery.from_params(params, SETTINGS)
        return [entry.id for entry in trash.page(query).items]

    newest_first = [entry.id for entry in reversed(entries)]
    assert ids() == newest_first
    assert ids(type="Folder") == [entries[2].id]
    assert ids(deleted_by="bob") == [entries[2].id]
    assert ids(path="/docs") == [entries[1].id, entries[0].id]
    assert ids(path="/docs/deep/") == [entries[1].id]
    assert ids(path="/doc") == []
    today = dt.datetime.now(dt.UTC).date()
    assert ids(since=str(today), until=str(today)) == newest_first
    assert ids(until=str(today - dt.timedelta(days=1))) == []

    first = trash.page(TrashQuery.from_params({"limit": "2"}, SETTINGS))
    assert [e.id for e in first.items] == newest_first[:2]
    second = trash.page(
        TrashQuery.from_params({"limit": "2", "after": first.next_cursor}, SETTINGS)
    )
    assert [e.id for e in second.items] == newest_first[2:]
    assert second.next_cursor is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "²"}, "limit"),
        ({"after": "nope"}, "after"),
        ({"since": "yesterday"}, "since"),
        ({"until": "0999-12-31"}, "until"),
        ({"type": "x" * 65}, "type"),
    ],
)
def test_bad_listing_parameters(params, field):
    with pytest.raises(ValidationFailed) as refused:
        TrashQuery.from_params(params, SETTINGS)
    assert refused.value.errors[0][0] == field


def test_read_only_access_changes_nothing(site, editor, dbsession):
    entry = editor.delete(site["guide"])
    reader = TrashService(dbsession, access=TrashAccess(may_change=False))
    for attempt in (lambda: reader.restore(entry.id), lambda: reader.purge(entry.id), reader.empty):
        with pytest.raises(Forbidden):
            attempt()


def test_deleting_needs_delete_on_the_folder_too(site, dbsession):
    folder_only = ContentService(
        dbsession, permits=lambda node, wanted: node.path != "/" or wanted != Permission.DELETE
    )
    with pytest.raises(Forbidden):
        folder_only.delete(site["docs"])
    with pytest.raises(Forbidden):
        folder_only.rename(site["docs"], "manuals")
    with pytest.raises(Forbidden):
        folder_only.move(site["docs"], site["archive"])
    assert not folder_only.may_remove(site["docs"])
    assert folder_only.may_remove(site["guide"])
    folder_only.delete(site["guide"])
    with pytest.raises(Conflict):
        folder_only.delete(site["root"])


def test_entry_ids_are_never_reused(site, editor, trash):
    first = editor.delete(site["guide"]).id
    trash.purge(first)

    assert editor.delete(site["leaf"]).id > first


def test_a_node_loaded_without_its_lineage_gets_the_same_snapshot(site, dbsession, make_user):
    ann = make_user("ann")
    site["docs"].local_roles.append(LocalRole(principal=f"user:{ann.id}", role="Editor"))
    dbsession.flush()
    dbsession.expunge_all()
    guide = dbsession.scalars(select(Node).where(Node.path == "/docs/guide")).one()

    entry = ContentService(dbsession).delete(guide)

    principals = dbsession.scalars(
        select(TrashEntryPrincipal.principal).where(TrashEntryPrincipal.entry_id == entry.id)
    )
    assert set(principals) == {f"user:{ann.id}"}
