"""Concurrent restores and purges of one trash entry on a live server: exactly one wins.

Clients restore and purge the same entry at the same moment: the entry's row
lock lets one through, the others find it gone (404) or its name taken
(409); none fails with a 5xx, and the audit log has one entry for the one
change that happened.
"""

import pytest

CLIENTS = 16


@pytest.fixture
def editor(live, live_folder):
    """An Editor of the test's folder and of what is in it, with a read-write token."""
    return live.make_user(roles={live_folder.path: ["Editor"]})


def trash(live, node, user):
    """Delete ``node`` through the API; its trash entry's API path."""
    response = live.request(
        "DELETE", node.api_path, user=user, headers={"If-Match": f'"{node.version}"'}
    )
    assert response.status == 204, live.explain("delete", [response])
    link = response.headers["link"]
    return "/api/v1/" + link.split("/api/v1/", 1)[1].split(">", 1)[0]


def test_concurrent_restores_and_purges_of_one_entry_let_one_through(live, live_folder, editor):
    doomed = live.add_folder(live_folder.path, "doomed")
    live.add_documents(doomed.path, ["first", "second"])
    entry = trash(live, doomed, editor)
    mark = live.audit_mark()

    responses = live.race(
        [
            live.prepare("POST", f"{entry}/@restore", user=editor)
            if number % 2
            else live.prepare("DELETE", entry, user=editor)
            for number in range(CLIENTS)
        ]
    )

    counts = live.assert_statuses(responses, {200, 204, 404})
    winners = [response for response in responses if response.status in (200, 204)]
    assert len(winners) == 1, live.explain(f"statuses {counts}", responses)
    actions = [(e.action, e.details["uid"]) for e in live.audit_entries(after=mark)]
    if winners[0].status == 200:
        assert actions == [("content.restored", doomed.uid)]
        assert [node.name for node in live.subtree(doomed.path)] == ["doomed", "first", "second"]
    else:
        assert actions == [("content.purged", doomed.uid)]
        assert live.node_by_uid(doomed.uid) is None
    assert live.request("GET", entry, user=editor).status == 404
    assert live.tree_problems(live_folder) == []


def test_concurrent_restores_of_one_entry_restore_it_once(live, live_folder, editor):
    note = live.add_document(live_folder.path, "note", "Note", "Text.")
    entry = trash(live, note, editor)
    mark = live.audit_mark()

    responses = live.race(
        [live.prepare("POST", f"{entry}/@restore", user=editor) for _ in range(CLIENTS)]
    )

    counts = live.assert_statuses(responses, {200, 404})
    assert counts == {200: 1, 404: CLIENTS - 1}, live.explain(f"statuses {counts}", responses)
    assert [e.action for e in live.audit_entries(after=mark)] == ["content.restored"]
    assert live.node(note.path).uid == note.uid
    assert live.tree_problems(live_folder) == []
