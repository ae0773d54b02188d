"""JSON API of the change feed: ``GET /api/v1/changes?since=<cursor>``.

Every create, update, move, rename, trash, restore, purge, sharing change and
workflow transition, in commit order, filtered by what the caller may view
(charter.changes.feed says how both are kept). ``wait=S`` long-polls: the
request holds its server thread while it waits (WSGI has no other way), so at
most ``charter.changes.max_waiting`` requests per process wait at once; the
others answer at once with what there is, and the client polls again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
import time
from typing import Any, Literal, NoReturn

from pydantic import BaseModel, Field
from pyramid.config import Configurator, not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config

from charter.api.openapi.declare import Param, ok, operation
from charter.api.problems import problem_response
from charter.api.representation import api_url
from charter.changes.feed import KINDS, CursorExpired, FeedPage, FeedQuery, horizon, read_page
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.errors import ValidationFailed
from charter.input.numbers import whole_number

METHODS = ("GET", "HEAD")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_WAIT_S = 30
POLL_S = 0.25
MAX_TYPES = 20
WAITERS_KEY = "charter.changes.waiters"
# since=latest: no entries, only the cursor of the newest (to follow the feed from now).
LATEST = -1


class ChangeOut(BaseModel):
    """One entry of the feed."""

    seq: int = Field(description="Its place in commit order; resume after it with since=seq.")
    kind: Literal[KINDS]  # type: ignore[valid-type]
    tombstone: bool = Field(
        description="The node (a folder: with its subtree) is gone for you: drop your copy."
    )
    uid: str
    type: str = Field(alias="@type")
    path: str
    id: str | None = Field(None, alias="@id", description="The node's API URL; not on tombstones.")
    old_path: str | None
    title: str
    version: int | None
    actor: str | None
    at: dt.datetime
    details: dict[str, Any]


class ChangesPage(BaseModel):
    """A page of the feed and the cursor to resume from."""

    changes: list[ChangeOut]
    cursor: str = Field(description="Pass it back as since= to get what follows.")
    more: bool = Field(description="True when more entries are waiting right now.")
    next: str


def add_routes(config: Configurator) -> None:
    """Declare the change feed's route and its per-process limit of waiting requests."""
    config.add_route("api.changes", "/api/v1/changes")
    config.registry[WAITERS_KEY] = threading.BoundedSemaphore(
        max(config.get_settings()["charter.changes.max_waiting"], 1)
    )


def parse_query(request: Request) -> tuple[FeedQuery, int]:
    """The feed query and the seconds to wait, from the query string; 400 naming each bad one."""
    params = request.GET
    problems = []
    since = 0
    if params.get("since") == "latest":
        since = LATEST
    elif "since" in params:
        value = whole_number(params["since"])
        if value is None:
            problems.append(("since", "a cursor this server handed out"))
        else:
            since = value
    limit = DEFAULT_LIMIT
    if "limit" in params:
        value = whole_number(params["limit"], minimum=1, maximum=MAX_LIMIT)
        if value is None:
            problems.append(("limit", f"a whole number from 1 to {MAX_LIMIT}"))
        else:
            limit = value
    wait = 0
    if "wait" in params:
        value = whole_number(params["wait"], maximum=MAX_WAIT_S)
        if value is None:
            problems.append(("wait", f"a whole number of seconds from 0 to {MAX_WAIT_S}"))
        else:
            wait = value
    path = params.get("path")
    if path is not None and (
        not path.startswith("/") or (path != "/" and path.endswith("/")) or len(path) > 4000
    ):
        problems.append(("path", "a path such as /projects/alpha"))
    types = tuple(params.getall("type"))
    if len(types) > MAX_TYPES or any(not t or len(t) > 64 for t in types):
        problems.append(("type", f"at most {MAX_TYPES} type names"))
    if problems:
        raise ValidationFailed(problems)
    return FeedQuery(since=since, limit=limit, path=path, types=types), wait


def feed_viewers(request: Request) -> frozenset[str] | None:
    """Whose entries the caller sees: their principals; None (all) for a site-wide role."""
    identity = request.identity
    if identity.global_roles:
        return None
    return identity.principals


def _fresh_connection(request: Request) -> Any:
    """A connection that sees what committed after this request began (or the test's)."""
    test_connection = request.environ.get(TEST_CONNECTION_ENVIRON_KEY)
    if test_connection is not None:
        return contextlib.nullcontext(test_connection)
    return request.registry["charter.db.engine"].connect()


def wait_for_changes(
    request: Request, page: FeedPage, query: FeedQuery, viewers: frozenset[str] | None, wait: int
) -> FeedPage:
    """Poll the counter until an entry for the caller commits or ``wait`` seconds pass."""
    waiters: threading.BoundedSemaphore = request.registry[WAITERS_KEY]
    if request.registry.settings["charter.changes.max_waiting"] == 0 or not waiters.acquire(
        blocking=False
    ):
        return page
    try:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(POLL_S)
            with _fresh_connection(request) as connection:
                last_seq, _ = horizon(connection)
                if last_seq <= page.cursor:
                    continue
                page = read_page(connection, dataclasses.replace(query, since=page.cursor), viewers)
            if page.entries:
                return page
        return page
    finally:
        waiters.release()


def entry_json(request: Request, entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as the API shows it."""
    return ChangeOut(
        seq=entry["seq"],
        kind=entry["kind"],
        tombstone=entry["tombstone"],
        uid=entry["node_uid"],
        **{"@type": entry["node_type"]},
        path=entry["path"],
        **{"@id": None if entry["tombstone"] else api_url(request, entry["path"])},
        old_path=entry["old_path"],
        title=entry["title"],
        version=entry["version"],
        actor=entry["actor_login"],
        at=entry["at"],
        details=entry["details"] or {},
    ).model_dump(mode="json", by_alias=True)


@operation(
    "What changed, in commit order, after a cursor",
    tags=("changes",),
    params=(
        Param(
            "since",
            "A cursor from `cursor` or `seq`, or latest (no entries: the newest cursor).",
            {"type": "string", "pattern": "^(latest|[0-9]{1,18})$"},
        ),
        Param(
            "limit",
            "Entries per page.",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        ),
        Param(
            "wait",
            "Seconds to wait for a change when there is none (long polling).",
            {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_S},
        ),
        Param(
            "path",
            "Only changes at or below this path.",
            {"type": "string", "pattern": "^/([^/\\x00]+(/[^/\\x00]+)*)?$", "maxLength": 4000},
        ),
        Param(
            "type",
            "Only changes to nodes of this type (repeatable).",
            {"type": "string", "pattern": "^[^\\x00]{1,64}$"},
        ),
    ),
    responses={200: ok(ChangesPage)},
    errors=(410,),
    operation_id="listChanges",
)
@view_config(route_name="api.changes", request_method="GET", caller=True, renderer="json")
def changes(request: Request) -> dict[str, Any]:
    """The entries after ``since`` the caller may see, oldest first, and the next cursor."""
    query, wait = parse_query(request)
    viewers = feed_viewers(request)
    if query.since == LATEST:
        query = dataclasses.replace(query, since=horizon(request.dbsession)[0])
    page = read_page(request.dbsession, query, viewers)
    if not page.entries and wait:
        page = wait_for_changes(request, page, query, viewers, wait)
    next_query = {"since": page.cursor, "limit": query.limit}
    if query.path is not None:
        next_query["path"] = query.path
    if query.types:
        next_query["type"] = list(query.types)
    return ChangesPage(
        changes=[entry_json(request, entry) for entry in page.entries],
        cursor=str(page.cursor),
        more=page.more,
        next=request.route_url("api.changes", _query=next_query),
    ).model_dump(mode="json", by_alias=True)


@exception_view_config(CursorExpired, api_request=True)
def cursor_expired_problem(exc: CursorExpired, request: Request) -> Response:
    """``410``: entries after the cursor may have been pruned; resync from a listing."""
    return problem_response(
        request,
        410,
        "Gone",
        f"{exc}: entries after it may have been removed. Resync from a full listing "
        "(GET /api/v1/content/...), then follow the feed from the cursor of "
        "GET /api/v1/changes?since=latest.",
        "urn:charter:problem:cursor-expired",
        oldest=str(exc.pruned),
    )


@view_config(route_name="api.changes", request_method=not_(METHODS), require_csrf=False)
def changes_method_not_allowed(request: Request) -> NoReturn:
    """Say which methods the feed answers."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(METHODS)})
