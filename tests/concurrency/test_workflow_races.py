"""Concurrent workflow transitions on a live server: with one If-Match exactly one goes
through; without one, concurrent bulk requests over the same items take each item once.

Never a 5xx; the node's state, its workflow history and the audit log agree.
"""

import pytest
from sqlalchemy import func, select

from charter.tree.models import Node
from charter.workflow.models import WorkflowStep

CLIENTS = 20


@pytest.fixture
def editor(live, live_folder):
    """An Editor of the test's folder (submits and retracts), with a read-write token."""
    return live.make_user(roles={live_folder.path: ["Editor"]})


def steps_of(live, path):
    """(transition, from, to) of the committed workflow steps of the node at ``path``."""
    with live.engine.connect() as connection:
        node_id = connection.scalar(select(Node.id).where(Node.path == path))
        rows = connection.execute(
            select(WorkflowStep.transition, WorkflowStep.from_state, WorkflowStep.to_state)
            .where(WorkflowStep.node_id == node_id)
            .order_by(WorkflowStep.id)
        )
        return [tuple(row) for row in rows]


def state_of(live, path):
    with live.engine.connect() as connection:
        return connection.scalar(select(Node.workflow_state).where(Node.path == path))


def test_concurrent_transitions_with_one_if_match_let_exactly_one_through(
    live, live_folder, editor
):
    created = live.request(
        "POST",
        live_folder.api_path,
        user=editor,
        json_body={"@type": "Document", "name": "memo", "title": "Memo"},
    )
    assert created.status == 201, created
    mark = live.audit_mark()

    responses = live.race(
        [
            live.prepare(
                "POST",
                f"{live_folder.api_path}/memo/@workflow/submit",
                user=editor,
                json_body={"comment": f"client {number}"},
                headers={"If-Match": created.headers["etag"]},
            )
            for number in range(CLIENTS)
        ]
    )

    counts = live.assert_statuses(responses, {200, 412})
    assert counts == {200: 1, 412: CLIENTS - 1}, live.explain(f"statuses {counts}", responses)
    path = f"{live_folder.path}/memo"
    assert steps_of(live, path) == [("submit", "private", "pending")]
    assert state_of(live, path) == "pending"
    assert live.node(path).version == created.json["version"] + 1
    entries = live.audit_entries("workflow.transition", after=mark)
    assert len(entries) == 1


def test_concurrent_bulk_requests_take_each_item_once(live, live_folder, editor):
    names = [f"doc{number}" for number in range(30)]
    for name in names:
        created = live.request(
            "POST",
            live_folder.api_path,
            user=editor,
            json_body={"@type": "Document", "name": name, "title": name},
        )
        assert created.status == 201, created
    items = [f"{live_folder.path}/{name}" for name in names]

    responses = live.race(
        [
            live.prepare(
                "POST",
                "/api/v1/@workflow",
                user=editor,
                json_body={"transition": "submit", "items": items},
            )
            for _ in range(8)
        ]
    )

    live.assert_statuses(responses, {200})
    done = sum(response.json["done"] for response in responses)
    assert done == len(names), live.explain(f"{done} done", responses)
    for response in responses:
        for item in response.json["items"]:
            assert item["done"] or item["reason"] in {"not-available-in-state", "stale-version"}
    with live.engine.connect() as connection:
        steps = connection.scalar(
            select(func.count())
            .select_from(WorkflowStep)
            .join(Node, Node.id == WorkflowStep.node_id)
            .where(Node.parent_id == live_folder.id)
        )
    assert steps == len(names)
    assert {state_of(live, path) for path in items} == {"pending"}
