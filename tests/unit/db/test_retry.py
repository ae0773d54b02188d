"""Which database errors Charter treats as transient (worth running the request again)."""

import io
import sqlite3

import pytest
from pyramid.request import Request
from pyramid_retry import IRetryableError

from charter.db.retry import REPLAYABLE_BODY_SIZE, attempts_for, is_transient
from charter.errors import ChangedMeanwhile


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
        # The loser of a race for a unique row or a reference, seeing the winner's row.
        FakeMySQLError(1062),  # duplicate entry
        FakeMySQLError(1452),  # a reference to a row deleted meanwhile
        FakePsycopgError("23505"),  # unique violation
        FakePsycopgError("23503"),  # foreign key violation
        sqlite3.IntegrityError("UNIQUE constraint failed: groups.name"),
        sqlite3.IntegrityError("FOREIGN KEY constraint failed"),
    ],
)
def test_deadlocks_lock_timeouts_and_lost_races_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        None,
        FakeMySQLError(1146),  # table does not exist
        FakeMySQLError(1406),  # data too long
        FakePsycopgError("22001"),  # string data right truncation
        sqlite3.OperationalError("no such table: nodes"),
        sqlite3.IntegrityError("NOT NULL constraint failed: nodes.title"),
        ValueError("database is locked"),  # right words, not a database error
    ],
)
def test_other_errors_are_not_transient(error):
    assert not is_transient(error)


def waitress_request(method, body=b"", content_length=None):
    """A request as waitress hands it over: an input that says it ends, a length when sized."""
    request = Request.blank("/", method=method)
    request.environ["wsgi.input_terminated"] = True
    request.environ.pop("CONTENT_LENGTH", None)
    if content_length is not None:
        request.environ["CONTENT_LENGTH"] = str(content_length)
        request.environ["wsgi.input"] = io.BytesIO(body)
    return request


@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE", "OPTIONS"])
def test_requests_without_a_body_get_the_default_attempts(method):
    assert attempts_for(waitress_request(method)) is None


def test_a_small_body_is_replayed():
    assert attempts_for(waitress_request("PATCH", b"{}", content_length=2)) is None


def test_a_body_larger_than_what_is_copied_gets_one_attempt():
    assert attempts_for(waitress_request("POST", content_length=REPLAYABLE_BODY_SIZE + 1)) == 1


def test_an_unsized_body_gets_one_attempt():
    assert attempts_for(waitress_request("POST")) == 1


def test_changed_meanwhile_is_retryable():
    assert IRetryableError.providedBy(ChangedMeanwhile("/a moved meanwhile"))
