"""Writing entries: what the request adds, what is clipped to fit, what a node leaves."""

import transaction
from sqlalchemy import select

from charter.audit.models import AuditEntry
from charter.audit.service import Actor, AuditLog, NodeSnapshot, Origin
from charter.db.session import MANAGER_INFO_KEY, RequestSession

ORIGIN = Origin(address="192.0.2.5", user_agent="curl/8", request_id="r-1", user_id=3, token_id=12)


def test_an_entry_gets_the_requests_agent_id_address_and_token(dbsession):
    entry = AuditLog(dbsession, origin=lambda: ORIGIN).record("x.done", Actor(3, "ann"))

    assert (entry.address, entry.user_agent, entry.request_id) == ("192.0.2.5", "curl/8", "r-1")
    assert entry.token_id == 12


def test_the_token_goes_only_to_the_account_that_used_it(dbsession):
    entry = AuditLog(dbsession, origin=lambda: ORIGIN).record("x.done", Actor(4, "bob"))

    assert entry.token_id is None


def test_the_actors_own_address_wins(dbsession):
    entry = AuditLog(dbsession, origin=lambda: ORIGIN).record(
        "login.failed", Actor(login="eve", address="198.51.100.9")
    )

    assert entry.address == "198.51.100.9"


def test_long_texts_are_clipped_to_their_columns(dbsession):
    origin = Origin(user_agent="A" * 1000, request_id="r" * 200)
    deep = "/" + "/".join(["segment"] * 60)

    entry = AuditLog(dbsession, origin=lambda: origin).record(
        "x.done", Actor(login="l" * 300), node=NodeSnapshot("u" * 32, deep, "T" * 900)
    )
    dbsession.flush()

    assert len(entry.user_agent) == 255
    assert len(entry.request_id) == 64
    assert len(entry.actor_login) == 100
    assert len(entry.node_title) == 500
    assert entry.node_path == deep
    assert entry.target.endswith("…")
    assert entry.details["target"] == deep


def test_without_a_request_an_entry_records_none_of_it(dbsession):
    entry = AuditLog(dbsession).record("x.done", Actor(login="cli"), "thing")

    assert (entry.address, entry.user_agent, entry.request_id, entry.token_id) == (None,) * 4
    assert entry.node_uid is None


def test_an_entry_written_at_once_is_committed_with_the_requests_transaction(db_connection):
    manager = transaction.TransactionManager(explicit=True)
    session = RequestSession(
        bind=db_connection,
        join_transaction_mode="create_savepoint",
        info={MANAGER_INFO_KEY: manager},
    )
    manager.begin()
    AuditLog(session).write("test.written", Actor(login="ann"), "/x")
    manager.commit()  # a request session never marked as written is rolled back instead

    written = select(AuditEntry.target).where(AuditEntry.action == "test.written")
    assert db_connection.execute(written).scalars().all() == ["/x"]
