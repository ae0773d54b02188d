"""The search service: one query for a page of hits, one for the facets, filtered in SQL.

Both statements are built once for every database from the backend's match
condition and score (charter.search.backends) and the listings' visibility
filter (charter.tree.visibility.filter_visible), so a caller never sees, or
counts, a node they may not view; trashed nodes (whose paths leave the live
tree) are never matched. Pages are keyset pages on (score, id) or
(modified, id): no OFFSET, no cap on how far one may page.
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
from charter.search.backends import SearchBackend
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
# The most visible matches one search reads (docs/search.md#how-many-results): beyond it the
# counts say "more than" and the order is among the matches the engine found first.
CANDIDATE_LIMIT = 100
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
                problems.append((name, "give it once"))
                return None
            return values[0] if values else None

        def several(name: str) -> tuple[str, ...]:
            values = params.getall(name) if hasattr(params, "getall") else []
            values = [v for v in values if v]
            if len(values) > MAX_FILTER_VALUES or any(len(v) > 100 for v in values):
                problems.append((name, f"at most {MAX_FILTER_VALUES} values of 100 characters"))
                return ()
            return tuple(dict.fromkeys(values))

        query: Query | None = None
        try:
            query = parse(single("q") or "")
        except ValidationFailed as failure:
            problems.extend(failure.errors)
        sort = single("sort") or "relevance"
        if sort not in SORTS:
            problems.append(("sort", "relevance or modified"))
        limit = default_limit
        text = single("limit")
        if text is not None:
            if not (text.isascii() and text.isdigit() and len(text) <= 4) or not (
                1 <= int(text) <= max_limit
            ):
                problems.append(("limit", f"a whole number from 1 to {max_limit}"))
            else:
                limit = int(text)
        after = single("after") or None
        if after is not None and len(after) > 200:
            problems.append(("after", "not a cursor this server handed out"))
        moments = {}
        for name in ("modified_after", "modified_before"):
            moments[name] = _moment(single(name), name, problems)
        owner = single("owner") or None
        if owner is not None and len(owner) > 200:
            problems.append(("owner", "at most 200 characters"))
        facets = (single("facets") or "true").lower()
        if facets not in {"true", "false"}:
            problems.append(("facets", "true or false"))
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

    def cursor(self) -> tuple[Any, int] | None:
        """The (score or modified, id) the page starts after; ValidationFailed if not ours."""
        if self.after is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(self.after + "=" * (-len(self.after) % 4))
            sort, key, node_id = json.loads(raw)
            if sort == self.sort and isinstance(node_id, int) and 0 < node_id < 2**63:
                if sort == "relevance" and isinstance(key, (int, float)) and abs(key) < 1e300:
                    return float(key), node_id
                if sort == "modified" and isinstance(key, str):
                    moment = dt.datetime.fromisoformat(key)
                    if moment.tzinfo is not None:
                        return moment, node_id
        except (binascii.Error, ValueError, TypeError, RecursionError, OverflowError):
            pass
        raise ValidationFailed([("after", "not a cursor this server handed out")])


def _moment(text: str | None, name: str, problems: list[tuple[str, str]]) -> dt.datetime | None:
    if not text:
        return None
    try:
        if len(text) > 40:
            raise ValueError(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        problems.append((name, "a date or time in ISO 8601, such as 2026-11-30"))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if (
        not dt.datetime(1000, 1, 2, tzinfo=dt.UTC)
        <= moment
        <= dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
    ):
        problems.append((name, "a date between the years 1000 and 9999"))
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
    # More than CANDIDATE_LIMIT visible matches: counted (and ranked) among the first found.
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

    def __init__(self, dbsession: Session, backend: SearchBackend, viewer: Viewer | None) -> None:
        self.dbsession = dbsession
        self.backend = backend
        self.viewer = viewer

    def search(self, request: SearchRequest) -> SearchResults:
        """Two statements: the visible matches (the page and the facets are made from them),
        then the page's hits with their text (for snippets)."""
        match = self.backend.compile(request.query)
        candidates = self.dbsession.execute(
            self._filtered(
                select(Node.id, match.score, Node.type, Node.workflow_state, Node.modified),
                match,
                request,
            ).limit(CANDIDATE_LIMIT + 1)
        ).all()
        approximate = len(candidates) > CANDIDATE_LIMIT
        candidates = candidates[:CANDIDATE_LIMIT]
        rows = _page(candidates, request)
        page = rows[: request.limit]
        details = (
            {
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
            if page
            else {}
        )
        exact, prefixes = request.query.highlight_words()
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
        next_cursor = None
        if len(rows) > request.limit:
            last = hits[-1]
            key: Any = last.score if request.sort == "relevance" else last.modified.isoformat()
            next_cursor = _encode_cursor(request.sort, key, last.node_id)
        facets = _facets(candidates, approximate) if request.facets else None
        return SearchResults(hits, next_cursor, facets)

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


def _page(candidates: list[Any], request: SearchRequest) -> list[Any]:
    """The candidates after the request's cursor, in its order: one more than a page.

    The order and the cursor are those the SQL of a keyset page would apply:
    (score descending, id) or (modified descending, id).
    """
    column = 1 if request.sort == "relevance" else 4
    ordered = sorted(candidates, key=lambda row: row[0])
    ordered.sort(key=lambda row: row[column], reverse=True)
    cursor = request.cursor()
    if cursor is not None:
        key, node_id = cursor
        ordered = [
            row for row in ordered if row[column] < key or (row[column] == key and row[0] > node_id)
        ]
    return ordered[: request.limit + 1]


def _facets(candidates: list[Any], approximate: bool) -> Facets:
    """Counts of the visible matches by type, state and age."""
    now = utcnow()
    facets = Facets(
        modified={name: 0 for name, _ in MODIFIED_BUCKETS},
        total=len(candidates),
        approximate=approximate,
    )
    for _, _, type_name, state, modified in candidates:
        facets.types[type_name] = facets.types.get(type_name, 0) + 1
        if state is not None:
            facets.states[state] = facets.states.get(state, 0) + 1
        for name, span in MODIFIED_BUCKETS:
            if modified >= now - span:
                facets.modified[name] += 1
    facets.types = dict(sorted(facets.types.items(), key=lambda item: (-item[1], item[0])))
    facets.states = dict(sorted(facets.states.items(), key=lambda item: (-item[1], item[0])))
    return facets


def _encode_cursor(sort: str, key: Any, node_id: int) -> str:
    raw = json.dumps([sort, key, node_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def searchable_fields(registry: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The searchable fields of each type, as registered with ``config.add_search_fields``."""
    return registry.get(FIELDS_KEY, {})


FIELDS_KEY = "charter.search.fields"
