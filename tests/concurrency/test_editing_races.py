"""Concurrent changes of one node on a live server: exactly one client wins.

Twenty clients send the same conditional change (the same If-Match) at the
same moment; the version check must let exactly one through, tell the others
412 (or 404 once the node is gone), never fail with a 5xx, and leave one
audit entry for the one change that happened.
"""

import pytest

CLIENTS = 20


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
    modified = live.audit_entries("content.modified", after=mark)
    assert [entry.details["uid"] for entry in modified] == [document.uid]
