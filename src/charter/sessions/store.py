"""Where session records live: in the database, or in Redis when ``charter.redis_url`` is set.

Both stores keep only the SHA-256 of a session's key, so a copy of the
store reveals no cookie. Writes go where the request's transaction says:
``defer_write`` for what a failed request must not keep (a new session, its
data, a new key), ``defer_end`` for ending sessions.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from transaction.interfaces import ITransaction

from charter.accounts.models import User
from charter.db.meta import utcnow
from charter.security.identity import (
    Identity,
    identity_for_user,
    identity_from_rows,
    identity_query,
)
from charter.sessions.models import UserSession

# last_seen (and with it the idle timeout) moves on at most this often, so
# that reading pages does not turn every request into a write.
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)


@dataclass
class SessionRecord:
    """One logged-in session as a store keeps it; ``id`` is None until it is stored."""

    key_hash: str
    user_id: int
    created: dt.datetime
    last_seen: dt.datetime
    expires: dt.datetime
    address: str | None = None
    user_agent: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


class SessionStore(Protocol):
    """Keeps session records until they end or their ``expires`` passes."""

    def load(self, key_hash: str) -> tuple[SessionRecord, Identity] | None:
        """The unexpired session with this key hash and its active account's identity."""

    def touch(self, record: SessionRecord) -> None:
        """Write the record's new ``last_seen`` and ``expires`` (best effort)."""

    def create(self, record: SessionRecord) -> SessionRecord:
        """Store a new session; returns it with its id."""

    def save(self, record: SessionRecord, previous_key_hash: str) -> None:
        """Write a session's data and key back, unless it has ended meanwhile."""

    def end(self, record: SessionRecord) -> None:
        """End one session."""

    def end_for_user(self, user_id: int, keep: int | None = None) -> None:
        """End every session of the account ``user_id``, except the one with id ``keep``."""

    def list_for_user(self, user_id: int) -> list[SessionRecord]:
        """The account's unexpired sessions, most recently seen first."""

    def purge_expired(self, user_id: int | None = None) -> int:
        """Remove what has expired (of one account, or of all); returns how many."""

    def defer_write(self, transaction: ITransaction, action: Callable[[], None]) -> None:
        """Run ``action`` so that what it writes lasts only if ``transaction`` commits."""

    def defer_end(self, transaction: ITransaction, action: Callable[[], None]) -> None:
        """Run ``action``, which ends sessions, when ``transaction`` is about to commit."""


@functools.cache
def _session_statement() -> Select:
    # Built once: composing the joins costs more than running the query.
    return (
        identity_query(UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.key_hash == bindparam("key_hash"),
            UserSession.expires > bindparam("now"),
        )
    )


class DatabaseSessionStore:
    """Session records in ``user_sessions``, written in the request's transaction."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession

    def load(self, key_hash: str) -> tuple[SessionRecord, Identity] | None:
        """The session and its account's identity, in one query.

        Only an active account's sessions count: a deactivated one's are
        refused even were some left behind.
        """
        rows = self.dbsession.execute(
            _session_statement(), {"key_hash": key_hash, "now": utcnow()}
        ).all()
        identity = identity_from_rows(rows)
        if identity is None:
            return None
        return _record_of(rows[0][5]), identity

    def touch(self, record: SessionRecord) -> None:
        """Update the row in a savepoint.

        Best effort: when concurrent requests of one session contend for the
        row (SQLite locks the whole database), the request goes on without it.
        """
        try:
            with self.dbsession.begin_nested():
                self.dbsession.execute(
                    update(UserSession)
                    .where(UserSession.id == record.id)
                    .values(last_seen=record.last_seen, expires=record.expires)
                )
        except OperationalError:
            pass

    def create(self, record: SessionRecord) -> SessionRecord:
        """Insert the record."""
        row = UserSession(
            key_hash=record.key_hash,
            user_id=record.user_id,
            created=record.created,
            last_seen=record.last_seen,
            expires=record.expires,
            address=record.address,
            user_agent=record.user_agent,
            data=record.data,
        )
        self.dbsession.add(row)
        self.dbsession.flush()  # the id is how the owner lists and ends the session
        record.id = row.id
        return record

    def save(self, record: SessionRecord, previous_key_hash: str) -> None:
        """Update the row; a row deleted meanwhile stays deleted."""
        self.dbsession.execute(
            update(UserSession)
            .where(UserSession.id == record.id)
            .values(key_hash=record.key_hash, data=record.data)
        )

    def end(self, record: SessionRecord) -> None:
        """Delete the row."""
        self.dbsession.execute(delete(UserSession).where(UserSession.id == record.id))

    def end_for_user(self, user_id: int, keep: int | None = None) -> None:
        """Delete the account's rows but ``keep``."""
        statement = delete(UserSession).where(UserSession.user_id == user_id)
        if keep is not None:
            statement = statement.where(UserSession.id != keep)
        self.dbsession.execute(statement)

    def list_for_user(self, user_id: int) -> list[SessionRecord]:
        """The account's unexpired rows, most recently seen first."""
        rows = self.dbsession.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id, UserSession.expires > utcnow())
            .order_by(UserSession.last_seen.desc(), UserSession.id.desc())
        )
        return [_record_of(row) for row in rows]

    def purge_expired(self, user_id: int | None = None) -> int:
        """Delete expired rows."""
        statement = delete(UserSession).where(UserSession.expires <= utcnow())
        if user_id is not None:
            statement = statement.where(UserSession.user_id == user_id)
        return self.dbsession.execute(statement).rowcount

    def defer_write(self, transaction: ITransaction, action: Callable[[], None]) -> None:
        """Just before the commit, inside the transaction."""
        transaction.addBeforeCommitHook(action)

    def defer_end(self, transaction: ITransaction, action: Callable[[], None]) -> None:
        """Just before the commit, inside the transaction."""
        transaction.addBeforeCommitHook(action)


def _record_of(row: UserSession) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        key_hash=row.key_hash,
        user_id=row.user_id,
        created=row.created,
        last_seen=row.last_seen,
        expires=row.expires,
        address=row.address,
        user_agent=row.user_agent,
        data=dict(row.data or {}),
    )


# Renames a session's key, unless the session has ended meanwhile (then 0).
# KEYS: old record, new record, the account's set; ARGV: record, TTL, old hash, new hash.
_REKEY_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
redis.call('SREM', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[2], 'NX')
redis.call('EXPIRE', KEYS[3], ARGV[2], 'GT')
return 1
"""


class RedisSessionStore:
    """Session records in Redis: one key per session expiring with the idle timeout, and a set
    per account naming its sessions (so that all of them can be ended).

    The account's identity still comes from the database, in one query.
    """

    PREFIX = "charter:session:"

    def __init__(self, client: Any, dbsession: Session) -> None:
        self.client = client
        self.dbsession = dbsession

    def _record_key(self, key_hash: str) -> str:
        return f"{self.PREFIX}key:{key_hash}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.PREFIX}user:{user_id}"

    def load(self, key_hash: str) -> tuple[SessionRecord, Identity] | None:
        """The session from Redis, and its account's identity from the database."""
        record = _decode(self.client.get(self._record_key(key_hash)))
        if record is None or record.key_hash != key_hash or record.expires <= utcnow():
            return None
        identity = identity_for_user(self.dbsession, record.user_id)
        if identity is None:
            return None
        return record, identity

    def touch(self, record: SessionRecord) -> None:
        """Write the record, expiring at its new ``expires``."""
        ttl = _seconds_left(record)
        pipeline = self.client.pipeline()
        # XX: a session ended meanwhile is not brought back.
        pipeline.set(self._record_key(record.key_hash), _encode(record), ex=ttl, xx=True)
        _outlive(pipeline, self._user_key(record.user_id), ttl)
        pipeline.execute()

    def create(self, record: SessionRecord) -> SessionRecord:
        """Give the record an id and store it in the account's set."""
        record.id = int(self.client.incr(f"{self.PREFIX}next-id"))
        ttl = _seconds_left(record)
        user_key = self._user_key(record.user_id)
        pipeline = self.client.pipeline()
        pipeline.set(self._record_key(record.key_hash), _encode(record), ex=ttl)
        pipeline.sadd(user_key, record.key_hash)
        _outlive(pipeline, user_key, ttl)
        pipeline.execute()
        return record

    def save(self, record: SessionRecord, previous_key_hash: str) -> None:
        """Write the record back (under its new key, when it has one)."""
        if previous_key_hash == record.key_hash:
            self.client.set(
                self._record_key(record.key_hash),
                _encode(record),
                ex=_seconds_left(record),
                xx=True,
            )
            return
        self.client.eval(
            _REKEY_SCRIPT,
            3,
            self._record_key(previous_key_hash),
            self._record_key(record.key_hash),
            self._user_key(record.user_id),
            _encode(record),
            _seconds_left(record),
            previous_key_hash,
            record.key_hash,
        )

    def end(self, record: SessionRecord) -> None:
        """Delete the session's key."""
        pipeline = self.client.pipeline()
        pipeline.delete(self._record_key(record.key_hash))
        pipeline.srem(self._user_key(record.user_id), record.key_hash)
        pipeline.execute()

    def end_for_user(self, user_id: int, keep: int | None = None) -> None:
        """Delete every session in the account's set but ``keep``."""
        ended = [r for r in self.list_for_user(user_id) if r.id != keep]
        if not ended:
            return
        pipeline = self.client.pipeline()
        pipeline.delete(*(self._record_key(r.key_hash) for r in ended))
        pipeline.srem(self._user_key(user_id), *(r.key_hash for r in ended))
        pipeline.execute()

    def list_for_user(self, user_id: int) -> list[SessionRecord]:
        """The sessions in the account's set; those that expired leave the set."""
        user_key = self._user_key(user_id)
        hashes = sorted(h.decode() for h in self.client.smembers(user_key))
        if not hashes:
            return []
        values = self.client.mget([self._record_key(h) for h in hashes])
        records = [_decode(value) for value in values]
        gone = [h for h, record in zip(hashes, records, strict=True) if record is None]
        if gone:
            self.client.srem(user_key, *gone)
        now = utcnow()
        found = [record for record in records if record is not None and record.expires > now]
        return sorted(found, key=lambda r: (r.last_seen, r.id or 0), reverse=True)

    def purge_expired(self, user_id: int | None = None) -> int:
        """Redis expires sessions itself; an account's set drops what expired from it."""
        if user_id is None:
            return 0
        before = self.client.scard(self._user_key(user_id))
        return before - len(self.list_for_user(user_id))

    def defer_write(self, transaction: ITransaction, action: Callable[[], None]) -> None:
        """After the commit, and only if it succeeded."""

        def after_commit(committed: bool) -> None:
            if committed:
                action()

        transaction.addAfterCommitHook(after_commit)

    def defer_end(self, transaction: ITransaction, action: Callable[[], None]) -> None:
        """Just before the commit: should Redis fail, the request fails with it (and changes
        nothing), rather than leave sessions alive that it claimed to end."""
        transaction.addBeforeCommitHook(action)


def _outlive(pipeline: Any, user_key: str, ttl: int) -> None:
    """Let the account's set live at least ``ttl`` more seconds: as long as its longest-lived
    session, never shortened by one that ends sooner."""
    pipeline.expire(user_key, ttl, nx=True)
    pipeline.expire(user_key, ttl, gt=True)


def _seconds_left(record: SessionRecord) -> int:
    """Seconds until the record expires: the time to live of its Redis keys (at least 1)."""
    return max(1, math.ceil((record.expires - utcnow()).total_seconds()))


def _encode(record: SessionRecord) -> str:
    return json.dumps(
        {
            "id": record.id,
            "key_hash": record.key_hash,
            "user_id": record.user_id,
            "created": record.created.isoformat(),
            "last_seen": record.last_seen.isoformat(),
            "expires": record.expires.isoformat(),
            "address": record.address,
            "user_agent": record.user_agent,
            "data": record.data,
        },
        separators=(",", ":"),
    )


def _decode(raw: bytes | None) -> SessionRecord | None:
    if raw is None:
        return None
    try:
        stored = json.loads(raw)
        return SessionRecord(
            id=int(stored["id"]),
            key_hash=str(stored["key_hash"]),
            user_id=int(stored["user_id"]),
            created=dt.datetime.fromisoformat(stored["created"]),
            last_seen=dt.datetime.fromisoformat(stored["last_seen"]),
            expires=dt.datetime.fromisoformat(stored["expires"]),
            address=stored["address"],
            user_agent=str(stored["user_agent"]),
            data=dict(stored["data"]),
        )
    except (ValueError, KeyError, TypeError):
        # Not a record this code wrote: no session.
        return None
