"""Which database errors Charter treats as transient (worth running the request again)."""

import sqlite3

import pytest

from charter.db.retry import is_transient


class FakeMySQLError(Exception):
    def __init__(self, errno):
        super().__init__(f"{errno} (40001): something")
        self.errno = errno


class FakePsycopgError(Exception):
    def __init__(self, sqlstate):
        super().__init__("psycopg error")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error",
    [
        FakeMySQLError(1213),  # deadlock found when trying to get lock
        FakeMySQLError(1205),  # lock wait timeout exceeded
        FakePsycopgError("40001"),  # serialization failure
        FakePsycopgError("40P01"),  # deadlock detected
        sqlite3.OperationalError("database is locked"),
    ],
)
def test_deadlocks_and_lock_timeouts_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        None,
        FakeMySQLError(1062),  # duplicate entry
        FakeMySQLError(1146),  # table does not exist
        FakePsycopgError("23505"),  # unique violation
        sqlite3.OperationalError("no such table: nodes"),
        sqlite3.IntegrityError("UNIQUE constraint failed"),
        ValueError("database is locked"),  # right words, not a database error
    ],
)
def test_other_errors_are_not_transient(error):
    assert not is_transient(error)
