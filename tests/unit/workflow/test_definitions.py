"""Workflow definitions: their checks, and what they compile to for the policy and the SQL."""

import pytest

from charter.errors import Conflict
from charter.security.roles import OWNER, Permission, Role
from charter.workflow.definitions import (
    SIMPLE_PUBLICATION,
    State,
    Transition,
    Workflow,
    WorkflowRegistry,
)

P = Permission


def registry_with(workflow=SIMPLE_PUBLICATION, types=("Document",)):
    registry = WorkflowRegistry()
    registry.add(workflow)
    for type_name in types:
        registry.assign(type_name, workflow.name)
    return registry


def test_the_default_workflow_has_the_states_and_transitions_of_the_issue():
    workflow = SIMPLE_PUBLICATION
    assert workflow.initial == "private"
    assert [state.name for state in workflow.states] == ["private", "pending", "published"]
    moves = {(t.name, t.from_states, t.to, t.permission) for t in workflow.transitions}
    assert moves == {
        ("submit", ("private",), "pending", "submit"),
        ("publish", ("pending",), "published", "review"),
        ("reject", ("pending",), "private", "review"),
        ("retract", ("pending", "published"), "private", "submit"),
    }
    assert workflow.transition("reject").comment_required


def test_readers_lose_view_in_private_and_pending_only():
    permissions, _ = registry_with().compile()
    for state in ("private", "pending"):
        assert permissions.permissions("Document", state, [Role.READER]) == frozenset()
        for role in ("Contributor", "Editor", "Reviewer", "Manager", OWNER):
            assert P.VIEW in permissions.permissions("Document", state, [role])
    assert permissions.permissions("Document", "published", [Role.READER]) == {P.VIEW}


def test_owners_and_editors_submit_reviewers_and_managers_publish():
    permissions, _ = registry_with().compile()
    for role, expected in [
        (OWNER, {P.SUBMIT}),
        (Role.EDITOR, {P.SUBMIT}),
        (Role.MANAGER, {P.SUBMIT, P.REVIEW}),
        (Role.REVIEWER, {P.REVIEW}),
        (Role.CONTRIBUTOR, set()),
    ]:
        granted = permissions.permissions("Document", "private", [role])
        assert granted & {P.SUBMIT, P.REVIEW} == expected, role


def test_a_type_without_a_workflow_keeps_the_usual_permissions():
    permissions, _ = registry_with().compile()
    assert permissions.permissions("Event", "private", [Role.READER]) == {P.VIEW}
    assert permissions.permissions("Document", None, [Role.READER]) == {P.VIEW}


def test_an_unknown_state_leaves_only_the_administrator():
    permissions, _ = registry_with().compile()
    assert permissions.permissions("Document", "gone", [Role.MANAGER, OWNER]) == frozenset()
    assert permissions.permissions("Document", "gone", [Role.ADMINISTRATOR]) == set(Permission)


def test_visibility_rules_name_the_roles_that_see_each_state():
    _, rules = registry_with(types=("Document", "Folder")).compile()
    by_state = {rule.state: rule for rule in rules.states}
    assert by_state["private"].roles == {
        "Contributor",
        "Editor",
        "Reviewer",
        "Manager",
        "Administrator",
    }
    assert by_state["private"].owner is True
    assert by_state["published"].roles is None  # every role
    assert by_state["published"].public is True
    assert by_state["private"].types == {"Document", "Folder"}
    assert rules.workflow_types == {"Document", "Folder"}
    assert rules.sees_everything(["Administrator"])
    assert rules.sees_everything(["Reviewer"])
    assert not rules.sees_everything(["Reader"])


def test_public_states_are_compiled():
    permissions, _ = registry_with().compile()
    assert permissions.is_public("Document", "published")
    assert not permissions.is_public("Document", "private")
    assert not permissions.is_public("Folder", "published")


@pytest.mark.parametrize(
    ("workflow", "problem"),
    [
        (
            Workflow("w", "W", "nowhere", (State("a", "A"),), ()),
            "initial state 'nowhere'",
        ),
        (
            Workflow(
                "w", "W", "a", (State("a", "A"),), (Transition("t", "T", ("a",), "b", "edit"),)
            ),
            "names no state: 'b'",
        ),
        (
            Workflow(
                "w", "W", "a", (State("a", "A"),), (Transition("t", "T", ("a",), "a", "fly"),)
            ),
            "names no permission: 'fly'",
        ),
        (
            Workflow("w", "W", "a", (State("a", "A", revoke={"Janitor": ["view"]}),), ()),
            "names no role: 'Janitor'",
        ),
        (
            Workflow("w", "W", "a", (State("a", "A", revoke={"Administrator": ["view"]}),), ()),
            "the Administrator's role is fixed",
        ),
        (
            Workflow("w", "W", "a", (State("a", "A"), State("a", "B")), ()),
            "two states share a name",
        ),
        (
            Workflow("no spaces", "W", "a", (State("a", "A"),), ()),
            "is not a name",
        ),
    ],
)
def test_a_definition_that_contradicts_itself_is_refused(workflow, problem):
    with pytest.raises(Conflict, match=problem):
        WorkflowRegistry().add(workflow)


def test_a_type_following_an_unregistered_workflow_is_refused():
    registry = WorkflowRegistry()
    registry.assign("Document", "nowhere")
    with pytest.raises(Conflict, match="follows no such workflow"):
        registry.compile()


def test_registering_a_workflow_twice_is_refused():
    registry = registry_with()
    with pytest.raises(Conflict, match="registered twice"):
        registry.add(SIMPLE_PUBLICATION)


def test_a_state_may_grant_permissions():
    open_state = State("open", "Open", grant={"Reader": ["edit"]})
    workflow = Workflow("w", "W", "open", (open_state,), ())
    permissions, _ = registry_with(workflow).compile()
    assert permissions.permissions("Document", "open", ["Reader"]) == {P.VIEW, P.EDIT}
