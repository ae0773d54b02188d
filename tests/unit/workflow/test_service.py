"""The workflow service and the visibility filter on a real database: who sees what in each
state, what a transition writes, and that a changed definition rewrites no row."""

import dataclasses

import pytest
from sqlalchemy import func, select

from charter.audit.service import Actor
from charter.content.registry import types_of
from charter.errors import Conflict, PreconditionFailed
from charter.security.roles import STATE_PERMISSIONS_KEY
from charter.security.sharing import SharingService
from charter.tree.models import Node, NodeViewer
from charter.tree.services import TreeService, filter_visible
from charter.tree.visibility import VISIBILITY_RULES_KEY, Viewer
from charter.workflow.definitions import SIMPLE_PUBLICATION, State, WorkflowRegistry
from charter.workflow.events import StateChanged
from charter.workflow.models import WorkflowStep
from charter.workflow.services import TransitionRefused, WorkflowService

READER = frozenset({"system.Everyone", "system.Authenticated", "user:900"})


@pytest.fixture
def rules(charter_app):
    return charter_app.registry[VISIBILITY_RULES_KEY]


@pytest.fixture
def site(site_root, content, draft_content, make_user, dbsession):
    """/docs (published) holding a published, a pending and a private document by ann;
    bob is an Editor of /docs."""
    ann, bob = make_user("ann"), make_user("bob")
    docs = content.add_folder(site_root, "docs", "Docs")
    SharingService(dbsession).update(docs, {f"user:{bob.id}": ["Editor"]})
    shown = content.add_document(docs, "shown", "Shown", "x", by=ann)
    waiting = draft_content.add_document(docs, "waiting", "Waiting", "x", by=ann)
    draft = draft_content.add_document(docs, "draft", "Draft", "x", by=ann)
    WorkflowService(dbsession, draft_content.types).transition(waiting, "submit")
    dbsession.flush()
    return {
        "docs": docs,
        "shown": shown,
        "waiting": waiting,
        "draft": draft,
        "ann": ann,
        "bob": bob,
    }


def listed(dbsession, folder, viewer):
    page = TreeService(dbsession).children_page(folder, 50, viewers=viewer)
    return [node.name for node in page.items]


def test_new_nodes_start_private_and_the_root_published(site, site_root):
    assert site["draft"].workflow_state == "private"
    assert site_root.workflow_state == "published"


def test_each_caller_sees_what_the_states_allow(site, dbsession, rules):
    docs, ann, bob = site["docs"], site["ann"], site["bob"]

    def viewer(user=None, **options):
        principals = READER if user is None else READER | {f"user:{user.id}"}
        return Viewer(principals, user_id=user.id if user else None, rules=rules, **options)

    assert listed(dbsession, docs, viewer()) == ["shown"]
    assert listed(dbsession, docs, viewer(ann)) == ["shown", "waiting", "draft"]  # the owner
    assert listed(dbsession, docs, viewer(bob)) == ["shown", "waiting", "draft"]  # an Editor
    reviewer = Viewer(READER, global_roles=frozenset({"Reviewer"}), user_id=901, rules=rules)
    assert listed(dbsession, docs, reviewer) == ["shown", "waiting", "draft"]
    anonymous = Viewer(frozenset({"system.Everyone"}), rules=rules)
    assert listed(dbsession, docs, anonymous) == []
    public = dataclasses.replace(anonymous, public_site=True)
    assert listed(dbsession, docs, public) == ["shown"]


def test_a_transition_is_three_statements_and_writes_its_history(
    site, dbsession, draft_content, query_recorder
):
    seen = []
    service = WorkflowService(
        dbsession, draft_content.types, actor=Actor(site["bob"].id, "bob"), notify=seen.append
    )
    draft = site["draft"]
    dbsession.flush()

    with query_recorder.record() as statements:
        result = service.transition(draft, "submit", draft.version, comment="please")

    # UPDATE nodes (state and version, compare-and-set), INSERT the step, INSERT the audit entry.
    assert len(statements) == 3, statements
    assert statements[0].lstrip().upper().startswith("UPDATE NODES")
    assert result.step.from_state == "private"
    assert result.step.to_state == "pending"
    assert result.step.actor_login == "bob"
    assert result.step.comment == "please"
    assert [type(event) for event in seen] == [StateChanged]
    dbsession.expire_all()
    assert dbsession.get(Node, draft.id).workflow_state == "pending"
    assert service.history(draft)[0].transition == "submit"


def test_a_stale_version_is_refused_and_changes_nothing(site, dbsession, draft_content):
    service = WorkflowService(dbsession, draft_content.types)
    draft = site["draft"]
    with pytest.raises(PreconditionFailed):
        service.transition(draft, "submit", draft.version - 1)
    assert draft.workflow_state == "private"
    assert dbsession.scalar(select(func.count()).select_from(WorkflowStep)) == 1  # waiting's


def test_a_guard_refuses_without_the_permission(site, dbsession, draft_content):
    service = WorkflowService(
        dbsession, draft_content.types, permits=lambda node, permission: permission == "view"
    )
    with pytest.raises(TransitionRefused) as refused:
        service.transition(site["draft"], "submit")
    assert refused.value.reason == "not-permitted"
    assert refused.value.status == 403


def test_advance_takes_the_fewest_transitions(site, dbsession, draft_content):
    service = WorkflowService(dbsession, draft_content.types)
    steps = service.advance(site["draft"], "published")
    assert [r.step.transition for r in steps] == ["submit", "publish"]
    with pytest.raises(Conflict):
        service.advance(site["draft"], "nowhere")


def test_a_changed_definition_rewrites_no_row(site, dbsession, charter_app, query_recorder):
    """Readers see 'pending' once the definition says so: the new rules change the query,
    and compiling them sends no statement at all, whatever the size of the tree."""
    changed = dataclasses.replace(
        SIMPLE_PUBLICATION,
        states=(
            SIMPLE_PUBLICATION.states[0],
            State("pending", "Pending review"),  # no longer hidden from readers
            SIMPLE_PUBLICATION.states[2],
        ),
    )
    registry = WorkflowRegistry()
    registry.add(changed)
    for type_name in ("Folder", "Document", "File"):
        registry.assign(type_name, changed.name)
    viewers_before = dbsession.scalar(select(func.count()).select_from(NodeViewer))

    with query_recorder.record() as statements:
        _, new_rules = registry.compile()
    assert statements == []

    old_rules = charter_app.registry[VISIBILITY_RULES_KEY]
    assert listed(dbsession, site["docs"], Viewer(READER, rules=old_rules)) == ["shown"]
    with query_recorder.record() as statements:
        now = listed(dbsession, site["docs"], Viewer(READER, rules=new_rules))
    assert now == ["shown", "waiting"]
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("SELECT")
    assert dbsession.scalar(select(func.count()).select_from(NodeViewer)) == viewers_before


def test_the_filter_serves_any_query_over_nodes(site, dbsession, rules):
    reader = Viewer(READER, rules=rules)
    query = filter_visible(select(Node.name).where(Node.parent_id == site["docs"].id), reader)
    assert list(dbsession.scalars(query)) == ["shown"]
    assert filter_visible(query, None) is query


def test_the_app_compiles_the_permission_table(charter_app):
    table = charter_app.registry[STATE_PERMISSIONS_KEY]
    assert ("Document", "published") in table.public
    assert types_of(charter_app.registry).initial_state("Document") == "private"
