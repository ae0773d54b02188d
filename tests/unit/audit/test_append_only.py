"""The database itself refuses to change or remove audit entries, on every database."""

import datetime as dt

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from charter.audit.models import AuditEntry
from charter.audit.service import Actor, AuditLog
from charter.audit.triggers import allow_prune, end_prune, is_refusal

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def entry(dbsession):
    entry = AuditLog(dbsession).record("test.written", Actor(login="ann"), "/x", note="kept")
    dbsession.flush()
    return entry


def refused(db_connection, statement) -> BaseException:
    """Run ``statement`` in a savepoint that it leaves rolled back; the error it raised."""
    savepoint = db_connection.begin_nested()
    try:
        with pytest.raises(DBAPIError) as raised:
            db_connection.execute(statement)
    finally:
        savepoint.rollback()
    return raised.value


def test_an_update_is_refused_by_the_database(db_connection, entry):
    error = refused(
        db_connection, update(AuditEntry).where(AuditEntry.id == entry.id).values(action="x")
    )

    assert is_refusal(error), error
    assert "UPDATE refused" in str(error)
    assert db_connection.scalar(select(AuditEntry.action).where(AuditEntry.id == entry.id)) == (
        "test.written"
    )


def test_a_delete_is_refused_by_the_database(db_connection, entry):
    error = refused(db_connection, delete(AuditEntry).where(AuditEntry.id == entry.id))

    assert is_refusal(error), error
    assert "DELETE refused" in str(error)
    assert db_connection.scalar(select(func.count()).where(AuditEntry.id == entry.id)) == 1


def test_deleting_everything_is_refused_too(db_connection, entry):
    error = refused(db_connection, delete(AuditEntry))

    assert is_refusal(error), error


def test_truncate_is_refused_on_postgresql(db_connection, entry):
    if db_connection.dialect.name != "postgresql":
        pytest.skip("TRUNCATE fires no trigger on MySQL; SQLite has no TRUNCATE")
    error = refused(db_connection, text("TRUNCATE audit_log"))

    assert is_refusal(error), error


def test_prune_deletes_only_entries_older_than_its_cutoff(db_connection, dbsession):
    log = AuditLog(dbsession)
    old = log.record("test.old", Actor(login="ann"))
    old.at = LONG_AGO
    new = log.record("test.new", Actor(login="ann"))
    dbsession.flush()
    cutoff = LONG_AGO + dt.timedelta(days=1)

    allow_prune(db_connection, cutoff)
    try:
        removed = db_connection.execute(delete(AuditEntry).where(AuditEntry.id == old.id))
        assert removed.rowcount == 1
        # Even while pruning, a newer entry stays, and nothing is ever updated.
        assert is_refusal(refused(db_connection, delete(AuditEntry).where(AuditEntry.id == new.id)))
        assert is_refusal(
            refused(
                db_connection, update(AuditEntry).where(AuditEntry.id == new.id).values(target="")
            )
        )
    finally:
        end_prune(db_connection)

    remaining = db_connection.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("test.%"))
    )
    assert list(remaining) == ["test.new"]


def test_after_a_prune_deleting_is_refused_again(db_connection, dbsession):
    old = AuditLog(dbsession).record("test.old", Actor(login="ann"))
    old.at = LONG_AGO
    dbsession.flush()

    allow_prune(db_connection, dt.datetime.now(dt.UTC))
    end_prune(db_connection)

    assert is_refusal(refused(db_connection, delete(AuditEntry).where(AuditEntry.id == old.id)))
