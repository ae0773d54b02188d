"""Writing to the audit log: one row per write, in the writer's own transaction.

Services call :meth:`AuditLog.record` once for each change they make. The
log a request builds (``request.audit``) knows the request it serves, so
every entry also gets the caller's address, user agent, request id and API
token without the service passing them along.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session
from zope.sqlalchemy import mark_changed

from charter.audit.models import (
    MAX_ACTION_LENGTH,
    MAX_ADDRESS_LENGTH,
    MAX_LOGIN_LENGTH,
    MAX_REQUEST_ID_LENGTH,
    MAX_TARGET_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_USER_AGENT_LENGTH,
    AuditEntry,
)
from charter.db.meta import utcnow
from charter.db.session import MANAGER_INFO_KEY

__all__ = [
    "MAX_ADDRESS_LENGTH",
    "MAX_LOGIN_LENGTH",
    "MAX_TARGET_LENGTH",
    "SYSTEM",
    "Actor",
    "AuditLog",
    "NodeSnapshot",
    "Origin",
    "mark_written",
]


@dataclass(frozen=True)
class Actor:
    """Who acts, and from which address; ``user_id`` is None for the anonymous or the system.

    ``token_id`` names the API token a request authenticated with.
    """

    user_id: int | None = None
    login: str | None = None
    address: str | None = None
    token_id: int | None = None


SYSTEM = Actor(login="system")


@dataclass(frozen=True)
class Origin:
    """Where the writes of one request come from: what the request tells about its caller.

    ``user_id`` and ``token_id`` are the request's authenticated account and
    token; an entry by that account gets the token.
    """

    address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    user_id: int | None = None
    token_id: int | None = None


NO_ORIGIN = Origin()


class NodeLike(Protocol):
    """What an entry copies of the node it is about."""

    uid: str
    path: str
    title: str


@dataclass(frozen=True)
class NodeSnapshot:
    """A node as it was, for entries written when the node itself is gone (a purge)."""

    uid: str
    path: str
    title: str


# One entry written at once, a Core statement on the table (see AuditLog.write).
_INSERT_ENTRY = insert(AuditEntry.__table__)


def mark_written(dbsession: Session) -> None:
    """Tell the request's transaction that ``dbsession`` wrote, when it wrote by Core
    statements only: a request session never marked is rolled back at the end, not
    committed (charter.db.session); a session of no request has nothing to tell."""
    manager = dbsession.info.get(MANAGER_INFO_KEY)
    if manager is not None:
        mark_changed(dbsession, manager, False)


def _clip(text: str | None, length: int) -> str | None:
    return text if text is None or len(text) <= length else text[: length - 1] + "…"


class AuditLog:
    """Appends entries to the audit log in the caller's transaction.

    ``origin`` (called at each entry) says which request the writes come
    from; a log made without one (the CLI, tests) records none.
    """

    def __init__(self, dbsession: Session, origin: Callable[[], Origin] | None = None) -> None:
        self.dbsession = dbsession
        self.origin = origin

    def record(
        self,
        action: str,
        actor: Actor,
        target: str = "",
        *,
        node: NodeLike | None = None,
        **details: Any,
    ) -> AuditEntry:
        """Add one entry; ``details`` must be JSON-serialisable.

        ``node`` is what the entry is about: its uid, path and title are
        copied (the path is also the target unless one is given). A target
        longer than its column (a deep path) is shortened with an ellipsis
        and kept whole in ``details["target"]``.
        """
        entry = AuditEntry(**self.entry_values(action, actor, target, node=node, **details))
        self.dbsession.add(entry)
        return entry

    def write(
        self,
        action: str,
        actor: Actor,
        target: str = "",
        *,
        node: NodeLike | None = None,
        **details: Any,
    ) -> None:
        """Insert one entry at once (as :meth:`record` would add it): a Core statement on the
        session's connection, with no ORM object to flush, for the hot paths (an edit)."""
        values = self.entry_values(action, actor, target, node=node, **details)
        self.dbsession.connection().execute(_INSERT_ENTRY, {**values, "at": utcnow()})
        mark_written(self.dbsession)

    def entry_values(
        self,
        action: str,
        actor: Actor,
        target: str = "",
        *,
        node: NodeLike | None = None,
        **details: Any,
    ) -> dict[str, Any]:
        """The column values of the entry :meth:`record` would add, for :meth:`record_many`."""
        if node is not None and not target:
            target = node.path
        if len(target) > MAX_TARGET_LENGTH:
            details = {**details, "target": target}
            target = target[: MAX_TARGET_LENGTH - 1] + "…"
        origin = self.origin() if self.origin is not None else NO_ORIGIN
        token_id = actor.token_id
        if token_id is None and actor.user_id is not None and actor.user_id == origin.user_id:
            token_id = origin.token_id
        return {
            "actor_id": actor.user_id,
            "actor_login": _clip(actor.login, MAX_LOGIN_LENGTH),
            "token_id": token_id,
            "address": _clip(actor.address or origin.address, MAX_ADDRESS_LENGTH),
            "user_agent": _clip(origin.user_agent, MAX_USER_AGENT_LENGTH),
            "request_id": _clip(origin.request_id, MAX_REQUEST_ID_LENGTH),
            "action": action[:MAX_ACTION_LENGTH],
            "target": target,
            "node_uid": None if node is None else node.uid,
            "node_path": None if node is None else node.path,
            "node_title": None if node is None else _clip(node.title, MAX_TITLE_LENGTH),
            "details": details,
        }

    def record_many(self, entries: Sequence[dict[str, Any]]) -> None:
        """Insert many entries (each from :meth:`entry_values`) in one statement, all
        stamped with the same moment: a bulk operation's entries cost one round trip,
        where the ORM would send one INSERT per entry to learn its id."""
        if not entries:
            return
        at = utcnow()
        self.dbsession.execute(insert(AuditEntry), [{**entry, "at": at} for entry in entries])
