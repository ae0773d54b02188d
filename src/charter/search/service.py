"""The search service: one query for a page of hits, one for the facets, filtered in SQL.

Both statements are built once for every database from the backend's match
condition and score (charter.search.backends) and the listings' visibility
filter (charter.tree.visibility.filter_visible), so a caller never sees, or
counts, a node they may not view; trashed nodes (whose paths leave the live
tree) are never matched. Pages are keyset pages on (score, id) or
(modified, id), ordered and cut in SQL: no OFFSET, no cap on how far one may page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.db.meta import utcnow
from charter.errors import ValidationFailed
from charter.i18n import _
from charter.search.backends import SearchBackend, SearchTooSlow
from charter.search.indexer import FILE_MARK
from charter.search.models import SearchEntry
from charter.search.query import Query, parse
from charter.search.snippets import snippet
from charter.tree.models import Node
from charter.tree.paths import ROOT_PATH, descendants_range
from charter.tree.visibility import Viewer, filter_visible

SORTS = ("relevance", "modified")
MAX_FILTER_VALUES = 20
# Characters of each hit's text read for its snippet.
SNIPPET_SOURCE = 20_000
# The ranking window's default size (charter.search.ranking_window).
RANKING_WINDOW = 100
# Seconds a search's statements may take by default (charter.search.time_limit).
TIME_LIMIT = 10.0
MODIFIED_BUCKETS = (
    ("day", dt.timedelta(days=1)),
    ("week", dt.timedelta(days=7)),
    ("month", dt.timedelta(days=31)),
    ("year", dt.timedelta(days=366)),
)


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: the parsed query, its filters, order and page."""

    query: Query
    sort: str = "relevance"
    types: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    path: str | None = None
    modified_after: dt.datetime | None = None
    modified_before: dt.datetime | None = None
    owner: str | None = None
    limit: int = 20
    after: str | None = None
    facets: bool = True

    def params(self, **changes: Any) -> dict[str, Any]:
        """The query parameters that ask for this search again (with ``changes``)."""
        values: dict[str, Any] = {"q": self.query.text}
        if self.sort != "relevance":
            values["sort"] = self.sort
        if self.types:
            values["type"] = list(self.types)
        if self.states:
            values["state"] = list(self.states)
        if self.modified_after:
            values["modified_after"] = self.modified_after.isoformat()
        if self.modified_before:
            values["modified_before"] = self.modified_before.isoformat()
        if self.owner:
            values["owner"] = self.owner
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "", [])}

    @classmethod
    def from_params(
        cls,
        params: Any,
        *,
        path: str | None = None,
        default_limit: int = 20,
        max_limit: int = 100,
    ) -> SearchRequest:
        """Read and validate query parameters (a MultiDict); ValidationFailed names the field."""
        problems: list[tuple[str, str]] = []

        def single(name: str) -> str | None:
            values = params.getall(name) if hasattr(params, "getall") else [params.get(name)]
            values = [v for v in values if v is not None]
            if len(values) > 1:
                problems.append((name, _("give it once")))
                return None
            return values[0] if values else None

        def several(name: str) -> tuple[str, ...]:
            values = params.getall(name) if hasattr(params, "getall") else []
            values = [v for v in values if v]
            if len(values) > MAX_FILTER_VALUES or any(len(v) > 100 for v in values):
                problems.append(
                    (
                        name,
                        _(
                            "at most ${count} values of 100 characters",
                            mapping={"count": MAX_FILTER_VALUES},
                        ),
                    )
                )
                return ()
            return tuple(dict.fromkeys(values))

        query: Query | None = None
        try:
            query = parse(single("q") or "")
        except ValidationFailed as failure:
            problems.extend(failure.messages)
        sort = single("sort") or "relevance"
        if sort not in SORTS:
            problems.append(("sort", _("relevance or modified")))
        limit = default_limit
        text = single("limit")
        if text is not None:
            if not (text.isascii() and text.isdigit() and len(text) <= 4) or not (
                1 <= int(text) <= max_limit
            ):
                problems.append(
                    (
                        "limit",
                        _("a whole number from 1 to ${maximum}", mapping={"maximum": max_limit}),
                    )
                )
            else:
                limit = int(text)
        after = single("after") or None
        if after is not None and len(after) > 200:
            problems.append(("after", _("not a cursor this server handed out")))
        moments = {}
        for name in ("modified_after", "modified_before"):
            moments[name] = _moment(single(name), name, problems)
        owner = single("owner") or None
        if owner is not None and len(owner) > 200:
            problems.append(("owner", _("at most ${count} characters", mapping={"count": 200})))
        facets = (single("facets") or "true").lower()
        if facets not in {"true", "false"}:
            problems.append(("facets", _("true or false")))
        types, states = several("type"), several("state")
        if problems or query is None:
            raise ValidationFailed(problems)
        request = cls(
            query=query,
            sort=sort,
            types=types,
            states=states,
            path=path,
            modified_after=moments["modified_after"],
            modified_before=moments["modified_before"],
            owner=owner,
            limit=limit,
            after=after,
            facets=facets == "true",
        )
        if after is not None:
            request.cursor()
        return request

    def cursor(self) -> Cursor | None:
        """Where the page starts; ValidationFailed if ``after`` is not a cursor of ours."""
        if self.after is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(self.after + "=" * (-len(self.after) % 4))
            sort, part, key, node_id = json.loads(raw)
            ours = sort == self.sort and part in (WINDOW, REST)
            if ours and isinstance(node_id, int) and 0 < node_id < 2**63:
                if sort == "relevance" and isinstance(key, (int, float)) and abs(key) < 1e300:
                    return Cursor(part, float(key), node_id)
                if sort == "modified" and isinstance(key, str):
                    moment = dt.datetime.fromisoformat(key)
                    if moment.tzinfo is not None:
                        return Cursor(part, moment, node_id)
        except (binascii.Error, ValueError, TypeError, RecursionError, OverflowError):
            pass
        raise ValidationFailed([("after", _("not a cursor this server handed out"))])


# The two parts of a result (docs/search.md#how-many-results).
WINDOW = "w"
REST = "r"


@dataclass(frozen=True)
class Cursor:
    """The part a page starts in, and the (score or modified, id) of the hit before it."""

    part: str
    key: Any
    node_id: int


def _moment(text: str | None, name: str, problems: list[tuple[str, str]]) -> dt.datetime | None:
    if not text:
        return None
    try:
        if len(text) > 40:
            raise ValueError(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        problems.append((name, _("a date or time in ISO 8601, such as 2026-11-30")))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if (
        not dt.datetime(1000, 1, 2, tzinfo=dt.UTC)
        <= moment
        <= dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
    ):
        problems.append((name, _("a date between the years 1000 and 9999")))
        return None
    return moment.astimezone(dt.UTC)


@dataclass
class Hit:
    """One result: the node's summary, its score and a snippet of its text."""

    node_id: int
    uid: str
    path: str
    title: str
    type: str
    state: str | None
    modified: dt.datetime
    score: float
    snippet: Markup


@dataclass
class Facets:
    """How many visible matches there are of each type, state and age."""

    types: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    modified: dict[str, int] = field(default_factory=dict)
    total: int = 0
    # More visible matches than the ranking window: these count the window's.
    approximate: bool = False


@dataclass
class SearchResults:
    """A page of hits, the cursor of the next page, and the facets of the whole result."""

    hits: list[Hit]
    next_cursor: str | None
    facets: Facets | None


class SearchService(Protocol):
    """What the interfaces call; an external engine would implement the same."""

    def search(self, request: SearchRequest) -> SearchResults:
        """A page of hits the viewer may see, with facets."""
        ...


class DatabaseSearch:
    """The search service over the database's own full-text engine."""

    def __init__(
        self,
        dbsession: Session,
        backend: SearchBackend,
        viewer: Viewer | None,
        window: int = RANKING_WINDOW,
        time_limit: float = TIME_LIMIT,
    ) -> None:
        self.dbsession = dbsession
        self.backend = backend
        self.viewer = viewer
        self.window = window
        self.time_limit = time_limit

    def search(self, request: SearchRequest) -> SearchResults:
        """A page of the visible matches; ValidationFailed (on ``q``) when the database
        took longer than the time limit to find it."""
        if not self.time_limit:
            return self._search(request)
        try:
            with self.backend.time_limit(self.dbsession, self.time_limit):
                return self._search(request)
        except SearchTooSlow:
            raise ValidationFailed(
                [
                    (
                        "q",
                        _(
                            "this search took longer than ${seconds} seconds: narrow it "
                            "(another word, a phrase, a type, a folder) or go back to its "
                            "first pages",
                            mapping={"seconds": f"{self.time_limit:g}"},
                        ),
                    )
                ]
            ) from None

    def _search(self, request: SearchRequest) -> SearchResults:
        """A page of the visible matches: first from the ranking window, then from the rest.

        The window is the first ``window`` visible matches the engine finds (no
        ORDER BY, so it stops there), ordered in Python; the facets count them.
        When more match, the pages after the window go on through every other
        match in the same order, as keyset pages ordered and cut in SQL.
        """
        match = self.backend.compile(request.query)
        found = self.dbsession.execute(
            self._filtered(
                select(Node.id, match.score, Node.type, Node.workflow_state, Node.modified),
                match,
                request,
            ).limit(self.window + 1)
        ).all()
        complete = len(found) <= self.window
        window = found[: self.window]
        cursor = request.cursor()
        rows: list[tuple[str, Any]] = []
        if cursor is None or cursor.part == WINDOW:
            rows = [(WINDOW, row) for row in _ordered(window, request, cursor)]
        wanted = request.limit + 1 - len(rows)
        if wanted > 0 and not complete:
            rest_cursor = cursor if cursor is not None and cursor.part == REST else None
            window_ids = [row[0] for row in window]
            rows += [
                (REST, row) for row in self._rest(match, request, window_ids, rest_cursor, wanted)
            ]
        page = rows[: request.limit]
        hits = self._hits([row for _, row in page], request.query)
        next_cursor = None
        if len(rows) > request.limit:
            part, last = page[-1]
            key: Any = float(last[1] or 0.0) if request.sort == "relevance" else last[4]
            next_cursor = _encode_cursor(request.sort, part, key, last[0])
        facets = _count(window, approximate=not complete) if request.facets else None
        return SearchResults(hits, next_cursor, facets)

    def _rest(
        self,
        match: Any,
        request: SearchRequest,
        window_ids: list[int],
        cursor: Cursor | None,
        limit: int,
    ) -> list[Any]:
        """The first ``limit`` visible matches outside the window after ``cursor``, in the
        request's order."""
        order_key = match.score if request.sort == "relevance" else Node.modified
        statement = self._filtered(
            select(Node.id, match.score, Node.type, Node.workflow_state, Node.modified),
            match,
            request,
        ).where(Node.id.not_in(window_ids))
        if cursor is not None:
            statement = statement.where(
                or_(
                    order_key < cursor.key,
                    and_(order_key == cursor.key, Node.id > cursor.node_id),
                )
            )
        return self.dbsession.execute(
            statement.order_by(order_key.desc(), Node.id).limit(limit)
        ).all()

    def _hits(self, page: list[Any], query: Query) -> list[Hit]:
        """The page's rows with their uid, path, title and snippet (one statement)."""
        if not page:
            return []
        details = {
            row[0]: row[1:]
            for row in self.dbsession.execute(
                select(
                    Node.id,
                    Node.uid,
                    Node.path,
                    Node.title,
                    func.substr(SearchEntry.text, 1, SNIPPET_SOURCE),
                )
                .join(SearchEntry, SearchEntry.node_id == Node.id)
                .where(Node.id.in_([row[0] for row in page]))
            ).all()
        }
        exact, prefixes = query.highlight_words()
        hits = []
        for node_id, score, type_name, state, modified in page:
            uid, path, title, text = details[node_id]
            hits.append(
                Hit(
                    node_id=node_id,
                    uid=uid,
                    path=path,
                    title=title,
                    type=type_name,
                    state=state,
                    modified=modified,
                    score=float(score or 0.0),
                    snippet=snippet((text or "").replace(FILE_MARK, " "), exact, prefixes),
                )
            )
        return hits

    def _filtered(self, statement: Select, match: Any, request: SearchRequest) -> Select:
        statement = match.join(statement.select_from(SearchEntry)).join(
            Node, Node.id == SearchEntry.node_id
        )
        conditions: list[ColumnElement[bool]] = [match.condition]
        low, high = descendants_range(request.path or ROOT_PATH)
        if request.path in (None, ROOT_PATH):
            # The live tree: trashed nodes' paths lie outside it.
            conditions.append(and_(Node.path >= ROOT_PATH, Node.path < high))
        else:
            conditions.append(
                or_(Node.path == request.path, and_(Node.path > low, Node.path < high))
            )
        if request.types:
            conditions.append(Node.type.in_(request.types))
        if request.states:
            conditions.append(Node.workflow_state.in_(request.states))
        if request.modified_after is not None:
            conditions.append(Node.modified >= request.modified_after)
        if request.modified_before is not None:
            conditions.append(Node.modified < request.modified_before)
        if request.owner is not None:
            owner = select(User.id).where(User.login == request.owner).scalar_subquery()
            conditions.append(Node.owner_id == owner)
        return filter_visible(statement.where(*conditions), self.viewer)


def _ordered(window: list[Any], request: SearchRequest, cursor: Cursor | None) -> list[Any]:
    """The window's rows after ``cursor`` in the request's order, one more than a page:
    (score descending, id) or (modified descending, id), as the rest's SQL orders."""
    column = 1 if request.sort == "relevance" else 4
    ordered = sorted(window, key=lambda row: row[0])
    ordered.sort(key=lambda row: row[column] or 0.0, reverse=True)
    if cursor is not None:
        ordered = [
            row
            for row in ordered
            if (row[column] or 0.0) < cursor.key
            or ((row[column] or 0.0) == cursor.key and row[0] > cursor.node_id)
        ]
    return ordered[: request.limit + 1]


def _count(candidates: list[Any], approximate: bool) -> Facets:
    """Counts of the visible matches by type, state and age."""
    now = utcnow()
    facets = Facets(
        modified={name: 0 for name, _ in MODIFIED_BUCKETS},
        total=len(candidates),
        approximate=approximate,
    )
    for _score, _id, type_name, state, modified in candidates:
        facets.types[type_name] = facets.types.get(type_name, 0) + 1
        if state is not None:
            facets.states[state] = facets.states.get(state, 0) + 1
        for name, span in MODIFIED_BUCKETS:
            if modified >= now - span:
                facets.modified[name] += 1
    facets.types = dict(sorted(facets.types.items(), key=lambda item: (-item[1], item[0])))
    facets.states = dict(sorted(facets.states.items(), key=lambda item: (-item[1], item[0])))
    return facets


def _encode_cursor(sort: str, part: str, key: Any, node_id: int) -> str:
    if isinstance(key, dt.datetime):
        key = key.isoformat()
    raw = json.dumps([sort, part, key, node_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def searchable_fields(registry: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The searchable fields of each type, as registered with ``config.add_search_fields``."""
    return registry.get(FIELDS_KEY, {})


FIELDS_KEY = "charter.search.fields"
