"""Counting attempts per key in a window: in the database and in Redis, with one behaviour."""

import datetime as dt
import uuid

import pytest
import redis
from sqlalchemy import select, update

from charter.db.meta import utcnow
from charter.security.models import RateLimitCounter
from charter.security.ratelimit import DatabaseRateLimiter, RedisRateLimiter

WINDOW = 600
TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


class DatabaseBackend:
    """A DatabaseRateLimiter on the test transaction, and a way to move its windows."""

    def __init__(self, dbsession):
        self.dbsession = dbsession
        self.limiter = DatabaseRateLimiter(dbsession, WINDOW)

    def leave_seconds(self, key, seconds):
        """Move the window of ``key`` back so that it ends in ``seconds``."""
        start = utcnow() - dt.timedelta(seconds=WINDOW - seconds)
        self.dbsession.execute(
            update(RateLimitCounter).where(RateLimitCounter.key == key).values(window_start=start)
        )
        self.dbsession.expire_all()

    def end_window(self, key):
        """Make the window of ``key`` lie in the past."""
        self.leave_seconds(key, -1)


class RedisBackend:
    """A RedisRateLimiter on test database 15, with keys of this test only."""

    def __init__(self, client):
        self.client = client
        self.limiter = RedisRateLimiter(client, WINDOW)
        self.limiter.PREFIX = f"charter-test:{uuid.uuid4().hex}:"

    def leave_seconds(self, key, seconds):
        """Make the window of ``key`` end in ``seconds``."""
        self.client.expire(self.limiter.PREFIX + key, seconds)

    def end_window(self, key):
        """Make the window of ``key`` lie in the past (Redis drops the counter)."""
        self.client.pexpireat(self.limiter.PREFIX + key, 1)

    def stored_keys(self):
        """This test's keys in Redis."""
        return sorted(k.decode() for k in self.client.scan_iter(match=self.limiter.PREFIX + "*"))


@pytest.fixture
def redis_client():
    """A client on the local Redis, database 15."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def redis_backend(redis_client):
    """The Redis backend; its keys are deleted after the test."""
    backend = RedisBackend(redis_client)
    yield backend
    for key in backend.stored_keys():
        redis_client.delete(key)


@pytest.fixture
def database_backend(dbsession):
    """The database backend."""
    return DatabaseBackend(dbsession)


@pytest.fixture(params=["database", "redis"])
def backend(request):
    """Each backend in turn."""
    return request.getfixturevalue(f"{request.param}_backend")


def test_a_key_never_seen_has_no_attempts(backend):
    assert backend.limiter.count("login:account:ann") == 0
    assert backend.limiter.retry_after("login:account:ann") == 0


def test_hits_are_counted_per_key(backend):
    limiter = backend.limiter

    assert [limiter.hit("login:account:ann") for _ in range(3)] == [1, 2, 3]
    assert limiter.hit("login:address:192.0.2.1") == 1

    assert limiter.count("login:account:ann") == 3
    assert limiter.count("login:address:192.0.2.1") == 1
    assert limiter.count("login:account:bob") == 0


def test_the_window_opens_with_the_first_hit(backend):
    backend.limiter.hit("k")

    assert 0 < backend.limiter.retry_after("k") <= WINDOW


def test_retry_after_is_the_time_left_in_the_window(backend):
    backend.limiter.hit("k")
    backend.leave_seconds("k", 30)

    assert 29 <= backend.limiter.retry_after("k") <= 30


def test_later_hits_do_not_extend_the_window(backend):
    backend.limiter.hit("k")
    backend.leave_seconds("k", 30)

    assert backend.limiter.hit("k") == 2

    assert 29 <= backend.limiter.retry_after("k") <= 30


def test_when_the_window_has_passed_counting_starts_again(backend):
    limiter = backend.limiter
    for _ in range(4):
        limiter.hit("k")
    limiter.hit("other")
    backend.end_window("k")

    assert limiter.count("k") == 0
    assert limiter.retry_after("k") == 0
    assert limiter.hit("k") == 1
    assert limiter.retry_after("k") > 30, "a new, whole window"
    assert limiter.count("other") == 1


def test_reset_forgets_one_key(backend):
    limiter = backend.limiter
    limiter.hit("k")
    limiter.hit("k")
    limiter.hit("other")

    limiter.reset("k")

    assert limiter.count("k") == 0
    assert limiter.retry_after("k") == 0
    assert limiter.count("other") == 1
    assert limiter.hit("k") == 1


def test_reset_of_a_key_never_seen_is_harmless(backend):
    backend.limiter.reset("never")

    assert backend.limiter.count("never") == 0


def counter_rows(dbsession):
    """(key, count) of every counter row."""
    return dbsession.execute(
        select(RateLimitCounter.key, RateLimitCounter.count).order_by(RateLimitCounter.key)
    ).all()


def test_database_counters_are_rows_and_an_expired_row_is_reused(database_backend, dbsession):
    limiter = database_backend.limiter
    limiter.hit("k")
    limiter.hit("k")
    dbsession.flush()
    assert counter_rows(dbsession) == [("k", 2)]

    database_backend.end_window("k")
    limiter.hit("k")
    dbsession.flush()

    assert counter_rows(dbsession) == [("k", 1)]
    start = dbsession.scalar(select(RateLimitCounter.window_start))
    assert utcnow() - start < dt.timedelta(seconds=WINDOW), "the window starts again"

    limiter.reset("k")

    assert counter_rows(dbsession) == []


def test_redis_counters_are_keys_that_expire_with_their_window(redis_backend, redis_client):
    limiter = redis_backend.limiter

    limiter.hit("login:account:ann")
    limiter.hit("login:account:ann")

    name = limiter.PREFIX + "login:account:ann"
    assert redis_backend.stored_keys() == [name]
    assert redis_client.get(name) == b"2"
    assert 0 < redis_client.ttl(name) <= WINDOW

    limiter.reset("login:account:ann")

    assert redis_backend.stored_keys() == []
