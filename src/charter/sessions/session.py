"""``request.session``: a visitor's in a signed cookie, a logged-in person's on the server.

A visitor who is not logged in gets a session whose few values (the login
form's CSRF token, a flash message) travel in the cookie itself, so that
no bot can fill a table by asking for ``/login``. Logging in starts a
session record in the store under a new random key, which is all the cookie
then carries; logging out, or anything else that ends the record, ends the
session in every process at once.

What changes in a logged-in session is written through the store at the
end of the request's transaction (``SessionStore.defer_write``); a new or
changed key reaches the cookie only once that transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from pyramid.interfaces import ISession
from pyramid.request import Request
from pyramid.response import Response
from transaction.interfaces import ITransaction, NoTransaction
from zope.interface import implementer

from charter.db.meta import utcnow
from charter.security.identity import Identity
from charter.sessions.cookies import (
    COOKIE_NAME,
    ClientCookie,
    ServerCookie,
    SessionCookies,
    cookie_value,
    key_hash,
    new_key,
)
from charter.sessions.models import ADDRESS_LENGTH, USER_AGENT_LENGTH
from charter.sessions.store import LAST_SEEN_RESOLUTION, SessionRecord, SessionStore

CSRF_KEY = "_csrft_"
FLASH_PREFIX = "_f_"


@dataclass(frozen=True)
class SessionOptions:
    """The idle timeout and the cookie's attributes, from the ``charter.session.*`` settings."""

    timeout: dt.timedelta
    secure: bool
    samesite: str


def printable(text: str, length: int) -> str:
    """``text`` without control characters, cut to ``length`` characters (for storing a header)."""
    return "".join(character for character in text if character.isprintable())[:length]


def client_details(request: Request) -> tuple[str | None, str]:
    """The address and User-Agent a session records, made safe to store and show."""
    address = printable(request.remote_addr or "", ADDRESS_LENGTH) or None
    # WSGI hands headers over as Latin-1; most clients that send more than
    # ASCII send UTF-8.
    raw_agent = request.environ.get("HTTP_USER_AGENT", "")
    agent = raw_agent.encode("latin-1", "replace").decode("utf-8", "replace")
    return address, printable(agent, USER_AGENT_LENGTH)


@implementer(ISession)
class CharterSession(MutableMapping[str, Any]):
    """One request's session (Pyramid's ISession, with a logged-in person's record).

    ``record`` and ``identity`` are set for a logged-in session; both are
    None for a visitor's.
    """

    def __init__(
        self,
        request: Request,
        store: SessionStore,
        cookies: SessionCookies,
        options: SessionOptions,
    ) -> None:
        self._request = request
        self._store = store
        self._cookies = cookies
        self._options = options
        self._data: dict[str, Any] = {}
        self.record: SessionRecord | None = None
        self.identity: Identity | None = None
        self.new = True
        self.created = time.time()
        # A charter_session cookie came with the request, and whether it was usable.
        self._cookie_sent = False
        self._cookie_usable = False
        self._dirty = False
        # The key the response's cookie must carry (a new session, or a new key).
        self._new_key: str | None = None
        # The key hash the stored record had before this request gave it a new key.
        self._stored_key_hash: str | None = None
        self._ended_stored_record = False
        self._save_scheduled = False
        self._outcome_tracked = False
        self._committed: bool | None = None
        self._load()
        request.add_response_callback(self._set_cookie)

    # -- loading ------------------------------------------------------------

    def _load(self) -> None:
        header = self._request.environ.get("HTTP_COOKIE")
        self._cookie_sent = cookie_value(header) is not None
        cookie = self._cookies.read(header)
        if isinstance(cookie, ServerCookie):
            self._load_record(cookie.key)
        elif isinstance(cookie, ClientCookie) and not self._expired(cookie):
            self._data = dict(cookie.data)
            self.created = cookie.created
            self.new = False
            self._cookie_usable = True

    def _expired(self, cookie: ClientCookie) -> bool:
        return time.time() - cookie.written >= self._options.timeout.total_seconds()

    def _load_record(self, key: str) -> None:
        loaded = self._store.load(key_hash(key))
        if loaded is None:
            return  # ended, expired, or its account deactivated
        self.record, self.identity = loaded
        self._data = dict(self.record.data)
        self.created = self.record.created.timestamp()
        self.new = False
        self._cookie_usable = True
        now = utcnow()
        if now - self.record.last_seen >= LAST_SEEN_RESOLUTION:
            self.record.last_seen = now
            self.record.expires = now + self._options.timeout
            self._store.touch(self.record)

    # -- logging in and out ---------------------------------------------------

    def start(self, identity: Identity) -> None:
        """Begin a logged-in session for ``identity`` under a new key; this one ends first.

        A new key on every login, so a key planted before it is worth nothing.
        """
        self.invalidate()
        now = utcnow()
        key = new_key()
        address, user_agent = client_details(self._request)
        self.record = SessionRecord(
            key_hash=key_hash(key),
            user_id=identity.user_id,
            created=now,
            last_seen=now,
            expires=now + self._options.timeout,
            address=address,
            user_agent=user_agent,
        )
        self.identity = identity
        self.created = now.timestamp()
        self._new_key = key
        # The CSRF token the pages will ask for, made now so that showing them
        # writes nothing more.
        self._data = {CSRF_KEY: _new_token()}
        self.changed()

    def rekey(self) -> None:
        """Give this logged-in session a new key: it goes on, but a copy of its cookie stops
        working."""
        if self.record is None:
            return
        if self.record.id is not None and self._stored_key_hash is None:
            self._stored_key_hash = self.record.key_hash
        key = new_key()
        self.record.key_hash = key_hash(key)
        self._new_key = key
        self.changed()

    def invalidate(self) -> None:
        """End this session: a logged-in one's record is removed, a visitor's data dropped."""
        record = self.record
        if record is not None and record.id is not None:
            self._ended_stored_record = True
            self._when_ending(lambda: self._store.end(record))
        self.record = None
        self.identity = None
        self._new_key = None
        self._data = {}
        self.new = True
        self.created = time.time()
        self._dirty = True

    # -- writing --------------------------------------------------------------

    def changed(self) -> None:
        """Note that the session's data changed (needed after changing a value in place)."""
        self._dirty = True
        if self.record is not None and not self._save_scheduled:
            transaction = self._transaction()
            if transaction is None:
                return  # outside a transaction (an error page after a failed commit): not kept
            self._track_outcome(transaction)
            self._store.defer_write(transaction, self._save)
            self._save_scheduled = True

    def _save(self) -> None:
        record = self.record
        if record is None:
            return  # ended later in the request
        record.data = dict(self._data)
        if record.id is None:
            self._store.create(record)
            # A login is a good moment to tidy up what this account left behind.
            self._store.purge_expired(record.user_id)
        else:
            self._store.save(record, self._stored_key_hash or record.key_hash)

    def _when_ending(self, action: Callable[[], None]) -> None:
        transaction = self._transaction()
        if transaction is None:
            action()
            return
        self._track_outcome(transaction)
        self._store.defer_end(transaction, action)

    def _transaction(self) -> ITransaction | None:
        try:
            return self._request.tm.get()
        except NoTransaction:
            return None

    def _track_outcome(self, transaction: ITransaction) -> None:
        if not self._outcome_tracked:
            transaction.addAfterCommitHook(self._note_outcome)
            self._outcome_tracked = True

    def _note_outcome(self, committed: bool) -> None:
        self._committed = committed

    def _set_cookie(self, request: Request, response: Response) -> None:
        if self.record is not None:
            if self._new_key is not None and self._committed:
                self._write_cookie(response, self._cookies.server_value(self._new_key))
            return
        if self._ended_stored_record and not self._committed:
            return  # the session did not end after all: its cookie stays
        if self._dirty and self._data:
            value = self._cookies.client_value(self.created, time.time(), self._data)
            self._write_cookie(response, value)
        elif self._cookie_sent and (self._dirty or not self._cookie_usable):
            # Ended, expired, emptied or not ours: the browser need not send it again.
            self._write_cookie(response, None)

    def _write_cookie(self, response: Response, value: str | None) -> None:
        # No Max-Age: the browser forgets the cookie when it closes; the
        # server ends the session after the idle timeout in any case.
        response.set_cookie(
            COOKIE_NAME,
            value,
            path="/",
            secure=self._options.secure,
            httponly=True,
            samesite=self._options.samesite,
        )

    # -- the mapping ------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value
        self.changed()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self.changed()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # -- flash messages and the CSRF token -----------------------------------------

    def flash(self, msg: str, queue: str = "", allow_duplicate: bool = True) -> None:
        """Add ``msg`` to the flash messages of ``queue``, shown on the next page."""
        messages = list(self._data.get(FLASH_PREFIX + queue, []))
        if allow_duplicate or msg not in messages:
            self[FLASH_PREFIX + queue] = [*messages, msg]

    def pop_flash(self, queue: str = "") -> list[str]:
        """The flash messages of ``queue``, which are then gone."""
        return self.pop(FLASH_PREFIX + queue, [])

    def peek_flash(self, queue: str = "") -> list[str]:
        """The flash messages of ``queue``, left in place."""
        return list(self._data.get(FLASH_PREFIX + queue, []))

    def new_csrf_token(self) -> str:
        """A new CSRF token for this session."""
        token = _new_token()
        self[CSRF_KEY] = token
        return token

    def get_csrf_token(self) -> str:
        """This session's CSRF token, made when it has none."""
        token = self._data.get(CSRF_KEY)
        if isinstance(token, str) and token:
            return token
        return self.new_csrf_token()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class CharterSessionFactory:
    """Pyramid's session factory: builds each request's ``CharterSession``."""

    def __init__(self, secret: str, options: SessionOptions) -> None:
        self.cookies = SessionCookies(secret)
        self.options = options

    def __call__(self, request: Request) -> CharterSession:
        """The session of ``request``, with the store ``request.session_store``."""
        return CharterSession(request, request.session_store, self.cookies, self.options)
