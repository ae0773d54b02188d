"""JSON API of search: ``GET /api/v1/search?q=...`` and ``GET <folder>/@search?q=...``.

Both read the same parameters (docs/api.md#search) and answer a page of
hits the caller may view, the URL of the next page, and facet counts. A
query that cannot be read is a 400 problem naming ``q``.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlencode

from pyramid.config import not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.view import view_config

from charter.api.openapi.declare import Param, ok, operation
from charter.api.representation import api_url
from charter.search.service import SearchRequest, SearchResults
from charter.security.roles import Permission
from charter.tree.models import Node

FOLDER_SEARCH = {"route_name": "api.content", "context": Node, "name": "@search"}
MAX_LIMIT = 100
# What both searches read (docs/api.md#search).
SEARCH_PARAMS = (
    Param(
        "q",
        'The query: words, "phrases", -excluded, prefix*, OR; at least one word.',
        {"type": "string", "format": "charter-search-query"},
        required=True,
    ),
    Param("sort", "relevance (default) or modified.", {"enum": ["relevance", "modified"]}),
    Param("limit", "Hits per page.", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
    Param(
        "after",
        "Where the page starts: take it from a `next` URL; it is opaque.",
        {"type": "string", "maxLength": 200, "format": "charter-search-cursor"},
    ),
    Param("type", "Keep hits of this type (repeatable).", {"type": "string", "maxLength": 100}),
    Param("state", "Keep hits in this state (repeatable).", {"type": "string", "maxLength": 100}),
    Param(
        "modified_after",
        "Modified from then: a date, or a moment with its offset.",
        {"type": "string", "format": "charter-moment"},
    ),
    Param(
        "modified_before",
        "Modified until then: a date, or a moment with its offset.",
        {"type": "string", "format": "charter-moment"},
    ),
    Param("owner", "Keep hits owned by this login.", {"type": "string", "maxLength": 200}),
    Param("facets", "Whether to count facets (true by default).", {"enum": ["true", "false"]}),
)
HIT = {
    "type": "object",
    "properties": {
        "@id": {"type": "string", "format": "uri"},
        "@type": {"type": "string"},
        "uid": {"type": "string"},
        "path": {"type": "string"},
        "title": {"type": "string"},
        "state": {"type": ["string", "null"]},
        "modified": {"type": "string", "format": "date-time"},
        "score": {"type": ["number", "null"]},
        "snippet": {"type": "string"},
    },
    "required": ["@id", "@type", "uid", "path", "title", "modified", "snippet"],
}
RESULTS = {
    "type": "object",
    "properties": {
        "@id": {"type": "string", "format": "uri"},
        "q": {"type": "string"},
        "sort": {"type": "string"},
        "items": {"type": "array", "items": HIT},
        "next": {"type": ["string", "null"], "format": "uri"},
        "facets": {"type": "object"},
    },
    "required": ["@id", "q", "sort", "items", "next"],
}


def results_json(request: Request, search: SearchRequest, results: SearchResults, url: str) -> dict:
    """The JSON of a page of results; ``url`` is the search's own address (without a query)."""
    body: dict[str, Any] = {
        "@id": request.url,
        "q": search.query.text,
        "sort": search.sort,
        "items": [
            {
                "@id": api_url(request, hit.path),
                "@type": hit.type,
                "uid": hit.uid,
                "path": hit.path,
                "title": hit.title,
                "state": hit.state,
                "modified": hit.modified.isoformat(),
                "score": hit.score,
                "snippet": str(hit.snippet),
            }
            for hit in results.hits
        ],
        "next": None,
    }
    if results.next_cursor is not None:
        query = search.params(after=results.next_cursor)
        if search.limit != request.registry.settings["charter.api.default_page_size"]:
            query["limit"] = str(search.limit)
        if not search.facets:
            query["facets"] = "false"
        body["next"] = url + "?" + urlencode(query, doseq=True)
    if results.facets is not None:
        body["facets"] = {
            "total": results.facets.total,
            "type": results.facets.types,
            "state": results.facets.states,
            "modified": results.facets.modified,
            "approximate": results.facets.approximate,
        }
    return body


def _search(request: Request, path: str | None) -> tuple[SearchRequest, SearchResults]:
    settings = request.registry.settings
    search = SearchRequest.from_params(
        request.GET,
        path=path,
        default_limit=min(settings["charter.api.default_page_size"], MAX_LIMIT),
        max_limit=MAX_LIMIT,
    )
    return search, request.search.search(search)


@operation(
    "Search everything the caller may view",
    tags=("search",),
    params=SEARCH_PARAMS,
    responses={200: ok(RESULTS)},
    # Visitors search too: they find what is shared with system.Everyone.
    security="optional",
    operation_id="searchSite",
)
@view_config(route_name="api.search", request_method=("GET", "HEAD"), renderer="json")
def search_site(request: Request) -> dict[str, Any]:
    """Search everything the caller may view."""
    search, results = _search(request, None)
    return results_json(request, search, results, request.route_url("api.search"))


@operation(
    "Search a folder and what is below it",
    tags=("search",),
    params=SEARCH_PARAMS,
    responses={200: ok(RESULTS)},
    security="optional",
    operation_id="searchFolder",
)
@view_config(
    request_method=("GET", "HEAD"), permission=Permission.VIEW, renderer="json", **FOLDER_SEARCH
)
def search_folder(context: Node, request: Request) -> dict[str, Any]:
    """Search ``context`` and everything below it that the caller may view."""
    search, results = _search(request, context.path)
    return results_json(request, search, results, api_url(request, context.path) + "/@search")


@view_config(route_name="api.search", request_method=not_(("GET", "HEAD")), require_csrf=False)
def search_method_not_allowed(request: Request) -> NoReturn:
    """Search only reads."""
    raise HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})


@view_config(
    request_method=not_(("GET", "HEAD")),
    require_csrf=False,
    permission=Permission.VIEW,
    **FOLDER_SEARCH,
)
def folder_search_method_not_allowed(context: Node, request: Request) -> NoReturn:
    """Search only reads."""
    raise HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
