"""Concurrent moves and renames on a live server.

Two folders moved into each other at the same moment must not both move
(that would cut both off from the root in a cycle); renames of different
items to one name in one folder leave one winner and 409 for the others.
Whatever the interleaving, the tree stays consistent.
"""

import pytest

ROUNDS = 10
CLIENTS = 20


@pytest.fixture
def editor(live, live_folder):
    """An Editor of the test's folder (may move items within it), with a read-write token."""
    return live.make_user(roles={live_folder.path: ["Editor"]})


def move(live, node, user, destination, name=None):
    body = {"destination": destination}
    if name is not None:
        body["name"] = name
    return live.prepare("POST", f"{node.api_path}/@move", user=user, json_body=body)


def test_two_folders_moved_into_each_other_at_once_never_both_move(live, live_folder, editor):
    rounds = []
    for round_number in range(ROUNDS):
        first = live.add_folder(live_folder.path, f"a-{round_number}")
        second = live.add_folder(live_folder.path, f"b-{round_number}")
        live.add_documents(first.path, ["inside-a"])
        live.add_documents(second.path, ["inside-b"])
        mark = live.audit_mark()

        responses = live.race(
            [move(live, first, editor, second.path), move(live, second, editor, first.path)]
        )

        entries = live.audit_entries(after=mark)
        rounds.append((responses, [(entry.action, entry.details["uid"]) for entry in entries]))

    # The loser finds its destination gone (400 naming /destination), itself
    # moved away from its URL (308 to where it is now) or the move a cycle (409).
    every_response = [response for responses, _ in rounds for response in responses]
    live.assert_statuses(every_response, {200, 308, 400, 409})
    outcomes = [sorted(response.status for response in responses) for responses, _ in rounds]
    assert all(outcome.count(200) <= 1 for outcome in outcomes), outcomes
    assert live.tree_problems(live_folder) == []
    for responses, entries in rounds:
        winners = [response for response in responses if response.status == 200]
        assert entries == [("content.moved", winner.json["uid"]) for winner in winners]
        for winner in winners:
            node = live.node_by_uid(winner.json["uid"])
            assert winner.json["path"] == node.path
            assert node.depth == live_folder.depth + 2
    for response in every_response:
        if response.status == 400:
            assert "/destination" in [error["pointer"] for error in response.problem()["errors"]]


def test_renames_of_different_items_to_one_name_leave_one_winner(live, live_folder, editor):
    items = live.add_documents(live_folder.path, [f"draft-{n}" for n in range(CLIENTS)])
    mark = live.audit_mark()

    responses = live.race(
        [move(live, item, editor, live_folder.path, name="final") for item in items]
    )

    counts = live.assert_statuses(responses, {200, 409})
    assert counts == {200: 1, 409: CLIENTS - 1}, live.explain(f"statuses {counts}", responses)
    for response in responses:
        if response.status == 409:
            assert response.problem()["type"] == "urn:charter:problem:conflict"
    winner = next(response for response in responses if response.status == 200)
    names = {child.uid: child.name for child in live.children(live_folder)}
    assert names == {
        item.uid: "final" if item.uid == winner.json["uid"] else item.name for item in items
    }
    entries = live.audit_entries(after=mark)
    assert [(entry.action, entry.target, entry.details["uid"]) for entry in entries] == [
        ("content.moved", f"{live_folder.path}/final", winner.json["uid"])
    ]
    assert live.tree_problems(live_folder) == []


def test_concurrent_moves_of_one_folder_keep_its_subtree_with_it(live, live_folder, editor):
    folder = live.add_folder(live_folder.path, "box")
    inner = live.add_folder(folder.path, "inner")
    live.add_documents(folder.path, ["first", "second"])
    live.add_documents(inner.path, ["deep"])
    mark = live.audit_mark()

    responses = live.race(
        [move(live, folder, editor, live_folder.path, name=f"box-{n}") for n in range(CLIENTS)]
    )

    # Once one rename is committed the old URL redirects (308) to the folder's
    # new one, where a client may send its move again.
    counts = live.assert_statuses(responses, {200, 308})
    assert counts.get(200, 0) >= 1
    names = [response.json["name"] for response in responses if response.status == 200]
    for response in responses:
        if response.status == 308:
            location = response.headers["location"].removeprefix(live.url)
            assert location in [f"{live_folder.api_path}/{name}/@move" for name in names]
    problems = live.tree_problems(live_folder)
    assert problems == [], f"statuses {counts}; " + "\n".join(problems)
    after = live.node_by_uid(folder.uid)
    assert after.name in names
    assert [node.path.removeprefix(after.path) for node in live.subtree(after.path)] == [
        "",
        "/first",
        "/inner",
        "/inner/deep",
        "/second",
    ]
    entries = live.audit_entries(after=mark)
    assert [(entry.action, entry.details["uid"]) for entry in entries] == [
        ("content.moved", folder.uid)
    ] * counts[200]


def test_moves_and_deletes_of_different_items_in_one_folder_all_succeed(live, live_folder, editor):
    responses, audited = [], []
    for round_number in range(3):
        source = live.add_folder(live_folder.path, f"source-{round_number}")
        target = live.add_folder(live_folder.path, f"target-{round_number}")
        boxes = [live.add_folder(source.path, f"box-{n}") for n in range(CLIENTS // 2)]
        for box in boxes:
            live.add_documents(box.path, ["first", "second"])
        documents = live.add_documents(target.path, [f"doc-{n}" for n in range(CLIENTS // 2)])
        mark = live.audit_mark()

        # Nobody races for the same node: each client moves or deletes one of
        # its own, all in the same two folders, so every one must succeed.
        responses += live.race(
            [move(live, box, editor, target.path) for box in boxes]
            + [
                live.prepare("DELETE", document.api_path, user=editor, headers={"If-Match": '"1"'})
                for document in documents
            ]
        )

        entries = live.audit_entries(after=mark)
        audited.append(
            (
                sorted((entry.action, entry.details["uid"]) for entry in entries),
                sorted(
                    [("content.moved", box.uid) for box in boxes]
                    + [("content.trashed", document.uid) for document in documents]
                ),
            )
        )

    counts = live.assert_statuses(responses, {200, 204})
    assert counts == {200: 3 * (CLIENTS // 2), 204: 3 * (CLIENTS // 2)}
    assert live.tree_problems(live_folder) == []
    for found, wanted in audited:
        assert found == wanted
