"""The read-replica routing decision and the replica's engine (charter.db.replica)."""

import datetime as dt

import pytest
import transaction
from hypothesis import given
from hypothesis import strategies as st
from pyramid_retry import IRetryableError
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import DBAPIError

from charter.db.meta import Base
from charter.db.replica import (
    PRIMARY_ROUTES,
    REFUSED_ENVIRON_KEY,
    REPLICA_INFO_KEY,
    RecentWrite,
    Replica,
    ReplicaRefused,
    cookie_time,
    make_replica_engine,
    reads_replica,
    replica_from_settings,
    upsert_recent_write,
    wrote_within,
)
from charter.db.session import MANAGER_INFO_KEY, RequestSession
from charter.models import accounts
from charter.settings import parse_settings

SECRET = "a-session-secret-of-at-least-32-characters"
WINDOW = dt.timedelta(seconds=10)
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
UNREACHABLE_MYSQL = "mysql+mysqlconnector://root@127.0.0.1:1/charter"


def settings(replica_url="", **extra):
    return parse_settings(
        {
            "sqlalchemy.url": "sqlite://",
            "sqlalchemy.replica.url": replica_url,
            "charter.session.secret": SECRET,
            **extra,
        },
        environ={},
    )


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_safe_request_of_someone_who_has_not_written_reads_the_replica(method):
    assert reads_replica(method, "api.content", False, None, NOW, WINDOW)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"])
def test_every_other_method_uses_the_primary(method):
    assert not reads_replica(method, "api.content", False, None, NOW, WINDOW)


def test_the_change_feed_is_always_read_from_the_primary():
    assert "api.changes" in PRIMARY_ROUTES
    assert not reads_replica("GET", "api.changes", False, None, NOW, WINDOW)


def test_a_request_the_replica_refused_runs_again_on_the_primary():
    assert not reads_replica("GET", "api.content", True, None, NOW, WINDOW)


def test_a_writer_reads_the_primary_within_the_window_and_the_replica_after_it():
    just_before = NOW - WINDOW + dt.timedelta(microseconds=1)

    assert not reads_replica("GET", None, False, just_before, NOW, WINDOW)
    assert reads_replica("GET", None, False, NOW - WINDOW, NOW, WINDOW)


def test_a_write_stamped_ahead_of_this_clock_counts_as_recent():
    assert wrote_within(NOW + dt.timedelta(seconds=3), NOW, WINDOW)


def test_a_window_of_zero_never_holds_a_writer_on_the_primary():
    assert reads_replica("GET", None, False, NOW, NOW, dt.timedelta(0))


def test_the_cookie_holds_whole_unix_seconds():
    assert cookie_time(str(int(NOW.timestamp()))) == NOW


@pytest.mark.parametrize("value", [None, "", "abc", "-5", "1.5", "١٢٣", "9" * 13, "12 34"])
def test_a_malformed_cookie_is_no_write(value):
    assert cookie_time(value) is None


@given(st.text(max_size=40))
def test_any_cookie_value_is_a_time_or_nothing(value):
    written = cookie_time(value)
    assert written is None or written.tzinfo is dt.UTC


def test_no_replica_url_means_no_replica():
    assert replica_from_settings(settings()) is None


def test_the_window_defaults_to_ten_seconds():
    assert settings()["charter.replica.read_your_writes_seconds"] == 10


def test_the_replica_engine_refuses_writes(charter_engine, charter_settings):
    url = charter_settings["sqlalchemy.url"]
    engine = make_replica_engine(
        parse_settings({**charter_settings, "sqlalchemy.replica.url": url}, environ={})
    )
    try:
        # Twice: the second comes from the pool, where the setting must have lasted.
        for _ in range(2):
            with engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM nodes")).scalar() >= 0
                with pytest.raises(DBAPIError) as refused:
                    connection.execute(text("UPDATE nodes SET title = 'x' WHERE id = -1"))
                # SQLSTATE 25006, read-only transaction (MariaDB, PostgreSQL); SQLite's own words.
                assert getattr(refused.value.orig, "sqlstate", None) == "25006" or (
                    "readonly" in str(refused.value.orig)
                )
    finally:
        engine.dispose()


def test_an_unreachable_replica_is_refused_and_skipped_for_a_while():
    replica = replica_from_settings(settings(UNREACHABLE_MYSQL))
    assert isinstance(replica, Replica)
    assert replica.available()

    with pytest.raises(ReplicaRefused), replica.engine.connect():
        pass

    assert not replica.available()
    replica.engine.dispose()


def test_the_recent_write_upsert_inserts_then_moves_the_time_on():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[accounts.User.__table__, RecentWrite.__table__])
    later = NOW + dt.timedelta(seconds=5)
    with engine.begin() as connection:
        connection.execute(accounts.User.__table__.insert().values(id=7, **user_columns()))
        connection.execute(upsert_recent_write("sqlite", 7, NOW))
        connection.execute(upsert_recent_write("sqlite", 7, later))
        rows = connection.execute(select(RecentWrite.user_id, RecentWrite.written)).all()

    assert rows == [(7, later)]


def user_columns():
    """The columns a users row needs, filled with what a test account has."""
    return {"login": "writer", "email": "writer@example.com", "password_hash": "x"}


@pytest.fixture
def replica_session():
    """A request's session bound to a (read-only) replica, inside an explicit transaction."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[accounts.User.__table__, RecentWrite.__table__])
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    environ = {}
    session = RequestSession(
        bind=engine, info={MANAGER_INFO_KEY: manager, REPLICA_INFO_KEY: environ}
    )
    yield session, environ
    manager.abort()
    session.close()
    engine.dispose()


def test_a_flush_through_a_replica_session_is_refused_before_the_database(replica_session):
    session, environ = replica_session
    session.add(accounts.User(**user_columns()))

    with pytest.raises(ReplicaRefused):
        session.flush()

    assert environ[REFUSED_ENVIRON_KEY] is True


def test_a_statement_that_writes_through_a_replica_session_is_refused(replica_session):
    session, environ = replica_session

    with pytest.raises(ReplicaRefused):
        session.execute(update(accounts.User).values(email="x@example.com"))

    assert environ[REFUSED_ENVIRON_KEY] is True


def test_reading_through_a_replica_session_is_allowed(replica_session):
    session, environ = replica_session

    assert session.scalars(select(accounts.User)).all() == []
    assert REFUSED_ENVIRON_KEY not in environ


def test_the_refusal_is_retried_by_pyramid_retry():
    assert IRetryableError.providedBy(ReplicaRefused("x"))
