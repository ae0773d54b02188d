"""Reading the audit log: filters, who may see which entries, keyset pages and exports.

A page is one SELECT, newest first by (``at``, ``id``), whatever the
table's size: each filter has an index ending in those two columns
(charter.audit.models). Who reads decides what is in it:

- a site Administrator reads every entry;
- anyone else reads only entries about a node (never logins or accounts),
  within a folder where they hold the Manager role (site-wide Managers: every
  folder), and only about nodes they may still view, by the same filter the
  listings use (charter.tree.visibility); an entry about a node since purged
  is shown to Administrators only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from charter.audit.actions import action_label
from charter.audit.models import MAX_ACTION_LENGTH, MAX_LOGIN_LENGTH, UID_LENGTH, AuditEntry
from charter.content.fields import moment_filter
from charter.errors import Forbidden, ValidationFailed
from charter.i18n import _
from charter.input.numbers import whole_number
from charter.security.roles import Role
from charter.trash.listing import MAX_PATH_LENGTH, decode_cursor, encode_cursor
from charter.tree.models import LocalRole, Node
from charter.tree.paths import ROOT_PATH, descendants_range
from charter.tree.visibility import filter_visible

FILTER_PARAMS = ("actor", "action", "path", "since", "until", "node")
# Rows an export reads at a time: memory stays flat however many it writes.
EXPORT_BATCH = 1000
NOT_ALLOWED = _("only Administrators, and Managers of a folder, may read the audit log")


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to list (every filter optional), how many, and after which one."""

    limit: int
    after: tuple[dt.datetime, int] | None = None
    actor: str | None = None
    action: str | None = None
    path: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    node: str | None = None
    limit_given: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, str], settings: Mapping[str, Any]) -> AuditQuery:
        """Read ``actor``, ``action``, ``path``, ``since``, ``until``, ``node``, ``limit`` and
        ``after``; ValidationFailed naming each parameter that is wrong."""
        problems: list[tuple[str, str]] = []

        def text(name: str, maximum: int) -> str | None:
            value = (params.get(name) or "").strip()
            if len(value) > maximum:
                problems.append(
                    (name, _("at most ${count} characters", mapping={"count": maximum}))
                )
                return None
            if any(not c.isprintable() for c in value):
                problems.append((name, _("no control characters")))
                return None
            return value or None

        maximum = settings["charter.api.max_page_size"]
        limit = settings["charter.api.default_page_size"]
        limit_text = params.get("limit")
        if limit_text is not None:
            parsed = whole_number(limit_text, minimum=1, maximum=maximum)
            if parsed is None:
                problems.append(
                    (
                        "limit",
                        _("a whole number from 1 to ${maximum}", mapping={"maximum": maximum}),
                    )
                )
            else:
                limit = parsed
        after = None
        if params.get("after"):
            try:
                after = decode_cursor(params["after"])
            except ValidationFailed as failure:
                problems.extend(failure.messages)
        path = text("path", MAX_PATH_LENGTH)
        if path is not None:
            path = "/" + path.strip("/") if path.strip("/") else ROOT_PATH
        node = text("node", UID_LENGTH)
        if node is not None and not (node.isascii() and node.isalnum()):
            problems.append(("node", _("a node's uid: 32 letters and digits")))
            node = None
        query = cls(
            limit=limit,
            after=after,
            actor=text("actor", MAX_LOGIN_LENGTH),
            action=text("action", MAX_ACTION_LENGTH),
            path=path,
            since=moment_filter(params.get("since"), "since", end_of_day=False, problems=problems),
            until=moment_filter(params.get("until"), "until", end_of_day=True, problems=problems),
            node=node,
            limit_given=limit_text is not None,
        )
        if query.since and query.until and query.since > query.until:
            problems.append(("until", _("must not come before since")))
        if problems:
            raise ValidationFailed(problems)
        return query

    def filters(self) -> dict[str, str]:
        """The filters as query parameters (for paging links, exports and the filter form)."""
        shown = {
            "actor": self.actor,
            "action": self.action,
            "path": self.path,
            "since": _shown_moment(self.since),
            "until": _shown_moment(self.until),
            "node": self.node,
        }
        return {name: value for name, value in shown.items() if value}

    def next_query(self, cursor: str) -> dict[str, str]:
        """Query parameters of the page after ``cursor``, keeping the filters and a chosen limit."""
        query = {**self.filters(), "after": cursor}
        if self.limit_given:
            query["limit"] = str(self.limit)
        return query

    def for_node(self, uid: str) -> AuditQuery:
        """The same query about one node only."""
        return replace(self, node=uid)


def _shown_moment(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditAccess:
    """What one reader may see of the audit log.

    ``everything``: every entry (a site Administrator). Otherwise entries about
    nodes only: below one of ``subtrees`` (None: anywhere, a site-wide Manager)
    and visible to ``viewer`` (what charter.tree.visibility.filter_visible takes).
    """

    everything: bool = False
    subtrees: tuple[str, ...] | None = ()
    viewer: Any = None

    @property
    def allowed(self) -> bool:
        """Whether this reader may read any entry at all."""
        return self.everything or self.subtrees is None or bool(self.subtrees)


EVERYTHING = AuditAccess(everything=True)


def managed_subtrees(dbsession: Session, principals: frozenset[str]) -> tuple[str, ...]:
    """The paths of the live folders where one of ``principals`` holds Manager (one query);
    a folder inside another one listed is left out, being part of it."""
    paths = sorted(
        dbsession.scalars(
            select(Node.path)
            .join(LocalRole, LocalRole.node_id == Node.id)
            .where(
                LocalRole.principal.in_(sorted(principals)),
                LocalRole.role == Role.MANAGER.value,
                or_(Node.path == ROOT_PATH, Node.path.startswith("/", autoescape=True)),
            )
            .distinct()
        )
    )
    kept: list[str] = []
    for path in paths:
        if not any(path == top or path.startswith(top.rstrip("/") + "/") for top in kept):
            kept.append(path)
    return tuple(kept)


def access_for(
    dbsession: Session,
    principals: frozenset[str] | None,
    global_roles: frozenset[str],
    viewer: Any,
) -> AuditAccess:
    """What a caller with ``principals`` (None: the anonymous) and ``global_roles`` may read."""
    if Role.ADMINISTRATOR.value in global_roles:
        return EVERYTHING
    if principals is None:
        return AuditAccess()
    if Role.MANAGER.value in global_roles:
        return AuditAccess(subtrees=None, viewer=viewer)
    return AuditAccess(subtrees=managed_subtrees(dbsession, principals), viewer=viewer)


def _under(column: Any, path: str) -> ColumnElement[bool]:
    low, high = descendants_range(path)
    return or_(column == path, and_(column > low, column < high))


def statement(query: AuditQuery, access: AuditAccess) -> Select:
    """The SELECT of ``query``'s next page as ``access`` may see it (limit + 1 rows, to know
    whether another page follows)."""
    if not access.allowed:
        raise Forbidden(NOT_ALLOWED)
    rows = select(AuditEntry)
    if query.actor is not None:
        rows = rows.where(AuditEntry.actor_login == query.actor)
    if query.action is not None:
        rows = rows.where(AuditEntry.action == query.action)
    if query.node is not None:
        rows = rows.where(AuditEntry.node_uid == query.node)
    if query.path is not None:
        rows = rows.where(_under(AuditEntry.node_path, query.path))
    if query.since is not None:
        rows = rows.where(AuditEntry.at >= query.since)
    if query.until is not None:
        rows = rows.where(AuditEntry.at <= query.until)
    if query.after is not None:
        at, entry_id = query.after
        rows = rows.where(
            or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id))
        )
    if not access.everything:
        # About a node that is still there, that the reader may view, in their folders.
        rows = rows.join(Node, Node.uid == AuditEntry.node_uid)
        rows = filter_visible(rows, access.viewer, Node)
        if access.subtrees is not None:
            rows = rows.where(
                or_(*(_under(AuditEntry.node_path, top) for top in access.subtrees))
                if access.subtrees
                else false()
            )
    return rows.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(query.limit + 1)


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first, and the cursor of the next page (None: the last)."""

    items: Sequence[AuditEntry]
    next_cursor: str | None = None
    more: bool = field(default=False)


def page(dbsession: Session, query: AuditQuery, access: AuditAccess) -> AuditPage:
    """One page of ``query`` as ``access`` may see it: one query."""
    entries = list(dbsession.scalars(statement(query, access)))
    if len(entries) <= query.limit:
        return AuditPage(entries)
    shown = entries[: query.limit]
    last = shown[-1]
    return AuditPage(shown, encode_cursor(last.at, last.id), True)


def stream(connection: Connection, query: AuditQuery, access: AuditAccess) -> Iterator[Any]:
    """Every entry of ``query`` (from its cursor on) as ``access`` may see it, newest first,
    read in keyset batches of EXPORT_BATCH: memory stays flat however many there are.

    The entries come as rows (with an entry's attributes, not mapped objects): an export
    of a million is spared building and forgetting a million objects.
    """
    batch = replace(query, limit=EXPORT_BATCH)
    while True:
        entries = connection.execute(statement(batch, access)).all()
        yield from entries[:EXPORT_BATCH]
        if len(entries) <= EXPORT_BATCH:
            return
        last = entries[EXPORT_BATCH - 1]
        batch = replace(batch, after=(last.at, last.id))


# -- what an entry looks like outside ---------------------------------------------

CSV_COLUMNS = (
    "id",
    "at",
    "action",
    "actor",
    "actor_id",
    "token_id",
    "address",
    "user_agent",
    "request_id",
    "target",
    "node_uid",
    "node_path",
    "node_title",
    "details",
)


def entry_record(entry: Any) -> dict[str, Any]:
    """An entry (mapped, or a row of its columns) as JSON: what the API lists and the NDJSON
    export writes, one per line."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "action": entry.action,
        "label": action_label(entry.action),
        "actor": entry.actor_login,
        "actor_id": entry.actor_id,
        "token_id": entry.token_id,
        "address": entry.address,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
        "target": entry.target,
        "node": (
            None
            if entry.node_uid is None
            else {"uid": entry.node_uid, "path": entry.node_path, "title": entry.node_title}
        ),
        "details": entry.details,
    }
