"""Concurrent history writes on a live server: restores and new file versions racing with one
If-Match let exactly one through, and changes of many nodes at once never fail.

Each client sends its request at the same moment; the others must be told
412 (the version they named is gone), never a 5xx, and the history must
hold one new revision for the one change that happened.
"""

import hashlib
import json

import pytest
from sqlalchemy import select

from charter.history.models import Revision
from charter.testing.live import LiveRequest
from charter.tree.models import Node

CLIENTS = 20


@pytest.fixture
def editor(live, live_folder):
    """An Editor of the test's folder, with a read-write token."""
    return live.make_user(roles={live_folder.path: ["Editor"]})


def revisions_of(live, path):
    """(number, comment, blob_sha256) of the committed revisions of the node at ``path``."""
    with live.engine.connect() as connection:
        node_id = connection.scalar(select(Node.id).where(Node.path == path))
        return [
            tuple(row)
            for row in connection.execute(
                select(Revision.number, Revision.comment, Revision.blob_sha256)
                .where(Revision.node_id == node_id)
                .order_by(Revision.number)
            )
        ]


def test_concurrent_restores_of_one_version_let_exactly_one_through(live, live_folder, editor):
    document = live.add_document(live_folder.path, "minutes", "Minutes", "Monday.")
    changed = live.request(
        "PATCH",
        document.api_path,
        user=editor,
        json_body={"body": "Tuesday."},
        headers={"If-Match": f'"{document.version}"'},
    )
    assert changed.status == 200, changed
    mark = live.audit_mark()

    responses = live.race(
        [
            live.prepare(
                "POST",
                f"{document.api_path}/@history/1/@restore",
                user=editor,
                json_body={"@comment": f"client {number}"},
                headers={"If-Match": changed.headers["etag"]},
            )
            for number in range(CLIENTS)
        ]
    )

    counts = live.assert_statuses(responses, {200, 412})
    assert counts == {200: 1, 412: CLIENTS - 1}, live.explain(f"statuses {counts}", responses)
    winner = next(response for response in responses if response.status == 200)
    history = revisions_of(live, document.path)
    assert [number for number, _, _ in history] == [1, 2, 3]
    assert history[-1][1] == json.loads(winner.request.body)["@comment"]
    assert live.node(document.path).version == winner.json["version"] == document.version + 2
    assert winner.json["body"] == "Monday."
    for response in responses:
        if response.status == 412:
            assert response.problem()["current_version"] == winner.json["version"]
    entries = live.audit_entries(after=mark)
    assert [(entry.action, entry.details["revision"]) for entry in entries] == [
        ("content.restored", 3)
    ]


def test_concurrent_new_versions_of_one_file_let_exactly_one_through(live, live_folder, editor):
    uploaded = live.send(
        LiveRequest(
            "POST",
            live_folder.api_path,
            (
                ("Authorization", f"Bearer {editor.token}"),
                ("Content-Type", "application/octet-stream"),
                ("Slug", "report.txt"),
            ),
            b"The first version.\n",
        )
    )
    assert uploaded.status == 201, uploaded
    path = f"{live_folder.path}/report.txt"
    versions = [f"Version {number} of the report.\n".encode() for number in range(CLIENTS)]
    mark = live.audit_mark()

    responses = live.race(
        [
            LiveRequest(
                "PUT",
                f"{live_folder.api_path}/report.txt/@download",
                (
                    ("Authorization", f"Bearer {editor.token}"),
                    ("Content-Type", "application/octet-stream"),
                    ("If-Match", '"1"'),
                ),
                data,
            )
            for data in versions
        ]
    )

    counts = live.assert_statuses(responses, {200, 412})
    assert counts == {200: 1, 412: CLIENTS - 1}, live.explain(f"statuses {counts}", responses)
    winner = next(response for response in responses if response.status == 200)
    history = revisions_of(live, path)
    assert [number for number, _, _ in history] == [1, 2]
    assert history[1][2] == winner.json["sha256"] == hashlib.sha256(winner.request.body).hexdigest()
    downloaded = live.request("GET", f"{live_folder.api_path}/report.txt/@download", user=editor)
    assert downloaded.body == winner.request.body
    old = live.request(
        "GET", f"{live_folder.api_path}/report.txt/@history/1/@download", user=editor
    )
    assert old.body == b"The first version.\n"
    assert [entry.action for entry in live.audit_entries(after=mark)] == ["content.modified"]


def test_changes_of_many_nodes_at_once_each_record_their_revision(live, live_folder, editor):
    documents = live.add_documents(live_folder.path, [f"note-{n}" for n in range(CLIENTS)])

    responses = live.race(
        [
            live.prepare(
                "PATCH",
                document.api_path,
                user=editor,
                json_body={"body": f"Changed {document.name}", "@comment": "at once"},
                headers={"If-Match": f'"{document.version}"'},
            )
            for document in documents
        ]
    )

    counts = live.assert_statuses(responses, {200})
    assert counts == {200: CLIENTS}
    for document in documents:
        assert revisions_of(live, document.path) == [(1, "", None), (2, "at once", None)]
