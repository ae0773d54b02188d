"""The change feed: recorded at commit, in commit order, read with a keyset cursor.

Why commit order needs care: an auto-increment id is handed out when a row is
inserted, but rows become visible when their transaction commits. A slow
transaction can take id 10, a fast one id 11 and commit first; a reader that
saw 11 and moved its cursor past it would never see 10. Charter gives each
change its sequence number at the very end of its transaction (SQLAlchemy's
``before_commit``, after every other part of the request has run), under the
row lock of the one ``change_counter`` row, and holds that lock until the
commit. So the next transaction can only take a number once the previous one
has committed: numbers are handed out in commit order, and a reader that sees
number N committed sees every number below it. The reader only reads up to
the counter's committed value (its *horizon*), never beyond.

Who sees an entry: each change carries its *audience*, the principals that
could view the node when it changed (``change_audience``). When a node stops
being visible to some of those who saw its previous entry (moved away,
unshared), they get a tombstone entry (kind ``hidden``); trashing and purging
are tombstones for everyone who saw it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, object_session

from charter.accounts.models import User
from charter.changes.models import Change, ChangeAudience, ChangeCounter
from charter.db.meta import utcnow
from charter.tree.models import Node, NodeViewer
from charter.tree.paths import ROOT_PATH, descendants_range

PENDING_KEY = "charter.changes.pending"
COUNTER_ID = 1

# Entry kinds; the webhook event type of each is "content.<kind>".
CREATED = "created"
MODIFIED = "modified"
MOVED = "moved"
RENAMED = "renamed"
TRASHED = "trashed"
RESTORED = "restored"
PURGED = "purged"
SHARED = "shared"
WORKFLOW = "workflow"
HIDDEN = "hidden"
KINDS = (CREATED, MODIFIED, MOVED, RENAMED, TRASHED, RESTORED, PURGED, SHARED, WORKFLOW, HIDDEN)
TOMBSTONE_KINDS = frozenset({TRASHED, PURGED, HIDDEN})


@dataclass
class PendingChange:
    """A change seen during a transaction, written to the feed when it commits."""

    kind: str
    uid: str
    node_type: str
    path: str
    title: str = ""
    node: Node | None = None
    old_path: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # The workflows' visibility table (charter.tree.visibility.VisibilityRules), if any.
    rules: Any = None


def record(session: Session | None, change: PendingChange) -> None:
    """Queue ``change`` on ``session``; it reaches the feed if and when the session commits."""
    if session is None:
        return
    pending: list[PendingChange] = session.info.setdefault(PENDING_KEY, [])
    if change.kind == MODIFIED and any(
        p.uid == change.uid and p.kind in (CREATED, MODIFIED) for p in pending
    ):
        # Created or already modified in this transaction: one entry shows the final state.
        for earlier in pending:
            if earlier.uid == change.uid and earlier.kind == MODIFIED:
                earlier.details.setdefault("fields", [])
                fields = set(earlier.details["fields"]) | set(change.details.get("fields", []))
                earlier.details["fields"] = sorted(fields)
        return
    pending.append(change)


def record_node(kind: str, node: Node, **extra: Any) -> None:
    """Queue a change of ``node`` on the session it belongs to."""
    record(
        object_session(node),
        PendingChange(
            kind=kind,
            uid=node.uid,
            node_type=node.type,
            path=node.path,
            title=node.title,
            node=node,
            **extra,
        ),
    )


def install(session_class: type[Session] = Session) -> None:
    """Write queued changes when a session commits; forget them when it rolls back."""
    if not event.contains(session_class, "before_commit", _before_commit):
        event.listen(session_class, "before_commit", _before_commit)
        event.listen(session_class, "after_transaction_end", _forget_pending)


def _forget_pending(session: Session, transaction: Any) -> None:
    # A commit has taken them already; a rollback drops them with the changes they describe.
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def _before_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if pending:
        write_changes(session, pending)


# Who, besides the writer, wants to know (the webhook outbox): called with the
# session and the written entries, in the same transaction.
_WRITE_LISTENERS: list[Any] = []


def on_written(listener: Any) -> None:
    """Call ``listener(session, entries)`` with the entries each commit writes to the feed."""
    if listener not in _WRITE_LISTENERS:
        _WRITE_LISTENERS.append(listener)


# The statements of a commit's entries, built once with bind parameters: composing
# them cost more than running them. They are Core statements on the tables (no ORM
# entity is loaded or bulk-inserted); the session is flushed before they run.
_viewers, _nodes, _users = NodeViewer.__table__, Node.__table__, User.__table__
# Each node's viewers, with who last modified it (the entry's actor) on every row.
_VIEWERS = (
    select(
        _viewers.c.node_id,
        _viewers.c.principal,
        _viewers.c.role,
        _nodes.c.modified_by_id,
        _users.c.login,
    )
    .select_from(
        _viewers.join(_nodes, _nodes.c.id == _viewers.c.node_id).outerjoin(
            _users, _users.c.id == _nodes.c.modified_by_id
        )
    )
    .where(_viewers.c.node_id.in_(bindparam("ids", expanding=True)))
)
# The logins of actors the viewers' rows did not name (a node nobody may view).
_LOGINS = select(_users.c.id, _users.c.login).where(
    _users.c.id.in_(bindparam("ids", expanding=True))
)
_counter = ChangeCounter.__table__
_LAST_SEQ = select(_counter.c.last_seq).where(_counter.c.id == COUNTER_ID).with_for_update()
_SET_LAST_SEQ = (
    update(_counter).where(_counter.c.id == COUNTER_ID).values(last_seq=bindparam("last_seq"))
)
_INSERT_CHANGES = insert(Change.__table__)
_INSERT_AUDIENCES = insert(ChangeAudience.__table__)


def _previous_audiences_statement() -> Any:
    changes, audience = Change.__table__.c, ChangeAudience.__table__.c
    latest = (
        select(changes.node_uid, func.max(changes.seq).label("seq"))
        # A "hidden" entry's audience is those who lost sight of it, not who sees it.
        .where(changes.node_uid.in_(bindparam("uids", expanding=True)), changes.kind != HIDDEN)
        .group_by(changes.node_uid)
        .subquery()
    )
    return (
        select(latest.c.node_uid, audience.principal)
        .select_from(latest)
        .outerjoin(ChangeAudience.__table__, audience.seq == latest.c.seq)
    )


_PREVIOUS_AUDIENCES = _previous_audiences_statement()


def write_changes(session: Session, pending: Sequence[PendingChange]) -> list[dict[str, Any]]:
    """Give ``pending`` their sequence numbers and write them with their audiences.

    Takes the counter's row lock; the caller commits right after, which
    releases it (see the module's docstring).
    """
    # The nodes' viewers must be in the database to be read back; then every statement
    # is a Core one on the session's connection (nothing is left to flush).
    session.flush()
    connection = session.connection()
    live_ids = {p.node.id for p in pending if p.node is not None and p.kind not in (PURGED,)}
    grants: dict[int, list[tuple[str, str]]] = {node_id: [] for node_id in live_ids}
    logins: dict[int, str] = {}
    if live_ids:
        rows = connection.execute(_VIEWERS, {"ids": sorted(live_ids)})
        for node_id, principal, role, modified_by_id, login in rows:
            grants[node_id].append((principal, role))
            if login is not None:
                logins[modified_by_id] = login
    current = {
        p.node.id: audience_of(p.node, grants[p.node.id], p.rules)
        for p in pending
        if p.node is not None and p.node.id in grants
    }
    actor_ids = {
        p.node.modified_by_id for p in pending if p.node is not None and p.node.modified_by_id
    } - logins.keys()
    if actor_ids:
        logins.update(connection.execute(_LOGINS, {"ids": sorted(actor_ids)}).all())

    # From here to the commit, no other transaction can add to the feed.
    last_seq = connection.execute(_LAST_SEQ).scalar_one()
    previous = _previous_audiences(connection, {p.uid for p in pending})

    now = utcnow()
    entries: list[dict[str, Any]] = []
    audiences: list[dict[str, Any]] = []

    def add(change: PendingChange, kind: str, audience: Iterable[str]) -> None:
        nonlocal last_seq
        last_seq += 1
        node = change.node
        entry = {
            "seq": last_seq,
            "at": now,
            "kind": kind,
            "tombstone": kind in TOMBSTONE_KINDS,
            "node_uid": change.uid,
            "node_type": change.node_type,
            "path": change.path,
            "old_path": change.old_path,
            "title": change.title[:500],
            "version": node.version if node is not None and kind not in TOMBSTONE_KINDS else None,
            "actor_login": logins.get(node.modified_by_id) if node is not None else None,
            "details": change.details,
        }
        entries.append(entry)
        audiences.extend({"seq": last_seq, "principal": p} for p in sorted(audience))

    for change in pending:
        now_visible = current.get(change.node.id, set()) if change.node is not None else set()
        before = previous.get(change.uid)
        if change.kind in TOMBSTONE_KINDS:
            audience = now_visible | (before or set())
            add(change, change.kind, audience)
            previous[change.uid] = audience
            continue
        add(change, change.kind, now_visible)
        lost = (before or set()) - now_visible
        if lost:
            add(change, HIDDEN, lost)
        previous[change.uid] = now_visible

    connection.execute(_INSERT_CHANGES, entries)
    if audiences:
        connection.execute(_INSERT_AUDIENCES, audiences)
    connection.execute(_SET_LAST_SEQ, {"last_seq": last_seq})
    for listener in _WRITE_LISTENERS:
        listener(session, entries)
    return entries


def audience_of(node: Node, grants: Iterable[tuple[str, str]], rules: Any) -> set[str]:
    """The principals that may view ``node`` now: those holding a role on it that its
    workflow state lets see it (any role without a workflow), and its owner where the
    state lets the owner see it (charter.tree.visibility, as a set of principals)."""
    grants = list(grants)
    state = getattr(node, "workflow_state", None)
    if rules is None or state is None or node.type not in rules.workflow_types:
        return {principal for principal, _ in grants}
    audience: set[str] = set()
    for rule in rules.states:
        if node.type not in rule.types or rule.state != state:
            continue
        audience.update(
            principal for principal, role in grants if rule.roles is None or role in rule.roles
        )
        if rule.owner and node.owner_id is not None:
            audience.add(f"user:{node.owner_id}")  # charter.security.principals.user_principal
    return audience


def _previous_audiences(connection: Connection, uids: set[str]) -> dict[str, set[str]]:
    """The audience of each node's latest entry in the feed (absent: none yet)."""
    result: dict[str, set[str]] = {}
    rows = connection.execute(_PREVIOUS_AUDIENCES, {"uids": sorted(uids)})
    for uid, principal in rows:
        audience = result.setdefault(uid, set())
        if principal is not None:
            audience.add(principal)
    return result


@dataclass(frozen=True)
class FeedQuery:
    """What a reader asks for: after ``since``, at most ``limit``, optionally one subtree
    (``path``) and some types."""

    since: int = 0
    limit: int = 100
    path: str | None = None
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedPage:
    """Entries after the cursor, the cursor to resume from and whether more are waiting."""

    entries: list[dict[str, Any]]
    cursor: int
    more: bool


class CursorExpired(Exception):
    """The cursor is older than what retention keeps: entries after it may be gone."""

    def __init__(self, since: int, pruned: int) -> None:
        super().__init__(f"cursor {since} is older than the oldest kept entry ({pruned + 1})")
        self.since = since
        self.pruned = pruned


def horizon(connection: Connection | Session) -> tuple[int, int]:
    """The newest committed sequence number and the newest pruned one."""
    row = connection.execute(
        select(ChangeCounter.last_seq, ChangeCounter.pruned_seq).where(
            ChangeCounter.id == COUNTER_ID
        )
    ).one()
    return int(row[0]), int(row[1])


def read_page(
    connection: Connection | Session, query: FeedQuery, viewers: frozenset[str] | None
) -> FeedPage:
    """The entries after ``query.since`` that ``viewers`` may see (all for None), oldest first.

    Two statements: the horizon, then the page. The cursor moves past
    entries the reader may not see, so they are not scanned again.
    """
    last_seq, pruned = horizon(connection)
    if query.since < pruned:
        raise CursorExpired(query.since, pruned)
    statement = (
        select(*Change.__table__.c)
        .where(Change.seq > query.since, Change.seq <= last_seq)
        .order_by(Change.seq)
        .limit(query.limit + 1)
    )
    if viewers is not None:
        principals = sorted(viewers)
        # A "hidden" entry directly follows the entry of the change that hid the node: a reader
        # who still sees that one (through another of their principals) has lost nothing.
        still_sees = exists().where(
            ChangeAudience.seq == Change.seq - 1, ChangeAudience.principal.in_(principals)
        )
        statement = statement.where(
            exists().where(
                ChangeAudience.seq == Change.seq, ChangeAudience.principal.in_(principals)
            ),
            or_(Change.kind != HIDDEN, ~still_sees),
        )
    if query.path is not None and query.path != ROOT_PATH:
        low, high = descendants_range(query.path)
        in_subtree = or_(Change.path == query.path, and_(Change.path > low, Change.path < high))
        was_in_subtree = and_(
            Change.old_path.is_not(None),
            or_(Change.old_path == query.path, and_(Change.old_path > low, Change.old_path < high)),
        )
        statement = statement.where(or_(in_subtree, was_in_subtree))
    if query.types:
        statement = statement.where(Change.node_type.in_(query.types))
    rows = [dict(row._mapping) for row in connection.execute(statement)]
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = rows[-1]["seq"] if more else last_seq
    return FeedPage(rows, max(cursor, query.since), more)


def prune(session: Session, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete entries older than ``retention_days``; return how many went."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    newest_old = session.execute(select(func.max(Change.seq)).where(Change.at < cutoff)).scalar()
    if newest_old is None:
        return 0
    session.execute(delete(ChangeAudience).where(ChangeAudience.seq <= newest_old))
    count = session.execute(delete(Change).where(Change.seq <= newest_old)).rowcount
    session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.id == COUNTER_ID, ChangeCounter.pruned_seq < newest_old)
        .values(pruned_seq=newest_old)
    )
    return count
