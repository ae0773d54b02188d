"""Concurrent creators in one folder on a live server.

Name allocation must survive any number of concurrent creators: the losers
of a race for one name get 409, generated names stay unique, different
names all succeed (SQLite writers wait their turn instead of failing), and
the audit log holds one ``content.added`` per item created.
"""

import pytest

CLIENTS = 20


@pytest.fixture
def contributor(live, live_folder):
    """A Contributor of the test's folder (may add items), with a read-write token."""
    return live.make_user(roles={live_folder.path: ["Contributor"]})


def create_all(live, folder, user, bodies):
    """POST every body into ``folder`` at once."""
    return live.race(
        [live.prepare("POST", folder.api_path, user=user, json_body=body) for body in bodies]
    )


def assert_one_added_entry_per_created_item(live, mark, created):
    """The audit log gained one ``content.added`` per 201, naming the new item, and nothing else."""
    entries = live.audit_entries(after=mark)
    assert sorted((entry.action, entry.details["uid"]) for entry in entries) == sorted(
        ("content.added", response.json["uid"]) for response in created
    )
    for entry in entries:
        assert entry.target == live.node_by_uid(entry.details["uid"]).path


def test_one_of_many_creators_of_the_same_name_wins(live, live_folder, contributor):
    mark = live.audit_mark()

    responses = create_all(
        live,
        live_folder,
        contributor,
        [{"@type": "Document", "name": "agenda", "title": f"Agenda {n}"} for n in range(CLIENTS)],
    )

    counts = live.assert_statuses(responses, {201, 409})
    assert counts == {201: 1, 409: CLIENTS - 1}, live.explain(f"statuses {counts}", responses)
    created = [response for response in responses if response.status == 201]
    for response in responses:
        if response.status == 409:
            assert response.problem()["type"] == "urn:charter:problem:conflict"
    children = live.children(live_folder)
    assert [(child.name, child.uid) for child in children] == [("agenda", created[0].json["uid"])]
    assert created[0].headers["location"].endswith(f"{live_folder.api_path}/agenda")
    assert_one_added_entry_per_created_item(live, mark, created)


def test_generated_names_stay_unique_under_concurrent_creators(live, live_folder, contributor):
    mark = live.audit_mark()

    responses = create_all(
        live,
        live_folder,
        contributor,
        [{"@type": "Document", "title": "Meeting notes"} for _ in range(CLIENTS)],
    )

    counts = live.assert_statuses(responses, {201})
    assert counts == {201: CLIENTS}
    names = sorted(response.json["name"] for response in responses)
    expected = ["meeting-notes"] + [f"meeting-notes-{n}" for n in range(2, CLIENTS + 1)]
    assert names == sorted(expected)
    children = live.children(live_folder)
    assert sorted(child.name for child in children) == names
    assert len({child.position for child in children}) == CLIENTS
    assert_one_added_entry_per_created_item(live, mark, responses)
    assert live.tree_problems(live_folder) == []


def test_concurrent_creators_of_different_names_all_succeed(live, live_folder, contributor):
    mark = live.audit_mark()

    responses = create_all(
        live,
        live_folder,
        contributor,
        [
            {"@type": "Folder" if n % 2 else "Document", "name": f"item-{n}", "title": f"{n}"}
            for n in range(CLIENTS)
        ],
    )

    counts = live.assert_statuses(responses, {201})
    assert counts == {201: CLIENTS}
    children = live.children(live_folder)
    assert sorted(child.name for child in children) == sorted(f"item-{n}" for n in range(CLIENTS))
    assert len({child.position for child in children}) == CLIENTS
    assert_one_added_entry_per_created_item(live, mark, responses)
    assert live.tree_problems(live_folder) == []
