"""``GET /api/v1/changes``: every kind of change, in commit order, filtered, with tombstones."""

import datetime as dt

from sqlalchemy import update

from charter.changes.models import Change, ChangeCounter
from charter.testing.assertions import assert_problem
from tests.functional.changes.conftest import API, CHANGES, node_at


def etag(app, path, headers):
    return app.get(f"{API}{path}", headers=headers).headers["ETag"]


def delete(app, path, headers):
    """Delete ``path``; the id of its trash entry."""
    response = app.delete(f"{API}{path}", headers={**headers, "If-Match": etag(app, path, headers)})
    return response.headers["Link"].split(">")[0].rsplit("/", 1)[1]


def feed(app, headers, **params):
    return app.get(CHANGES, params=params, headers=headers).json


def test_the_anonymous_are_asked_to_log_in(anonymous_app, site):
    response = anonymous_app.get(CHANGES, status=401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_create_edit_rename_move_delete_and_restore_each_appear_once_in_order(
    anonymous_app, as_editor, site
):
    start = feed(anonymous_app, as_editor, since="latest")
    assert start["changes"] == []
    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Document", "name": "memo", "title": "Memo"}, headers=as_editor
    )
    anonymous_app.patch_json(
        f"{API}/docs/memo", {"title": "Memo 2"}, headers={**as_editor, "If-Match": '"1"'}
    )
    anonymous_app.post_json(
        f"{API}/docs/memo/@move", {"destination": "/docs", "name": "memo-2"}, headers=as_editor
    )
    anonymous_app.post_json(
        f"{API}/docs/memo-2/@move", {"destination": "/archive"}, headers=as_editor
    )
    entry = delete(anonymous_app, "/archive/memo-2", as_editor)
    anonymous_app.post(f"/api/v1/trash/{entry}/@restore", headers=as_editor)

    page = feed(anonymous_app, as_editor, since=start["cursor"])

    kinds = [(c["kind"], c["path"], c["old_path"]) for c in page["changes"]]
    assert kinds == [
        ("created", "/docs/memo", None),
        ("modified", "/docs/memo", None),
        ("renamed", "/docs/memo-2", "/docs/memo"),
        ("moved", "/archive/memo-2", "/docs/memo-2"),
        ("trashed", "/archive/memo-2", None),
        ("restored", "/archive/memo-2", "/archive/memo-2"),
    ]
    seqs = [c["seq"] for c in page["changes"]]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert {c["uid"] for c in page["changes"]} == {page["changes"][0]["uid"]}
    assert page["changes"][1]["details"] == {"fields": ["title"]}
    assert page["changes"][1]["actor"] == "ed"
    assert [c["tombstone"] for c in page["changes"]] == [False] * 4 + [True, False]
    assert page["changes"][4]["@id"] is None
    assert page["cursor"] == str(seqs[-1])
    assert page["more"] is False
    # Resuming from the cursor: nothing new.
    assert feed(anonymous_app, as_editor, since=page["cursor"])["changes"] == []


def test_a_page_ends_with_more_and_the_cursor_resumes_after_it(anonymous_app, as_editor, site):
    start = feed(anonymous_app, as_editor, since="latest")["cursor"]
    for name in ("a", "b", "c"):
        anonymous_app.post_json(
            f"{API}/docs", {"@type": "Folder", "name": name, "title": name}, headers=as_editor
        )

    first = feed(anonymous_app, as_editor, since=start, limit=2)
    second = feed(anonymous_app, as_editor, since=first["cursor"], limit=2)

    assert [c["path"] for c in first["changes"]] == ["/docs/a", "/docs/b"]
    assert first["more"] is True
    assert [c["path"] for c in second["changes"]] == ["/docs/c"]
    assert second["more"] is False
    assert f"since={first['cursor']}" in first["next"]


def test_a_rolled_back_request_leaves_nothing_in_the_feed(anonymous_app, as_editor, site):
    start = feed(anonymous_app, as_editor, since="latest")["cursor"]
    # A stale If-Match: refused after nothing was written.
    anonymous_app.patch_json(
        f"{API}/docs/guide", {"title": "X"}, headers={**as_editor, "If-Match": '"9"'}, status=412
    )
    assert feed(anonymous_app, as_editor, since=start)["changes"] == []


def test_a_partner_sees_no_change_it_may_not_view_and_a_tombstone_when_it_moves_away(
    anonymous_app, as_editor, as_partner, site
):
    start = feed(anonymous_app, as_partner, since="latest")["cursor"]
    anonymous_app.post_json(
        f"{API}/private",
        {"@type": "Document", "name": "secret", "title": "Secret"},
        headers=as_editor,
    )
    anonymous_app.patch_json(
        f"{API}/docs/guide", {"title": "Guide 2"}, headers={**as_editor, "If-Match": '"1"'}
    )
    anonymous_app.post_json(
        f"{API}/docs/guide/@move", {"destination": "/private"}, headers=as_editor
    )
    anonymous_app.patch_json(
        f"{API}/private/guide", {"title": "Guide 3"}, headers={**as_editor, "If-Match": '"3"'}
    )

    partner = feed(anonymous_app, as_partner, since=start)["changes"]
    editor = feed(anonymous_app, as_editor, since=start)["changes"]

    assert [(c["kind"], c["path"], c["tombstone"]) for c in partner] == [
        ("modified", "/docs/guide", False),
        ("hidden", "/private/guide", True),
    ]
    assert all("Secret" not in c["title"] and "Guide 3" not in c["title"] for c in partner)
    # The editor sees everything, without a tombstone (it still sees the guide).
    assert [c["kind"] for c in editor] == ["created", "modified", "moved", "modified"]


def test_filters_by_subtree_and_type(anonymous_app, as_editor, site):
    start = feed(anonymous_app, as_editor, since="latest")["cursor"]
    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Document", "name": "d1", "title": "D1"}, headers=as_editor
    )
    anonymous_app.post_json(
        f"{API}/archive", {"@type": "Folder", "name": "f1", "title": "F1"}, headers=as_editor
    )

    docs = feed(anonymous_app, as_editor, since=start, path="/docs")["changes"]
    folders = feed(anonymous_app, as_editor, since=start, type="Folder")["changes"]

    assert [c["path"] for c in docs] == ["/docs/d1"]
    assert [c["path"] for c in folders] == ["/archive/f1"]


def test_sharing_changes_are_in_the_feed(anonymous_app, as_editor, site):
    start = feed(anonymous_app, as_editor, since="latest")["cursor"]
    anonymous_app.post_json(
        f"{API}/docs/@sharing",
        {"entries": [{"principal": "group:board", "roles": ["Editor"]}]},
        headers=as_editor,
    )
    assert [c["kind"] for c in feed(anonymous_app, as_editor, since=start)["changes"]] == ["shared"]


def test_purging_leaves_a_tombstone_for_those_who_saw_it(
    anonymous_app, as_editor, as_partner, site, content, dbsession
):
    content.add_document(node_at(dbsession, "/docs"), "old", "Old", "Published already.")
    dbsession.flush()
    anonymous_app.patch_json(  # its first entry: the partner sees it published
        f"{API}/docs/old", {"title": "Old"}, headers={**as_editor, "If-Match": '"1"'}
    )
    start = feed(anonymous_app, as_partner, since="latest")["cursor"]
    entry = delete(anonymous_app, "/docs/old", as_editor)
    anonymous_app.delete(f"/api/v1/trash/{entry}", headers=as_editor, status=204)

    partner = feed(anonymous_app, as_partner, since=start)["changes"]

    assert [(c["kind"], c["path"], c["tombstone"]) for c in partner] == [
        ("trashed", "/docs/old", True),
        ("purged", "/docs/old", True),
    ]


def test_an_expired_cursor_is_410_with_a_resync_problem(anonymous_app, as_editor, dbsession, site):
    dbsession.execute(update(ChangeCounter).values(pruned_seq=ChangeCounter.last_seq + 5))
    dbsession.flush()

    response = anonymous_app.get(CHANGES, params={"since": "0"}, headers=as_editor, status=410)

    assert_problem(response, 410)
    assert response.json["type"] == "urn:charter:problem:cursor-expired"
    assert "Resync from a full listing" in response.json["detail"]


def test_retention_prunes_old_entries_and_expires_their_cursors(
    anonymous_app, as_editor, dbsession, site
):
    from charter.changes.feed import prune

    start = feed(anonymous_app, as_editor, since="latest")["cursor"]
    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Folder", "name": "x", "title": "X"}, headers=as_editor
    )
    dbsession.execute(
        update(Change)
        .where(Change.seq > int(start))
        .values(at=dt.datetime.now(dt.UTC) - dt.timedelta(days=91))
    )
    assert prune(dbsession, 90) == 1
    dbsession.flush()

    anonymous_app.get(CHANGES, params={"since": start}, headers=as_editor, status=410)
    latest = feed(anonymous_app, as_editor, since="latest")["cursor"]
    assert feed(anonymous_app, as_editor, since=latest)["changes"] == []


def test_bad_parameters_are_400_naming_them(anonymous_app, as_editor, site):
    response = anonymous_app.get(
        CHANGES,
        params={"since": "x", "limit": "0", "wait": "31", "path": "docs"},
        headers=as_editor,
        status=400,
    )
    pointers = {e["pointer"] for e in response.json["errors"]}
    assert pointers == {"/since", "/limit", "/wait", "/path"}


def test_other_methods_are_405_with_allow(anonymous_app, as_editor, site):
    response = anonymous_app.post(CHANGES, headers=as_editor, status=405)
    assert response.headers["Allow"] == "GET, HEAD"


def test_waiting_returns_at_once_when_there_are_changes(anonymous_app, as_editor, site):
    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Folder", "name": "w", "title": "W"}, headers=as_editor
    )
    page = feed(anonymous_app, as_editor, since="0", wait="30")
    assert page["changes"]


def test_waiting_with_nothing_new_ends_after_the_wait(anonymous_app, as_editor, site):
    latest = feed(anonymous_app, as_editor, since="latest")["cursor"]
    page = feed(anonymous_app, as_editor, since=latest, wait="1")
    assert page["changes"] == []
    assert page["cursor"] == latest


def test_a_private_draft_reaches_readers_only_when_published(
    anonymous_app, as_editor, as_partner, site
):
    start = feed(anonymous_app, as_partner, since="latest")["cursor"]
    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Document", "name": "draft", "title": "Draft"}, headers=as_editor
    )
    assert feed(anonymous_app, as_partner, since=start)["changes"] == []
    for transition, version in (("submit", 1), ("publish", 2)):
        anonymous_app.post_json(
            f"{API}/docs/draft/@workflow/{transition}",
            {},
            headers={**as_editor, "If-Match": f'"{version}"'},
        )

    partner = feed(anonymous_app, as_partner, since=start)["changes"]
    editor = feed(anonymous_app, as_editor, since=start)["changes"]

    assert [(c["kind"], c["details"]) for c in partner] == [
        ("workflow", {"transition": "publish", "from": "pending", "to": "published"})
    ]
    assert [c["kind"] for c in editor] == ["created", "workflow", "workflow"]
