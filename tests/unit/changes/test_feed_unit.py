"""Queuing changes on a session: what a transaction records and forgets."""

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from charter.changes.feed import (
    CREATED,
    MODIFIED,
    PENDING_KEY,
    PendingChange,
    install,
    record,
)


def change(kind, uid="u1", **details):
    return PendingChange(kind=kind, uid=uid, node_type="Document", path="/a", details=details)


def test_edits_after_a_create_in_one_transaction_make_no_second_entry():
    session = Session()
    record(session, change(CREATED))
    record(session, change(MODIFIED, fields=["title"]))
    assert [p.kind for p in session.info[PENDING_KEY]] == [CREATED]


def test_two_edits_merge_their_fields():
    session = Session()
    record(session, change(MODIFIED, fields=["title"]))
    record(session, change(MODIFIED, fields=["body"]))
    (only,) = session.info[PENDING_KEY]
    assert only.details == {"fields": ["body", "title"]}


def test_changes_of_other_nodes_are_kept_apart():
    session = Session()
    record(session, change(MODIFIED, uid="a"))
    record(session, change(MODIFIED, uid="b"))
    assert [p.uid for p in session.info[PENDING_KEY]] == ["a", "b"]


def test_a_rollback_forgets_what_was_queued():
    install()
    session = Session(create_engine("sqlite://"))
    session.execute(text("SELECT 1"))  # a transaction begins
    record(session, change(CREATED))
    session.rollback()
    assert PENDING_KEY not in session.info


def test_no_session_no_record():
    record(None, change(CREATED))  # a node outside any session: nothing to write with
