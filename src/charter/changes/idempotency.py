"""Safe retries of API writes: the ``Idempotency-Key`` request header.

IETF httpapi draft (draft-ietf-httpapi-idempotency-key-header) semantics, as
Stripe has them: a ``POST`` or ``PATCH`` under ``/api/v1/`` with a key claims
it for its caller (an API token, or the account of a session) before any work
starts. A claim is a row committed on its own, so a concurrent request with
the same key finds it and gets ``409``. When the request succeeds (a status
below 400) its response is stored *in the request's own transaction*, so the
stored response exists if and only if the work was committed; a retry with
the same key and the same request gets it back byte for byte with
``Idempotent-Replayed: true``, a retry with another request gets ``422``.
A request that fails (4xx, 5xx, or a failed commit) releases its claim: it
changed nothing, so a retry runs again. Keys are kept for
``charter.api.idempotency_hours``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from charter.api.problems import problem_response
from charter.changes.models import IdempotencyKey
from charter.db.meta import utcnow
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY, WRITES_ENGINE_KEY

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
METHODS = frozenset({"POST", "PATCH"})
PREFIX = "/api/v1/"
# Headers of a stored response worth replaying (not Date, cookies or request ids).
REPLAYED_HEADERS = frozenset(
    {"content-type", "location", "content-location", "etag", "last-modified", "link", "allow"}
)
# How long a claim holds the key if its request never says how it ended (a crash).
CLAIM_SECONDS = 300
# Responses larger than this are not stored (the key is released instead).
MAX_STORED_BYTES = 1 << 20


@dataclass(frozen=True)
class Outcome:
    """What claiming a key found: ``claimed`` (go ahead), ``replay`` (a stored response),
    ``in_flight`` (another request holds it) or ``mismatch`` (used for another request)."""

    state: str
    row_id: int | None = None
    stored: IdempotencyKey | None = None


class IdempotencyStore:
    """Claims, completes and releases keys, each on a short transaction of its own."""

    def __init__(self, connect: Callable[[], Any], hours: int, in_request: bool = False) -> None:
        self.connect = connect
        self.hours = hours
        # Claims written in the request's own transaction go with its rollback.
        self.in_request = in_request

    def claim(self, scope: str, key: str, fingerprint: str) -> Outcome:
        """Claim ``key`` for ``scope``, or say who has it."""
        now = utcnow()
        token = secrets.token_hex(16)
        values = {
            "scope": scope,
            "key": key,
            "fingerprint": fingerprint,
            "claim": token,
            "locked_until": now + dt.timedelta(seconds=CLAIM_SECONDS),
            "created": now,
            "expires": now + dt.timedelta(hours=self.hours),
        }
        for _ in range(3):
            try:
                with self.connect() as connection:
                    connection.execute(insert(IdempotencyKey).values(**values))
                    row_id = connection.execute(
                        select(IdempotencyKey.id).where(
                            IdempotencyKey.scope == scope, IdempotencyKey.key == key
                        )
                    ).scalar_one()
                return Outcome("claimed", row_id)
            except IntegrityError:
                pass
            with self.connect() as connection:
                row = connection.execute(
                    select(*IdempotencyKey.__table__.c)
                    .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
                    .with_for_update()
                ).one_or_none()
                if row is None:
                    continue  # expired and deleted meanwhile: claim it afresh
                if row.expires <= now:
                    connection.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
                    continue
                if row.fingerprint != fingerprint and row.status is not None:
                    return Outcome("mismatch", row.id)
                if row.status is not None:
                    stored = IdempotencyKey(status=row.status, headers=row.headers, body=row.body)
                    return Outcome("replay", row.id, stored)
                if row.locked_until is not None and row.locked_until > now:
                    if row.fingerprint != fingerprint:
                        return Outcome("mismatch", row.id)
                    return Outcome("in_flight", row.id)
                # A claim whose request never finished (a crash): take it over.
                connection.execute(
                    update(IdempotencyKey)
                    .where(IdempotencyKey.id == row.id)
                    .values(
                        fingerprint=fingerprint,
                        claim=token,
                        locked_until=values["locked_until"],
                        expires=values["expires"],
                    )
                )
                return Outcome("claimed", row.id)
        return Outcome("in_flight")

    def release(self, row_id: int) -> None:
        """Give up a claim whose request changed nothing (it failed, or its commit did)."""
        if self.in_request:
            return
        with self.connect() as connection:
            connection.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.id == row_id, IdempotencyKey.status.is_(None)
                )
            )

    def prune(self, now: dt.datetime | None = None) -> int:
        """Delete expired keys; return how many went."""
        with self.connect() as connection:
            result = connection.execute(
                delete(IdempotencyKey).where(IdempotencyKey.expires <= (now or utcnow()))
            )
            return result.rowcount


def key_problem(request: Request, key: str) -> Response | None:
    """A 400 problem for a key that is empty, too long or not printable ASCII."""
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        return problem_response(
            request,
            400,
            "Bad Request",
            f"The {HEADER} header must hold 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            "urn:charter:problem:invalid-idempotency-key",
        )
    return None


def fingerprint(request: Request) -> str:
    """SHA-256 of what makes a request the same request: method, path, query, type, body."""
    digest = hashlib.sha256()
    for part in (request.method, request.path_qs, request.content_type or ""):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\n")
    digest.update(request.body or b"")
    return digest.hexdigest()


def caller_scope(request: Request) -> str | None:
    """Whose keys these are: the API token, else the account; None for the anonymous."""
    identity = request.identity
    if identity is None:
        return None
    if identity.token_id is not None:
        return f"token:{identity.token_id}"
    return f"user:{identity.user_id}"


def connector(request: Request) -> tuple[Callable[[], Any], bool]:
    """Where claims are written, and whether that is the request's own transaction.

    Short transactions of their own on MariaDB and PostgreSQL, so a concurrent
    request sees the claim at once. On SQLite the request already holds the
    database's one write lock (its transaction began when the caller was
    identified), so a second connection could only wait for it: the claim is
    written in the request's transaction, and a concurrent request with the
    same key waits for the write lock and then finds the stored response.
    In tests, the test's connection (inside its transaction).
    """
    test_connection = request.environ.get(TEST_CONNECTION_ENVIRON_KEY)
    if test_connection is not None:
        return (lambda: _Joined(test_connection)), False
    engine = request.registry[WRITES_ENGINE_KEY]
    if engine.dialect.name == "sqlite":
        return (lambda: _Joined(request.dbsession.connection())), True
    return engine.begin, False


class _Joined:
    """A savepoint of the test's connection, used like ``engine.begin()``."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def __enter__(self) -> Connection:
        self.savepoint = self.connection.begin_nested()
        return self.connection

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        if kind is None:
            self.savepoint.commit()
        else:
            self.savepoint.rollback()


def replay(stored: IdempotencyKey) -> Response:
    """The stored response again, marked as a replay."""
    response = Response(status=stored.status)
    response.headerlist = [(name, value) for name, value in stored.headers or []]
    response.headers["Idempotent-Replayed"] = "true"
    response.body = stored.body or b""
    return response


def idempotency_tween_factory(handler: Callable[[Request], Response], registry: Registry):
    """Claim, replay or refuse keyed API writes; inside pyramid_tm's transaction."""
    hours = registry.settings["charter.api.idempotency_hours"]

    def tween(request: Request) -> Response:
        key = request.headers.get(HEADER)
        if key is None or request.method not in METHODS or not request.path.startswith(PREFIX):
            return handler(request)
        problem = key_problem(request, key)
        if problem is not None:
            return problem
        scope = caller_scope(request)
        if scope is None:
            return handler(request)  # refused as unauthenticated by the view
        connect, in_request = connector(request)
        store = IdempotencyStore(connect, hours, in_request)
        outcome = store.claim(scope, key, fingerprint(request))
        if outcome.state == "replay":
            return replay(outcome.stored)
        if outcome.state == "mismatch":
            return problem_response(
                request,
                422,
                "Unprocessable Content",
                f"This {HEADER} was already used for a different request; use a new key.",
                "urn:charter:problem:idempotency-key-reused",
            )
        if outcome.state == "in_flight":
            response = problem_response(
                request,
                409,
                "Conflict",
                f"A request with this {HEADER} is still being processed; retry later.",
                "urn:charter:problem:idempotency-key-in-use",
            )
            response.headers["Retry-After"] = "1"
            return response
        row_id = outcome.row_id

        # Released once the request's transaction has ended (finished callbacks run after
        # pyramid_tm), unless the response is stored below.
        def release(request: Request) -> None:
            if not stored:
                store.release(row_id)

        stored = False
        request.add_finished_callback(release)
        response = handler(request)
        body = response.body if response.status_code < 400 else b""
        if (
            request.exception is None
            and response.status_code < 400
            and len(body) <= MAX_STORED_BYTES
        ):
            headers = [
                [name, value]
                for name, value in response.headerlist
                if name.lower() in REPLAYED_HEADERS
            ]
            request.dbsession.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.id == row_id)
                .values(status=response.status_code, headers=headers, body=body, locked_until=None)
            )
            # A failed commit stored nothing and did nothing: the key is freed for the retry.
            stored = True
            request.tm.get().addAfterCommitHook(lambda committed: _released(committed))

        def _released(committed: bool) -> None:
            nonlocal stored
            stored = committed

        return response

    return tween
