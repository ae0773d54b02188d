"""Reading the audit log: query parameters, who reads what, and the record an entry becomes."""

import datetime as dt

import pytest

from charter.audit.reading import (
    EVERYTHING,
    AuditAccess,
    AuditQuery,
    access_for,
    entry_record,
    managed_subtrees,
    statement,
)
from charter.audit.service import Actor, AuditLog, NodeSnapshot
from charter.errors import Forbidden, ValidationFailed
from charter.security.principals import user_principal
from charter.security.sharing import SharingService

SETTINGS = {"charter.api.max_page_size": 100, "charter.api.default_page_size": 50}


def test_a_query_reads_every_filter_and_keeps_them_for_the_next_page():
    query = AuditQuery.from_params(
        {
            "actor": " ann ",
            "action": "content.added",
            "path": "docs/",
            "since": "2026-11-01",
            "until": "2026-11-30",
            "limit": "10",
        },
        SETTINGS,
    )

    assert (query.actor, query.action, query.path, query.limit) == (
        "ann",
        "content.added",
        "/docs",
        10,
    )
    assert query.since == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert query.until == dt.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=dt.UTC)
    assert query.next_query("abc") == {
        "actor": "ann",
        "action": "content.added",
        "path": "/docs",
        "since": "2026-11-01T00:00:00Z",
        "until": "2026-11-30T23:59:59.999999Z",
        "after": "abc",
        "limit": "10",
    }


def test_every_wrong_parameter_is_named_at_once():
    with pytest.raises(ValidationFailed) as failure:
        AuditQuery.from_params({"limit": "1000", "since": "soon", "actor": "a\x00b"}, SETTINGS)

    assert {name for name, _ in failure.value.errors} == {"limit", "since", "actor"}


def test_the_root_path_is_the_whole_tree():
    assert AuditQuery.from_params({"path": "///"}, SETTINGS).path == "/"


def test_nobody_without_a_scope_may_read():
    with pytest.raises(Forbidden):
        statement(AuditQuery(limit=5), AuditAccess())


def test_administrators_read_everything_and_the_anonymous_nothing(dbsession):
    assert access_for(dbsession, frozenset({"user:1"}), frozenset({"Administrator"}), None) == (
        EVERYTHING
    )
    assert not access_for(dbsession, None, frozenset(), frozenset({"system.Everyone"})).allowed


def test_a_site_wide_manager_reads_every_folder(dbsession):
    access = access_for(dbsession, frozenset({"user:1"}), frozenset({"Manager"}), None)

    assert access.subtrees is None
    assert not access.everything


def test_managed_folders_inside_one_another_count_once(content, site_root, dbsession, make_user):
    mona = make_user("mona")
    docs = content.add_folder(site_root, "docs", "Docs")
    team = content.add_folder(docs, "team", "Team")
    other = content.add_folder(site_root, "other", "Other")
    principal = user_principal(mona.id)
    for folder in (docs, team, other):
        SharingService(dbsession).update(folder, {principal: ["Manager"]})
    content.add_folder(site_root, "read", "Read")
    dbsession.flush()

    assert managed_subtrees(dbsession, frozenset({principal})) == ("/docs", "/other")


def test_an_entry_record_holds_the_node_snapshot_and_the_request(dbsession):
    entry = AuditLog(dbsession).record(
        "content.purged",
        Actor(3, "ann", "192.0.2.1", token_id=9),
        node=NodeSnapshot("a" * 32, "/docs/old", "Old"),
        count=2,
    )
    dbsession.flush()

    record = entry_record(entry)

    assert record["node"] == {"uid": "a" * 32, "path": "/docs/old", "title": "Old"}
    assert (record["actor"], record["actor_id"], record["token_id"]) == ("ann", 3, 9)
    assert record["target"] == "/docs/old"
    assert record["label"] == "Deleted for good"
    assert record["details"] == {"count": 2}
