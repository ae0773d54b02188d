"""``GET /api/v1/audit``, ``GET <node>/@audit`` and what each write leaves in the log."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from charter.audit.models import AuditEntry
from charter.testing.assertions import assert_problem
from charter.tree.models import Node
from tests.functional.audit.conftest import token_id_of

AUDIT = "/api/v1/audit"
CONTENT = "/api/v1/content"


def newest(dbsession, action):
    return dbsession.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    ).first()


def delete(app, path, headers):
    """Delete the node at ``path`` through the API, with the If-Match it needs."""
    etag = app.get(f"{CONTENT}{path}", headers=headers).headers["ETag"]
    app.delete(f"{CONTENT}{path}", headers={**headers, "If-Match": etag}, status=204)


def actions(response):
    return [item["action"] for item in response.json["items"]]


def test_a_write_with_a_token_records_the_token_agent_request_id_and_node(
    anonymous_app, as_manager, manager, dbsession
):
    response = anonymous_app.post_json(
        f"{CONTENT}/docs",
        {"@type": "Document", "name": "plan", "title": "The Plan"},
        headers={**as_manager, "User-Agent": "sync-tool/2.1"},
        extra_environ={"REMOTE_ADDR": "192.0.2.7"},
        status=201,
    )

    entry = newest(dbsession, "content.added")
    node = dbsession.scalars(select(Node).where(Node.path == "/docs/plan")).one()
    assert (entry.actor_id, entry.actor_login) == (manager.id, "mona")
    assert entry.token_id == token_id_of(dbsession, manager)
    assert entry.user_agent == "sync-tool/2.1"
    assert entry.request_id == response.headers["X-Request-ID"]
    assert entry.address == "192.0.2.7"
    assert (entry.node_uid, entry.node_path, entry.node_title) == (
        node.uid,
        "/docs/plan",
        "The Plan",
    )


def test_an_edit_records_the_changed_fields_and_a_move_the_old_path(
    anonymous_app, as_manager, dbsession
):
    guide = anonymous_app.get(f"{CONTENT}/docs/guide", headers=as_manager)
    anonymous_app.patch_json(
        f"{CONTENT}/docs/guide",
        {"title": "The Guide"},
        headers={**as_manager, "If-Match": guide.headers["ETag"]},
    )

    entry = newest(dbsession, "content.modified")
    assert entry.details["fields"] == ["title"]
    assert (entry.node_path, entry.node_title) == ("/docs/guide", "The Guide")


def test_entries_about_a_purged_node_keep_its_path_and_title(
    admin_app, as_admin, anonymous_app, site, dbsession
):
    memo = dbsession.scalars(select(Node).where(Node.path == "/other/memo")).one()
    uid = memo.uid
    delete(anonymous_app, "/other/memo", as_admin)
    entry_id = newest(dbsession, "content.trashed").details["entry"]
    anonymous_app.delete(f"/api/v1/trash/{entry_id}", headers=as_admin, status=204)

    listed = anonymous_app.get(AUDIT, {"node": uid}, headers=as_admin).json["items"]

    assert [item["action"] for item in listed][:2] == ["content.purged", "content.trashed"]
    for item in listed:
        assert item["node"] == {"uid": uid, "path": "/other/memo", "title": "Memo"}


def test_an_administrator_reads_everything_newest_first_in_keyset_pages(
    anonymous_app, as_admin, many_entries
):
    many_entries(5)

    first = anonymous_app.get(AUDIT, {"action": "test.entry", "limit": 2}, headers=as_admin)
    second = anonymous_app.get(first.json["next"], headers=as_admin)
    third = anonymous_app.get(second.json["next"], headers=as_admin)

    seen = [item["details"]["n"] for r in (first, second, third) for item in r.json["items"]]
    assert seen == [4, 3, 2, 1, 0]
    assert third.json["next"] is None
    assert "action=test.entry" in first.json["next"]
    assert first.headers["Cache-Control"] == "private, no-store"


def test_the_filters_narrow_by_actor_action_subtree_and_time(
    anonymous_app, as_admin, site, many_entries, dbsession
):
    many_entries(2, login="robot")
    many_entries(1, login="droid")

    by_actor = anonymous_app.get(AUDIT, {"actor": "droid"}, headers=as_admin)
    under_docs = anonymous_app.get(AUDIT, {"path": "/docs"}, headers=as_admin)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    future = anonymous_app.get(AUDIT, {"since": tomorrow}, headers=as_admin)
    today = anonymous_app.get(AUDIT, {"until": tomorrow, "action": "test.entry"}, headers=as_admin)

    assert [i["actor"] for i in by_actor.json["items"]] == ["droid"]
    paths = {i["node"]["path"] for i in under_docs.json["items"]}
    assert paths == {"/docs", "/docs/guide", "/docs/board", "/docs/board/minutes"}
    assert future.json["items"] == []
    assert len(today.json["items"]) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-40"}, "until"),
        ({"limit": "0"}, "limit"),
        ({"after": "not-a-cursor"}, "after"),
        ({"actor": "x" * 101}, "actor"),
        ({"node": "../etc"}, "node"),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "until"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(anonymous_app, as_admin, params, field):
    response = anonymous_app.get(AUDIT, params, headers=as_admin, status=400)

    assert_problem(response, 400)
    assert field in response.text


def test_a_manager_reads_only_entries_about_what_they_manage_and_may_view(
    anonymous_app, as_manager, site, many_entries
):
    many_entries(1)  # not about a node: Administrators only

    items = anonymous_app.get(AUDIT, headers=as_manager).json["items"]

    paths = {item["node"]["path"] for item in items}
    assert paths == {"/docs", "/docs/guide"}
    assert not any(item["action"] == "test.entry" for item in items)


def test_a_manager_does_not_read_entries_about_a_purged_node(
    anonymous_app, as_manager, as_admin, dbsession
):
    delete(anonymous_app, "/docs/guide", as_admin)
    entry_id = newest(dbsession, "content.trashed").details["entry"]
    anonymous_app.delete(f"/api/v1/trash/{entry_id}", headers=as_admin, status=204)

    items = anonymous_app.get(AUDIT, headers=as_manager).json["items"]

    assert {item["node"]["path"] for item in items} == {"/docs"}


def test_someone_who_manages_nothing_is_refused(anonymous_app, bearer, staff_user, site):
    response = anonymous_app.get(AUDIT, headers=bearer(staff_user), status=403)

    assert_problem(response, 403)


def test_the_anonymous_are_asked_to_authenticate(anonymous_app, site):
    anonymous_app.get(AUDIT, status=401)
    anonymous_app.get("/api/v1/audit/export", status=401)


def test_a_node_audit_lists_its_entries_whatever_path_it_had(
    anonymous_app, as_manager, as_admin, site, dbsession
):
    guide = anonymous_app.get(f"{CONTENT}/docs/guide", headers=as_admin)
    anonymous_app.patch_json(
        f"{CONTENT}/docs/guide",
        {"title": "Handbook"},
        headers={**as_admin, "If-Match": guide.headers["ETag"]},
    )

    response = anonymous_app.get(f"{CONTENT}/docs/guide/@audit", headers=as_manager)

    assert actions(response) == ["content.modified", "content.added"]
    assert {item["node"]["title"] for item in response.json["items"]} == {"Guide", "Handbook"}


def test_a_node_audit_is_refused_to_those_who_do_not_manage_it(
    anonymous_app, as_manager, bearer, staff_user, site
):
    refused = anonymous_app.get(f"{CONTENT}/other/memo/@audit", headers=as_manager, status=403)
    assert_problem(refused, 403)
    anonymous_app.get(f"{CONTENT}/docs/@audit", headers=bearer(staff_user), status=403)
    # What the caller may not view is not found, as everywhere.
    anonymous_app.get(f"{CONTENT}/docs/board/@audit", headers=as_manager, status=404)


def test_a_page_is_at_most_three_queries_for_an_administrator_and_a_manager(
    anonymous_app, as_admin, as_manager, site, many_entries, query_recorder
):
    many_entries(30)
    for headers in (as_admin, as_manager):
        anonymous_app.get(AUDIT, headers=headers)  # the token's first use is recorded
        with query_recorder.record() as queries:
            anonymous_app.get(
                AUDIT, {"path": "/docs", "since": "2020-01-01", "limit": 10}, headers=headers
            )
        assert len(queries) <= 3, queries


def test_workflow_steps_are_in_the_log_with_their_states_and_node(
    anonymous_app, as_manager, as_admin, dbsession
):
    anonymous_app.post_json(
        f"{CONTENT}/docs",
        {"@type": "Document", "name": "draft", "title": "Draft"},
        headers=as_manager,
    )
    for transition in ("submit", "publish"):
        etag = anonymous_app.get(f"{CONTENT}/docs/draft", headers=as_manager).headers["ETag"]
        anonymous_app.post_json(
            f"{CONTENT}/docs/draft/@workflow/{transition}",
            {"comment": f"{transition} it"},
            headers={**as_manager, "If-Match": etag},
        )

    items = anonymous_app.get(
        AUDIT, {"action": "workflow.transition", "path": "/docs"}, headers=as_admin
    ).json["items"]

    steps = [(i["details"]["from_state"], i["details"]["to_state"]) for i in items]
    assert steps == [("pending", "published"), ("private", "pending")]
    assert {i["actor"] for i in items} == {"mona"}
    assert {i["node"]["path"] for i in items} == {"/docs/draft"}
    assert items[0]["label"] == "Workflow transition"


def test_the_api_export_streams_ndjson_of_the_filtered_selection(
    anonymous_app, as_admin, as_manager, site, many_entries
):
    many_entries(3, login="robot")

    response = anonymous_app.get(f"{AUDIT}/export", {"actor": "robot"}, headers=as_admin)
    managed = anonymous_app.get(f"{AUDIT}/export", headers=as_manager)

    assert response.content_type == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["details"]["n"] for line in lines] == [2, 1, 0]
    paths = {json.loads(line)["node"]["path"] for line in managed.text.splitlines()}
    assert paths == {"/docs", "/docs/guide"}


def test_the_csv_export_takes_a_bearer_token_too(anonymous_app, as_admin, many_entries):
    many_entries(2, login="robot")

    response = anonymous_app.get(
        "/admin/audit/export", {"format": "csv", "actor": "robot"}, headers=as_admin
    )

    assert response.content_type == "text/csv"
    assert len(response.text.splitlines()) == 3


def test_an_export_is_refused_to_someone_who_manages_nothing(anonymous_app, bearer, staff_user):
    response = anonymous_app.get(f"{AUDIT}/export", headers=bearer(staff_user), status=403)

    assert_problem(response, 403)


@pytest.mark.parametrize("url", [AUDIT, f"{AUDIT}/export", f"{CONTENT}/docs/@audit"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "TRACE"])
def test_the_log_its_export_and_a_nodes_log_refuse_other_methods_with_405_and_allow(
    anonymous_app, as_admin, site, url, method
):
    response = anonymous_app.request(url, method=method, headers=as_admin, status=405)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD"


def test_a_node_hidden_from_the_caller_stays_404_whatever_the_method(
    anonymous_app, as_manager, site
):
    anonymous_app.put(f"{CONTENT}/docs/board/@audit", headers=as_manager, status=404)
