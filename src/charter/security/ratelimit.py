"""Counting attempts per key in a time window, in the database or in Redis.

Several processes share the counts either way: the database backend keeps
them in ``rate_limit_counters``; with ``charter.redis_url`` set they live in
Redis, which also expires them by itself.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from charter.db.meta import utcnow
from charter.security.models import RateLimitCounter


class RateLimiter(Protocol):
    """Counts attempts per key inside a window of ``window`` seconds."""

    def count(self, key: str) -> int:
        """Attempts made by ``key`` in its current window."""

    def hit(self, key: str) -> int:
        """Record an attempt by ``key``; returns the count including it.

        Atomic: of concurrent attempts each sees its own count, so a limit
        checked against it lets exactly that many through.
        """

    def release(self, key: str) -> None:
        """Take back one attempt of ``key`` (it turned out not to count)."""

    def retry_after(self, key: str) -> int:
        """Seconds until the window of ``key`` ends (0 when none is open)."""

    def reset(self, key: str) -> None:
        """Forget the attempts of ``key``."""


class DatabaseRateLimiter:
    """Counters in the database, written in the request's transaction."""

    def __init__(self, dbsession: Session, window: int) -> None:
        self.dbsession = dbsession
        self.window = dt.timedelta(seconds=window)

    def _current(self, key: str) -> RateLimitCounter | None:
        counter = self.dbsession.get(RateLimitCounter, key)
        if counter is not None and counter.window_start + self.window <= utcnow():
            return None
        return counter

    def count(self, key: str) -> int:
        """Attempts made by ``key`` in its current window."""
        counter = self._current(key)
        return 0 if counter is None else counter.count

    def hit(self, key: str) -> int:
        """Record an attempt by ``key``; returns the count including it.

        Each step is one UPDATE, which locks the counter's row until the
        transaction ends: concurrent attempts for one key count one by one.
        """
        now = utcnow()
        table = RateLimitCounter
        live = table.key == key
        bumped = self.dbsession.execute(
            update(table)
            .where(live, table.window_start > now - self.window)
            .values(count=table.count + 1)
            .execution_options(synchronize_session=False)
        )
        if bumped.rowcount == 1:
            return self.dbsession.scalar(select(table.count).where(live))
        restarted = self.dbsession.execute(
            update(table)
            .where(live, table.window_start <= now - self.window)
            .values(window_start=now, count=1)
            .execution_options(synchronize_session=False)
        )
        if restarted.rowcount == 1:
            return 1
        try:
            # A savepoint, so that a concurrent first attempt for the same key
            # costs this one its insert only, not the whole transaction.
            with self.dbsession.begin_nested():
                self.dbsession.add(RateLimitCounter(key=key, window_start=now, count=1))
        except IntegrityError:
            return self.hit(key)
        return 1

    def release(self, key: str) -> None:
        """Take back one attempt of ``key`` (it turned out not to count)."""
        table = RateLimitCounter
        self.dbsession.execute(
            update(table)
            .where(table.key == key, table.count > 0)
            .values(count=table.count - 1)
            .execution_options(synchronize_session=False)
        )

    def retry_after(self, key: str) -> int:
        """Seconds until the window of ``key`` ends (0 when none is open)."""
        counter = self._current(key)
        if counter is None:
            return 0
        remaining = counter.window_start + self.window - utcnow()
        return max(0, math.ceil(remaining.total_seconds()))

    def reset(self, key: str) -> None:
        """Forget the attempts of ``key``."""
        self.dbsession.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


class RedisRateLimiter:
    """Counters in Redis: one key per counter, expiring with its window."""

    PREFIX = "charter:ratelimit:"

    def __init__(self, client: Any, window: int) -> None:
        self.client = client
        self.window = window

    def count(self, key: str) -> int:
        """Attempts made by ``key`` in its current window."""
        value = self.client.get(self.PREFIX + key)
        return int(value or 0)

    def hit(self, key: str) -> int:
        """Record an attempt by ``key``; returns the count including it."""
        name = self.PREFIX + key
        pipeline = self.client.pipeline()
        pipeline.incr(name)
        # NX: the window starts with the first attempt and is not extended.
        pipeline.expire(name, self.window, nx=True)
        count, _ = pipeline.execute()
        return int(count)

    def release(self, key: str) -> None:
        """Take back one attempt of ``key`` (it turned out not to count)."""
        name = self.PREFIX + key
        # Only while the window lasts: DECR on an expired key would start a negative one.
        if self.client.decr(name) < 0:
            self.client.delete(name)

    def retry_after(self, key: str) -> int:
        """Seconds until the window of ``key`` ends (0 when none is open)."""
        return max(0, int(self.client.ttl(self.PREFIX + key)))

    def reset(self, key: str) -> None:
        """Forget the attempts of ``key``."""
        self.client.delete(self.PREFIX + key)
