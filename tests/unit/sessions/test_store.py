"""Session records in the database and in Redis: one behaviour, two stores."""

import datetime as dt
import uuid

import pytest
import redis
import transaction
from sqlalchemy import func, select, update

from charter.db.meta import utcnow
from charter.security.roles import Role
from charter.sessions.cookies import key_hash, new_key
from charter.sessions.models import UserSession
from charter.sessions.store import DatabaseSessionStore, RedisSessionStore, SessionRecord

TIMEOUT = dt.timedelta(hours=8)
TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


class DatabaseBackend:
    """A DatabaseSessionStore on the test transaction, and a way to age its records."""

    def __init__(self, dbsession):
        self.dbsession = dbsession
        self.store = DatabaseSessionStore(dbsession)

    def expire(self, record):
        """Make ``record`` lie past its expiry."""
        past = utcnow() - dt.timedelta(seconds=1)
        self.dbsession.execute(
            update(UserSession).where(UserSession.id == record.id).values(expires=past)
        )

    def stored_count(self):
        return self.dbsession.scalar(select(func.count()).select_from(UserSession))


class RedisBackend:
    """A RedisSessionStore on test database 15, with keys of this test only."""

    def __init__(self, client, dbsession):
        self.client = client
        self.store = RedisSessionStore(client, dbsession)
        self.store.PREFIX = f"charter-test:{uuid.uuid4().hex}:"

    def expire(self, record):
        """Make Redis drop ``record`` as if its time to live had run out."""
        self.client.pexpireat(self.store._record_key(record.key_hash), 1)

    def stored_count(self):
        return sum(1 for _ in self.client.scan_iter(match=self.store.PREFIX + "key:*"))

    def stored_keys(self):
        return list(self.client.scan_iter(match=self.store.PREFIX + "*"))


@pytest.fixture
def redis_client():
    """A client on the local Redis, database 15."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def redis_backend(redis_client, dbsession):
    backend = RedisBackend(redis_client, dbsession)
    yield backend
    for key in backend.stored_keys():
        redis_client.delete(key)


@pytest.fixture
def database_backend(dbsession):
    return DatabaseBackend(dbsession)


@pytest.fixture(params=["database", "redis"])
def backend(request):
    """Each store in turn."""
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture
def store(backend):
    return backend.store


@pytest.fixture
def ann(make_user):
    return make_user("ann", "Ann Archer", groups=["editors"], global_roles=["Reviewer"])


@pytest.fixture
def bob(make_user):
    return make_user("bob")


def new_record(user, seen_ago=dt.timedelta(0), **values):
    """A session record of ``user`` (not stored), last seen ``seen_ago``."""
    now = utcnow() - seen_ago
    return SessionRecord(
        key_hash=key_hash(new_key()),
        user_id=user.id,
        created=now,
        last_seen=now,
        expires=now + TIMEOUT,
        address="192.0.2.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        **values,
    )


def test_a_stored_session_loads_with_its_accounts_identity(store, ann):
    record = store.create(new_record(ann, data={"_csrft_": "token"}))

    loaded, identity = store.load(record.key_hash)

    assert loaded.id == record.id is not None
    assert (loaded.user_id, loaded.address, loaded.data) == (
        ann.id,
        "192.0.2.7",
        {"_csrft_": "token"},
    )
    assert loaded.user_agent.startswith("Mozilla/5.0")
    assert abs(loaded.created - record.created) < dt.timedelta(milliseconds=1)
    assert (identity.user_id, identity.login) == (ann.id, "ann")
    assert "group:editors" in identity.principals
    assert identity.global_roles == {Role.REVIEWER}


def test_the_database_store_loads_session_and_identity_in_one_query(
    database_backend, ann, query_recorder
):
    record = database_backend.store.create(new_record(ann))

    with query_recorder.record() as queries:
        database_backend.store.load(record.key_hash)

    assert len(queries) == 1


def test_an_unknown_key_loads_nothing(store, ann):
    store.create(new_record(ann))

    assert store.load(key_hash(new_key())) is None


def test_an_expired_session_loads_nothing(backend, store, ann):
    record = store.create(new_record(ann))
    backend.expire(record)

    assert store.load(record.key_hash) is None
    assert store.list_for_user(ann.id) == []


def test_a_deactivated_accounts_session_loads_nothing(store, ann, dbsession):
    record = store.create(new_record(ann))
    ann.active = False
    dbsession.flush()

    assert store.load(record.key_hash) is None


def test_touch_writes_last_seen_and_the_new_expiry(store, ann):
    record = store.create(new_record(ann, seen_ago=dt.timedelta(hours=1)))
    now = utcnow()
    record.last_seen, record.expires = now, now + TIMEOUT

    store.touch(record)

    loaded, _ = store.load(record.key_hash)
    assert abs(loaded.last_seen - now) < dt.timedelta(milliseconds=1)
    assert abs(loaded.expires - (now + TIMEOUT)) < dt.timedelta(milliseconds=1)


def test_save_writes_the_data(store, ann):
    record = store.create(new_record(ann))
    record.data = {"_f_": ["Saved."]}

    store.save(record, record.key_hash)

    assert store.load(record.key_hash)[0].data == {"_f_": ["Saved."]}


def test_save_under_a_new_key_retires_the_old_one(store, ann):
    record = store.create(new_record(ann))
    old_hash = record.key_hash
    record.key_hash = key_hash(new_key())

    store.save(record, old_hash)

    assert store.load(old_hash) is None
    assert store.load(record.key_hash)[0].id == record.id
    assert [r.key_hash for r in store.list_for_user(ann.id)] == [record.key_hash]


def test_saving_a_session_that_ended_meanwhile_does_not_bring_it_back(store, ann):
    record = store.create(new_record(ann))
    store.end(record)
    record.data = {"_f_": ["Too late."]}

    store.save(record, record.key_hash)
    renamed_hash = key_hash(new_key())
    previous, record.key_hash = record.key_hash, renamed_hash
    store.save(record, previous)
    store.touch(record)

    assert store.load(previous) is None
    assert store.load(renamed_hash) is None
    assert store.list_for_user(ann.id) == []


def test_end_ends_one_session(store, ann):
    first = store.create(new_record(ann))
    second = store.create(new_record(ann))

    store.end(first)

    assert store.load(first.key_hash) is None
    assert [r.id for r in store.list_for_user(ann.id)] == [second.id]


def test_end_for_user_ends_every_session_of_that_account_only(backend, store, ann, bob):
    for _ in range(3):
        store.create(new_record(ann))
    bobs = store.create(new_record(bob))

    store.end_for_user(ann.id)

    assert store.list_for_user(ann.id) == []
    assert [r.id for r in store.list_for_user(bob.id)] == [bobs.id]
    assert store.load(bobs.key_hash) is not None
    assert backend.stored_count() == 1


def test_end_for_user_can_keep_one(store, ann):
    kept = store.create(new_record(ann))
    ended = store.create(new_record(ann))

    store.end_for_user(ann.id, keep=kept.id)

    assert store.load(kept.key_hash) is not None
    assert store.load(ended.key_hash) is None


def test_list_is_most_recently_seen_first(store, ann):
    older = store.create(new_record(ann, seen_ago=dt.timedelta(hours=2)))
    newest = store.create(new_record(ann))
    middle = store.create(new_record(ann, seen_ago=dt.timedelta(hours=1)))

    assert [r.id for r in store.list_for_user(ann.id)] == [newest.id, middle.id, older.id]


def test_ids_are_distinct(store, ann, bob):
    ids = [store.create(new_record(user)).id for user in (ann, bob, ann)]

    assert len(set(ids)) == 3


def test_purging_removes_expired_database_rows(database_backend, ann, bob):
    store = database_backend.store
    live = store.create(new_record(ann))
    for user in (ann, bob):
        database_backend.expire(store.create(new_record(user)))

    assert store.purge_expired(ann.id) == 1
    assert database_backend.stored_count() == 2
    assert store.purge_expired() == 1
    assert database_backend.stored_count() == 1
    assert store.load(live.key_hash) is not None


def test_redis_expires_sessions_itself_and_purging_tidies_the_accounts_set(redis_backend, ann):
    store = redis_backend.store
    live = store.create(new_record(ann))
    redis_backend.expire(store.create(new_record(ann)))

    assert store.purge_expired() == 0
    assert store.purge_expired(ann.id) == 1
    assert redis_backend.client.smembers(store._user_key(ann.id)) == {live.key_hash.encode()}


def test_redis_keys_live_as_long_as_the_session(redis_backend, ann):
    store = redis_backend.store
    record = store.create(new_record(ann))

    for key in (store._record_key(record.key_hash), store._user_key(ann.id)):
        ttl = redis_backend.client.ttl(key)
        assert TIMEOUT.total_seconds() - 5 <= ttl <= TIMEOUT.total_seconds()


def test_redis_keeps_only_the_hash_of_the_key(redis_backend, ann):
    key = new_key()
    record = new_record(ann)
    record.key_hash = key_hash(key)
    redis_backend.store.create(record)

    keys = redis_backend.stored_keys()
    stored = b"".join(keys) + b"".join(redis_backend.client.dump(k) for k in keys)
    assert key.encode() not in stored


def test_a_redis_value_that_is_not_a_record_loads_nothing(redis_backend, ann):
    bogus = key_hash(new_key())
    redis_backend.client.set(redis_backend.store._record_key(bogus), b"\xff not json")

    assert redis_backend.store.load(bogus) is None


# -- when writes happen ------------------------------------------------------------


def run_in_transaction(store, defer, outcome):
    """Defer an action with ``defer`` ("write" or "end"), end the transaction with ``outcome``;
    returns the state the transaction was in each time the action ran."""
    manager = transaction.TransactionManager(explicit=True)
    txn = manager.begin()
    seen = []
    getattr(store, f"defer_{defer}")(txn, lambda: seen.append(str(txn.status)))
    if outcome == "commit":
        manager.commit()
    else:
        manager.abort()
    return seen


@pytest.mark.parametrize(
    ("store_name", "defer", "outcome", "expected"),
    [
        # Inside the transaction, before it commits.
        ("database", "write", "commit", ["Active"]),
        ("database", "end", "commit", ["Active"]),
        # After the commit, only if it succeeded.
        ("redis", "write", "commit", ["Committed"]),
        # Before the commit: should Redis fail, nothing is committed.
        ("redis", "end", "commit", ["Active"]),
        ("database", "write", "abort", []),
        ("database", "end", "abort", []),
        ("redis", "write", "abort", []),
        ("redis", "end", "abort", []),
    ],
)
def test_writes_happen_only_with_a_commit(request, store_name, defer, outcome, expected):
    store = request.getfixturevalue(f"{store_name}_backend").store

    assert run_in_transaction(store, defer, outcome) == expected


def test_an_accounts_set_outlives_its_sessions_that_end_sooner(redis_backend, ann):
    store = redis_backend.store
    lasting = store.create(new_record(ann))
    # A session that ends in a second must not cut the account's set short.
    store.create(new_record(ann, seen_ago=TIMEOUT - dt.timedelta(seconds=1)))

    ttl = redis_backend.client.ttl(store._user_key(ann.id))

    assert ttl > TIMEOUT.total_seconds() - 60
    assert store.list_for_user(ann.id)[0].id == lasting.id
