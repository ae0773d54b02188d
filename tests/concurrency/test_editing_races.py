"""Concurrent changes of one node on a live server: exactly one client wins.

Twenty clients send the same conditional change (the same If-Match) at the
same moment; the version check must let exactly one through, tell the others
412 (or 404 once the node is gone), never fail with a 5xx, and leave one
audit entry for the one change that happened.
"""

import pytest

CLIENTS = 20
ROUNDS = 20


@pytest.fixture
def editor(live, live_folder):
    """An Editor of the test's folder, with a read-write token."""
    return live.make_user(roles={live_folder.path: ["Editor"]})


def test_concurrent_patches_of_one_version_let_exactly_one_through(live, live_folder, editor):
    document = live.add_document(live_folder.path, "minutes", "Minutes", "Monday.")
    mark = live.audit_mark()

    responses = live.race(
        [
            live.prepare(
                "PATCH",
                document.api_path,
                user=editor,
                json_body={"title": f"Minutes by client {number}"},
                headers={"If-Match": f'"{document.version}"'},
            )
            for number in range(CLIENTS)
        ]
    )

    counts = live.assert_statuses(responses, {200, 412})
    assert counts == {200: 1, 412: CLIENTS - 1}, live.explain(f"statuses {counts}", responses)
    winner = next(response for response in responses if response.status == 200)
    after = live.node(document.path)
    assert after.version == document.version + 1
    assert winner.json["version"] == after.version
    assert winner.headers["etag"] == f'"{after.version}"'
    assert after.title == winner.json["title"]
    for response in responses:
        if response.status == 412:
            problem = response.problem()
            assert problem["type"] == "urn:charter:problem:stale-version"
            assert problem["current_version"] == after.version
    entries = live.audit_entries(after=mark)
    assert [(entry.action, entry.details["uid"]) for entry in entries] == [
        ("content.modified", document.uid)
    ]


def test_concurrent_deletes_of_one_version_delete_once(live, live_folder, editor):
    doomed = live.add_folder(live_folder.path, "doomed")
    inner = live.add_folder(doomed.path, "inner")
    live.add_documents(doomed.path, ["first", "second"])
    live.add_documents(inner.path, ["deep"])
    mark = live.audit_mark()

    responses = live.race(
        [
            live.prepare(
                "DELETE", doomed.api_path, user=editor, headers={"If-Match": f'"{doomed.version}"'}
            )
            for _ in range(CLIENTS)
        ]
    )

    counts = live.assert_statuses(responses, {204, 404, 412})
    assert counts.get(204) == 1, live.explain(f"statuses {counts}", responses)
    assert all(response.body == b"" for response in responses if response.status == 204)
    assert live.subtree(doomed.path) == []
    assert live.request("GET", doomed.api_path, user=editor).status == 404
    assert live.request("GET", f"/api/v1/nodes/{doomed.uid}", user=editor).status == 404
    entries = live.audit_entries(after=mark)
    assert [(entry.action, entry.target, entry.details["uid"]) for entry in entries] == [
        ("content.trashed", doomed.path, doomed.uid)
    ]
    assert entries[0].details["count"] == 5
    assert live.tree_problems(live_folder) == []


def test_a_patch_racing_a_delete_of_the_same_version_never_both_succeed(live, live_folder, editor):
    documents = live.add_documents(live_folder.path, [f"round-{n}" for n in range(ROUNDS)])
    rounds = []

    for document in documents:
        mark = live.audit_mark()
        if_match = {"If-Match": f'"{document.version}"'}
        patch, delete = live.race(
            [
                live.prepare(
                    "PATCH",
                    document.api_path,
                    user=editor,
                    json_body={"title": "Changed"},
                    headers=if_match,
                ),
                live.prepare("DELETE", document.api_path, user=editor, headers=if_match),
            ]
        )
        actions = [(entry.action, entry.details["uid"]) for entry in live.audit_entries(after=mark)]
        rounds.append((document, patch, delete, live.node(document.path), actions))

    # When the DELETE won, the PATCH finds the node gone (404) or changed (412);
    # when the PATCH won, the DELETE names a version that is no longer current.
    live.assert_statuses([patch for _, patch, _, _, _ in rounds], {200, 404, 412})
    live.assert_statuses([delete for _, _, delete, _, _ in rounds], {204, 412})
    outcomes = [(patch.status, delete.status) for _, patch, delete, _, _ in rounds]
    assert all((patch == 200) != (delete == 204) for patch, delete in outcomes), outcomes
    for document, _patch, delete, after, actions in rounds:
        if delete.status == 204:
            assert after is None
            assert actions == [("content.trashed", document.uid)]
        else:
            assert delete.problem()["current_version"] == document.version + 1
            assert (after.version, after.title) == (document.version + 1, "Changed")
            assert actions == [("content.modified", document.uid)]
