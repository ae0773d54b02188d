"""The search page (``<folder>/@search``): results with snippets, facets to narrow them, paging.

The header's search box of every page sends its words here at the site's
root; a folder's ``@search`` searches that folder and what lies below it.
A query that cannot be read is shown again with the reason (a 400).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from pyramid.request import Request
from pyramid.view import view_config

from charter.db.meta import utcnow
from charter.errors import ValidationFailed
from charter.search.service import MODIFIED_BUCKETS, SearchRequest
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.web.i18n import _, translate

TEMPLATE = "charter:web/templates/search.jinja2"
PAGE_SIZE = 20
AGES = {
    "day": _("Last day"),
    "week": _("Last week"),
    "month": _("Last month"),
    "year": _("Last year"),
}


def _url(base: str, params: dict[str, Any]) -> str:
    return base + ("?" + urlencode(params, doseq=True) if params else "")


@view_config(
    context=Node,
    name="@search",
    request_method=("GET", "HEAD"),
    permission=Permission.VIEW,
    renderer=TEMPLATE,
)
def search_page(context: Node, request: Request) -> dict[str, Any]:
    """Results for ``q`` inside ``context`` (the whole site from the root)."""
    action = request.application_url + ("" if context.parent_id is None else context.path)
    action += "/@search"
    page: dict[str, Any] = {
        "action": action,
        "query": request.GET.get("q", "")[:500],
        "sort": request.GET.get("sort", "relevance"),
        "scope_title": None if context.parent_id is None else context.title,
        "errors": [],
        "results": None,
        "kept": {},
    }
    if not request.GET.get("q", "").strip():
        return page
    path = None if context.parent_id is None else context.path
    try:
        search = SearchRequest.from_params(
            request.GET, path=path, default_limit=PAGE_SIZE, max_limit=100
        )
        results = request.search.search(search)
    except ValidationFailed as failure:
        request.response.status_int = 400
        page["errors"] = [translate(request, message) for _, message in failure.messages]
        return page
    params = search.params()
    active = {key: value for key, value in params.items() if key not in {"q", "sort"}}
    page.update(
        results=results,
        total=results.facets.total if results.facets else len(results.hits),
        # "More than N results" when the matches were not all counted.
        approximate=bool(results.facets and results.facets.approximate),
        active=bool(active),
        kept={key: value if isinstance(value, list) else [value] for key, value in active.items()},
        clear_url=_url(action, {key: params[key] for key in ("q", "sort") if key in params}),
        next_url=_url(action, search.params(after=results.next_cursor))
        if results.next_cursor
        else None,
        facets=_facets(action, search, results.facets) if results.facets else [],
    )
    return page


def _facets(action: str, search: SearchRequest, facets: Any) -> list[dict[str, Any]]:
    """The facet lists: each value links to the same search narrowed to it."""
    groups = []
    for name, title, counts, chosen in (
        ("type", _("Type"), facets.types, search.types),
        ("state", _("State"), facets.states, search.states),
    ):
        items = [
            {
                "value": value,
                "label": value,
                "count": count,
                "selected": value in chosen,
                "url": _url(action, search.params(**{name: [value]})),
            }
            for value, count in counts.items()
        ]
        if items:
            groups.append({"name": name, "title": title, "items": items})
    now = utcnow()
    ages = []
    for age, span in MODIFIED_BUCKETS:
        count = facets.modified.get(age, 0)
        if not count:
            continue
        since = (now - span).replace(microsecond=0)
        ages.append(
            {
                "value": age,
                "label": AGES[age],
                "count": count,
                "selected": search.modified_after is not None
                and abs(search.modified_after - since) < dt.timedelta(days=1),
                "url": _url(action, search.params(modified_after=since.isoformat())),
            }
        )
    if ages:
        groups.append({"name": "modified", "title": _("Changed"), "items": ages})
    return groups
