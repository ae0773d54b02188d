"""Clients racing with one Idempotency-Key on a live server: the work is done exactly once.

Every client sends the same POST with the same key at the same moment. One
claims the key and creates the document; each other one is told the key is
in use (409) or, once the first has committed, gets its response replayed.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.tree.models import Node

CLIENTS = 12


def test_clients_racing_with_one_key_create_one_document(live, live_folder):
    editor = live.make_user(roles={live_folder.path: ["Editor"]})
    body = {"@type": "Document", "title": "Order"}
    requests = [
        live.prepare(
            "POST",
            live_folder.api_path,
            user=editor,
            json_body=body,
            headers={"Idempotency-Key": "order-42"},
        )
        for _ in range(CLIENTS)
    ]

    responses = live.race(requests)

    counts = live.assert_statuses(responses, {201, 409})
    created = [r for r in responses if r.status == 201]
    originals = [r for r in created if r.headers.get("idempotent-replayed") != "true"]
    assert len(originals) == 1, live.explain(f"statuses {counts}", responses)
    assert all(r.body == originals[0].body for r in created)
    with Session(live.engine) as session:
        documents = session.scalar(
            select(func.count())
            .select_from(Node)
            .where(Node.parent_id.is_not(None), Node.path.like(f"{live_folder.path}/%"))
        )
    assert documents == 1
    # A retry after the race replays the one response.
    again = live.send(requests[0])
    assert again.status == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.body == originals[0].body


def test_clients_racing_with_one_key_and_different_bodies_do_one_write(live, live_folder):
    editor = live.make_user(roles={live_folder.path: ["Editor"]})
    requests = [
        live.prepare(
            "POST",
            live_folder.api_path,
            user=editor,
            json_body={"@type": "Document", "title": f"Order {number}"},
            headers={"Idempotency-Key": "shared"},
        )
        for number in range(CLIENTS)
    ]

    responses = live.race(requests)

    counts = live.assert_statuses(responses, {201, 409, 422})
    assert counts.get(201, 0) == 1, live.explain(f"statuses {counts}", responses)
