"""Revisions recorded by the editing service, read, compared, restored and pruned."""

import pytest
from sqlalchemy import delete, func, select

from charter.audit.models import AuditEntry
from charter.audit.service import Actor
from charter.content.events import ObjectAdded, ObjectModified, RevisionCreated
from charter.content.services import ContentService
from charter.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from charter.history.models import Revision
from charter.history.revisions import (
    BASELINE_COMMENT,
    HistoryPageRequest,
    RevisionService,
    check_comment,
)
from charter.security.roles import Permission
from charter.tree.models import Node

SETTINGS = {"charter.api.default_page_size": 50, "charter.api.max_page_size": 200}


@pytest.fixture
def events():
    """Every event the service sends, in order."""
    return []


@pytest.fixture
def editor(dbsession, events, admin_user):
    """The editing service acting for the administrator, allowed everything."""
    return ContentService(dbsession, actor=Actor(admin_user.id, "admin"), notify=events.append)


@pytest.fixture
def guide(site_root, editor, dbsession, events):
    """/guide, a document at revision 1; the events list starts empty after it."""
    guide = editor.create(
        site_root, "Document", {"title": "Guide", "body": "one\ntwo\n"}, "guide", "first draft"
    )
    dbsession.flush()
    events.clear()
    return guide


def numbers(dbsession, node):
    """The numbers of ``node``'s stored revisions, oldest first."""
    return list(
        dbsession.scalars(
            select(Revision.number).where(Revision.node_id == node.id).order_by(Revision.number)
        )
    )


def stored(dbsession, node, number):
    """Revision ``number`` of ``node`` as the database holds it."""
    dbsession.expire_all()
    return dbsession.scalars(
        select(Revision).where(Revision.node_id == node.id, Revision.number == number)
    ).one()


def test_creating_records_revision_1_with_the_schema_fields_the_author_and_the_comment(
    guide, dbsession, admin_user
):
    first = stored(dbsession, guide, 1)

    assert first.fields == {"title": "Guide", "description": "", "body": "one\ntwo"}
    assert (first.author_id, first.author_login, first.comment) == (
        admin_user.id,
        "admin",
        "first draft",
    )
    assert first.blob_sha256 is None
    assert first.created is not None


def test_the_root_and_every_node_made_through_the_service_start_at_revision_1(site_root, dbsession):
    dbsession.flush()

    assert numbers(dbsession, site_root) == [1]
    assert stored(dbsession, site_root, 1).fields == {"title": "Charter Test", "description": ""}


def test_each_change_records_the_next_revision_and_fires_revision_created(
    guide, editor, dbsession, events
):
    editor.update(guide, {"body": "one\n2\n"}, 1, comment="fix")
    editor.update(guide, {"title": "The guide"}, 2)

    assert numbers(dbsession, guide) == [1, 2, 3]
    second, third = stored(dbsession, guide, 2), stored(dbsession, guide, 3)
    assert (second.fields["body"], second.comment) == ("one\n2", "fix")
    assert (third.fields["title"], third.fields["body"], third.comment) == (
        "The guide",
        "one\n2",
        "",
    )
    created = [event for event in events if isinstance(event, RevisionCreated)]
    assert [(event.node, event.revision.number) for event in created] == [(guide, 2), (guide, 3)]
    assert [type(event) for event in events] == [ObjectModified, RevisionCreated] * 2
    entry = dbsession.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (entry.action, entry.details["revision"]) == ("content.modified", 3)


def test_saving_the_same_values_records_nothing(guide, editor, dbsession, events):
    editor.update(guide, {"title": "Guide", "body": "one\ntwo"}, 1, comment="nothing new")

    assert numbers(dbsession, guide) == [1]
    assert guide.version == 1
    assert events == []


@pytest.mark.parametrize(
    "comment",
    ["x" * 501, "two\nlines", "a\x00b", "\ud800", 42, ["list"]],
    ids=["too-long", "two-lines", "nul", "surrogate", "number", "list"],
)
def test_a_bad_comment_is_refused_and_changes_nothing(guide, editor, dbsession, comment):
    with pytest.raises(ValidationFailed) as refused:
        editor.update(guide, {"title": "Changed"}, 1, comment=comment)

    assert [field for field, _ in refused.value.errors] == ["@comment"]
    assert guide.version == 1
    assert numbers(dbsession, guide) == [1]


def test_a_comment_of_500_characters_is_kept_stripped(guide, editor, dbsession):
    editor.update(guide, {"title": "Changed"}, 1, comment=f"  {'é' * 500}  ")

    assert stored(dbsession, guide, 2).comment == "é" * 500
    assert check_comment("  fine  ") == "fine"


def test_a_stale_version_records_no_revision(guide, editor, dbsession):
    editor.update(guide, {"title": "Second"}, 1)

    with pytest.raises(PreconditionFailed):
        editor.update(guide, {"title": "Lost"}, 1)

    assert numbers(dbsession, guide) == [1, 2]


def test_restoring_writes_a_new_revision_and_never_rewrites_history(
    guide, editor, dbsession, events
):
    editor.update(guide, {"title": "Second", "body": "changed"}, 1)
    events.clear()

    editor.restore(guide, 1, 2)

    assert (guide.title, guide.body, guide.version) == ("Guide", "one\ntwo", 3)
    assert numbers(dbsession, guide) == [1, 2, 3]
    assert stored(dbsession, guide, 3).fields == stored(dbsession, guide, 1).fields
    assert stored(dbsession, guide, 3).comment == "Restored version 1"
    assert stored(dbsession, guide, 2).fields["title"] == "Second"
    entry = dbsession.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (entry.action, entry.details["restored"], entry.details["revision"]) == (
        "content.restored",
        1,
        3,
    )
    assert [type(event) for event in events] == [ObjectModified, RevisionCreated]


def test_restoring_takes_the_callers_comment_and_checks_the_version(guide, editor, dbsession):
    editor.update(guide, {"title": "Second"}, 1)

    with pytest.raises(PreconditionFailed):
        editor.restore(guide, 1, 1)
    editor.restore(guide, 1, 2, comment="back to the start")

    assert stored(dbsession, guide, 3).comment == "back to the start"


def test_restoring_the_current_content_changes_nothing(guide, editor, dbsession):
    editor.restore(guide, 1, 1)

    assert (guide.version, numbers(dbsession, guide)) == (1, [1])


@pytest.mark.parametrize("number", [0, 2, 99])
def test_restoring_a_revision_the_node_does_not_have_is_not_found(guide, editor, number):
    with pytest.raises(NotFound):
        editor.restore(guide, number, 1)

    assert guide.version == 1


def test_restoring_needs_edit(guide, dbsession):
    viewer = ContentService(dbsession, permits=lambda node, wanted: wanted != Permission.EDIT)

    with pytest.raises(Forbidden):
        viewer.restore(guide, 1, 1)


def test_a_revision_the_schema_refuses_today_cannot_be_restored(guide, editor, dbsession):
    editor.update(guide, {"title": "Second"}, 1)
    first = stored(dbsession, guide, 1)
    # Written before a rule that titles are one line.
    first.fields = {**first.fields, "title": "two\nlines"}
    dbsession.flush()

    with pytest.raises(Conflict, match="version 1 of /guide cannot be restored: title"):
        editor.restore(guide, 1, 2)

    assert guide.title == "Second"


def test_a_field_the_type_no_longer_has_is_left_out_of_a_restore(guide, editor, dbsession):
    editor.update(guide, {"title": "Second"}, 1)
    first = stored(dbsession, guide, 1)
    first.fields = {**first.fields, "summary": "a field an older schema had"}
    dbsession.flush()

    editor.restore(guide, 1, 2)

    assert guide.title == "Guide"


def test_copies_start_their_own_history(site_root, guide, editor, dbsession):
    editor.update(guide, {"title": "Second"}, 1)
    folder = editor.create(site_root, "Folder", {"title": "Box"}, "box")
    editor.create(folder, "Document", {"title": "Inside"}, "inside")

    copy = editor.copy(folder, site_root, "box-copy")
    guide_copy = editor.copy(guide, site_root, "guide-copy")
    dbsession.flush()

    inside_copy = dbsession.scalars(
        select(Revision).join(Revision.node).where(Node.path == "/box-copy/inside")
    ).one()
    assert numbers(dbsession, copy) == [1]
    assert stored(dbsession, copy, 1).comment == "Copied from /box"
    assert (inside_copy.number, inside_copy.comment) == (1, "Copied from /box/inside")
    assert numbers(dbsession, guide_copy) == [1]
    assert stored(dbsession, guide_copy, 1).fields["title"] == "Second"
    assert numbers(dbsession, guide) == [1, 2]


def test_the_comment_of_a_deep_copy_is_shortened_to_fit(site_root, editor, dbsession):
    parent = site_root
    for level in range(6):
        parent = editor.create(parent, "Folder", {"title": "F"}, f"{level}-" + "n" * 95)

    copy = editor.copy(parent, site_root, "copy")
    dbsession.flush()

    comment = stored(dbsession, copy, 1).comment
    assert len(comment) == 500
    assert comment.startswith("Copied from /0-nnn")
    assert comment.endswith("…")


# -- reading ----------------------------------------------------------------------


@pytest.fixture
def five(guide, editor, dbsession):
    """/guide with revisions 1 to 5."""
    for number in range(2, 6):
        editor.update(guide, {"title": f"Guide {number}"}, number - 1)
    dbsession.flush()
    return guide


def test_pages_go_newest_first_by_keyset(five, editor):
    revisions = editor.revisions

    first = revisions.page(five, HistoryPageRequest(2))
    second = revisions.page(five, HistoryPageRequest(2, first.next_cursor))
    third = revisions.page(five, HistoryPageRequest(2, second.next_cursor))

    assert [r.number for r in first.items] == [5, 4]
    assert [r.number for r in second.items] == [3, 2]
    assert [r.number for r in third.items] == [1]
    assert (first.next_cursor, second.next_cursor, third.next_cursor) == (4, 2, None)
    assert [first.is_current(r) for r in first.items] == [True, False]
    assert not any(second.is_current(r) for r in second.items)


def test_a_page_past_the_end_is_empty(five, editor):
    assert editor.revisions.page(five, HistoryPageRequest(10, 1)).items == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"after": "0"}, "after"),
        ({"after": "-1"}, "after"),
        ({"after": "2147483648"}, "after"),
        ({"after": "²"}, "after"),
        ({"after": "9" * 5000}, "after"),
    ],
)
def test_a_bad_page_request_names_the_parameter(params, field):
    with pytest.raises(ValidationFailed) as refused:
        HistoryPageRequest.from_params(params, SETTINGS)

    assert [name for name, _ in refused.value.errors] == [field]


def test_a_page_request_keeps_a_limit_the_client_chose():
    chosen = HistoryPageRequest.from_params({"limit": "5", "after": "9"}, SETTINGS)
    default = HistoryPageRequest.from_params({}, SETTINGS)

    assert (chosen.limit, chosen.after, chosen.next_query(4)) == (
        5,
        9,
        {"after": "4", "limit": "5"},
    )
    assert (default.limit, default.after, default.next_query(4)) == (50, None, {"after": "4"})


def test_get_and_compare(five, editor):
    revisions = editor.revisions

    assert revisions.get(five, 3).fields["title"] == "Guide 3"
    assert revisions.current_number(five) == 5
    comparison = revisions.compare(five, 2, 5)
    assert [(f.name, f.kind, f.changed) for f in comparison.fields] == [
        ("title", "value", True),
        ("description", "text", False),
        ("body", "text", False),
    ]
    assert (comparison.changed[0].old, comparison.changed[0].new) == ("Guide 2", "Guide 5")
    with pytest.raises(NotFound, match="has no version 6"):
        revisions.compare(five, 1, 6)
    with pytest.raises(NotFound):
        revisions.get(five, 6)


# -- a site from before revisions ---------------------------------------------------


@pytest.fixture
def legacy(guide, editor, dbsession):
    """/guide as a site from before migration 0005 has it: no revisions at all."""
    dbsession.execute(delete(Revision).where(Revision.node_id == guide.id))
    return guide


def test_a_node_without_revisions_shows_its_current_state_as_version_1(legacy, editor, dbsession):
    page = editor.revisions.page(legacy, HistoryPageRequest(10))

    (only,) = page.items
    assert (only.number, only.comment, only.author_login) == (1, BASELINE_COMMENT, None)
    assert only.fields == {"title": "Guide", "description": "", "body": "one\ntwo"}
    assert page.is_current(only)
    assert editor.revisions.get(legacy, 1).fields == only.fields
    assert editor.revisions.current_number(legacy) == 1
    assert numbers(dbsession, legacy) == []  # reading wrote nothing


def test_its_first_change_keeps_the_old_state_as_revision_1(legacy, editor, dbsession):
    before = legacy.modified

    editor.update(legacy, {"body": "new"}, 1, comment="first change")

    assert numbers(dbsession, legacy) == [1, 2]
    baseline, change = stored(dbsession, legacy, 1), stored(dbsession, legacy, 2)
    assert (baseline.fields["body"], baseline.comment, baseline.created) == (
        "one\ntwo",
        BASELINE_COMMENT,
        before,
    )
    assert (change.fields["body"], change.comment) == ("new", "first change")
    editor.restore(legacy, 1, 2)
    assert legacy.body == "one\ntwo"


def test_its_version_1_compares_with_itself_and_restores_to_nothing_new(legacy, editor):
    assert editor.revisions.compare(legacy, 1, 1).changed == ()
    editor.restore(legacy, 1, 1)
    assert legacy.version == 1


# -- pruning ----------------------------------------------------------------------


def test_pruning_keeps_the_first_and_the_newest_of_every_node(five, site_root, editor, dbsession):
    other = editor.create(site_root, "Document", {"title": "Other"}, "other")
    editor.update(other, {"title": "Other 2"}, 1)
    dbsession.flush()
    revisions = RevisionService(dbsession, editor.types)

    dry = revisions.prune(keep=2, dry_run=True)
    assert (dry.revisions, dry.nodes) == (2, 1)
    assert numbers(dbsession, five) == [1, 2, 3, 4, 5]

    done = revisions.prune(keep=2)
    assert (done.revisions, done.nodes) == (2, 1)
    assert numbers(dbsession, five) == [1, 4, 5]
    assert numbers(dbsession, other) == [1, 2]
    assert revisions.prune(keep=2).revisions == 0

    revisions.prune(keep=1)
    assert numbers(dbsession, five) == [1, 5]
    assert numbers(dbsession, other) == [1, 2]
    with pytest.raises(NotFound):
        revisions.get(five, 4)


def test_pruning_nothing_is_refused():
    with pytest.raises(ValueError, match="keep at least"):
        RevisionService(None, None).prune(keep=0)


def test_creation_fires_object_added_then_revision_created(site_root, editor, events):
    node = editor.create(site_root, "Folder", {"title": "New"}, "new")

    assert [type(event) for event in events] == [ObjectAdded, RevisionCreated]
    assert events[1].node is node
    assert events[1].revision.number == 1


def test_revisions_go_with_their_node(guide, dbsession):
    dbsession.flush()
    node_id = guide.id

    dbsession.delete(guide)
    dbsession.flush()

    count = select(func.count()).select_from(Revision).where(Revision.node_id == node_id)
    assert dbsession.scalar(count) == 0
