"""One corpus, one table of expected hits, asserted on SQLite, PostgreSQL and MariaDB alike.

The hard cases of full text across engines: accents (café/cafe), case,
two-letter words (IT, Q3) and stopwords that MariaDB's FULLTEXT drops,
numbers, phrases, prefixes, OR and exclusion. A private item is never
found, counted or hinted at by someone who may not view it; a trashed one
by no one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.security.principals import user_principal
from charter.security.sharing import SharingService

from .conftest import SearchSite, root_of

DOCUMENTS = {
    "Café menu": "The café opens at 8. Croissants and *espresso*.",
    "Cafe prices": "Coffee at the cafe costs 3 euros.",
    "IT budget Q3": "The IT department's Q3 budget is 42000 euros.",
    "Quarterly report": "Revenue in Q3 2026 grew; it is the best quarter. Board approved.",
    "Meeting notes": "We talked about the new IT policy and the budget report.",
    "Naïve résumé": "RÉSUMÉ of Zoë, born in Zürich.",
    "Hamlet": "To be or not to be, that is the question.",
    "Household budget": "Groceries, rent and the gas bill.",
    "Release v1.2": "Version 1.2 fixes the login of user x.",
}
PRIVATE = {"Secret IT budget": "The board's secret IT budget for Q3 is 99000 euros."}
TRASHED = {"Old IT budget": "Last year's IT budget, 42000 euros."}

EXPECTED = [
    ("cafe", {"Café menu", "Cafe prices"}),
    ("CAFÉ", {"Café menu", "Cafe prices"}),
    ("Cafe", {"Café menu", "Cafe prices"}),
    ("IT", {"IT budget Q3", "Quarterly report", "Meeting notes"}),
    ("it", {"IT budget Q3", "Quarterly report", "Meeting notes"}),
    ("q3", {"IT budget Q3", "Quarterly report"}),
    ("Q3 budget", {"IT budget Q3"}),
    ("42000", {"IT budget Q3"}),
    ("2026", {"Quarterly report"}),
    ("8", {"Café menu"}),
    ("x", {"Release v1.2"}),
    ("1.2", {"Release v1.2"}),
    ("v1", {"Release v1.2"}),
    ('"IT budget"', {"IT budget Q3"}),
    ('"the IT department"', {"IT budget Q3"}),
    ('"to be or not to be"', {"Hamlet"}),
    ('"be to"', set()),
    ("be", {"Hamlet"}),
    (
        "the",
        {
            "Café menu",
            "Cafe prices",
            "IT budget Q3",
            "Quarterly report",
            "Meeting notes",
            "Household budget",
            "Hamlet",
            "Release v1.2",
        },
    ),
    ("budget -IT", {"Household budget"}),
    ('budget -"IT policy"', {"IT budget Q3", "Household budget"}),
    ('"IT policy" OR groceries', {"Meeting notes", "Household budget"}),
    ('quart* OR "IT policy"', {"Quarterly report", "Meeting notes"}),
    ("resume", {"Naïve résumé"}),
    ("naive zoe", {"Naïve résumé"}),
    ("ZURICH", {"Naïve résumé"}),
    ("quart*", {"Quarterly report"}),
    ("caf*", {"Café menu", "Cafe prices"}),
    ("qu*", {"Quarterly report", "Hamlet"}),
    (
        "th*",
        {
            "Café menu",
            "Cafe prices",
            "IT budget Q3",
            "Quarterly report",
            "Meeting notes",
            "Household budget",
            "Hamlet",
            "Release v1.2",
        },
    ),
    ("cafe OR revenue", {"Café menu", "Cafe prices", "Quarterly report"}),
    ("euros OR groceries budget", {"IT budget Q3", "Household budget"}),
    ("espresso", {"Café menu"}),
    ("department", {"IT budget Q3"}),
    ("secret", set()),
    ("old", set()),
    ("nothingmatchesthis", set()),
]


def fill(site: SearchSite) -> None:
    """The corpus, owned by ``owner`` (private to them and those who edit here); a folder
    only ``insider`` may see into; a document in the trash."""
    with site.edit("owner") as (service, session):
        root = root_of(session)
        for title, body in DOCUMENTS.items():
            service.create(root, "Document", {"title": title, "body": body})
        for title, body in TRASHED.items():
            old = service.create(root, "Document", {"title": title, "body": body})
    with site.edit() as (service, session):
        root = root_of(session)
        private = service.create(root, "Folder", {"title": "Private"})
        private.inherit_roles = False
        SharingService(session).update(private, {user_principal(site.users["insider"]): ["Editor"]})
        for title, body in PRIVATE.items():
            service.create(private, "Document", {"title": title, "body": body})
        service.delete(session.get(type(old), old.id))


@pytest.fixture(scope="module")
def site(search_site_factory) -> SearchSite:
    return search_site_factory(fill)


@pytest.mark.parametrize(("query", "expected"), EXPECTED, ids=[q for q, _ in EXPECTED])
def test_the_same_hits_on_every_database(site, query, expected):
    assert site.titles(query) == expected


def test_only_who_may_view_the_private_folder_finds_what_is_in_it(site):
    assert site.titles("secret", login="insider") == {"Secret IT budget"}
    assert site.titles("secret", login="admin") == {"Secret IT budget"}
    assert site.titles("secret", login="owner") == set()
    assert site.titles("secret", login="outsider") == set()
    assert site.titles("budget", login="insider") == {"Secret IT budget"}


def test_facets_count_only_what_the_caller_may_view(site):
    owner = site.client("owner").get("/api/v1/search", {"q": "99000 OR budget"}).json
    admin = site.client("admin").get("/api/v1/search", {"q": "99000 OR budget"}).json

    assert owner["facets"]["total"] == 3
    assert owner["facets"]["type"] == {"Document": 3}
    assert owner["facets"]["state"] == {"private": 3}
    assert admin["facets"]["total"] == 4
    assert admin["facets"]["modified"]["day"] == 4
    assert all("99000" not in item["snippet"] for item in owner["items"])
    assert site.client("outsider").get("/api/v1/search", {"q": "budget"}).json["facets"] == {
        "total": 0,
        "type": {},
        "state": {},
        "modified": {"day": 0, "week": 0, "month": 0, "year": 0},
        "approximate": False,
    }


def test_nobody_finds_a_trashed_document_not_even_an_administrator(site):
    assert site.titles("old", login="admin") == set()
    assert "Old IT budget" not in site.titles("budget", login="admin")


def test_snippets_mark_the_matched_words_and_escape_the_rest(site):
    (hit,) = site.client("owner").get("/api/v1/search", {"q": "croissants"}).json["items"]

    assert "<mark>Croissants</mark>" in hit["snippet"]
    assert "<em>" not in hit["snippet"]


def test_a_folder_search_stays_inside_the_folder(site):
    assert site.titles("budget", login="insider", path="/private") == {"Secret IT budget"}
    assert site.titles("budget", login="admin", path="/private") == {"Secret IT budget"}
    site.client("outsider").get("/api/v1/content/private/@search", {"q": "budget"}, status=404)


@contextmanager
def ranking_window(site: SearchSite, size: int) -> Iterator[None]:
    """The site's charter.search.ranking_window set to ``size`` meanwhile."""
    settings = site.app.registry.settings
    before = settings["charter.search.ranking_window"]
    settings["charter.search.ranking_window"] = size
    try:
        yield
    finally:
        settings["charter.search.ranking_window"] = before


def every_page(site: SearchSite, login: str, **params: str) -> list[dict]:
    """Every hit of a search, page after page (a paging bug fails, never loops)."""
    client = site.client(login)
    response = client.get("/api/v1/search", params)
    hits: list[dict] = []
    for _ in range(100):
        hits += response.json["items"]
        if response.json["next"] is None:
            return hits
        response = client.get(response.json["next"])
    raise AssertionError("paging did not end")


def test_beyond_the_ranking_window_counts_say_more_than_but_every_hit_is_reached(site):
    with ranking_window(site, 3):
        first = site.client("owner").get("/api/v1/search", {"q": "the", "limit": "2"}).json
        by_relevance = [hit["title"] for hit in every_page(site, "owner", q="the", limit="2")]
        by_change = every_page(site, "owner", q="the", sort="modified", limit="3")
        outsider = site.client("outsider").get("/api/v1/search", {"q": "the"}).json

    assert first["facets"]["total"] == 3
    assert first["facets"]["approximate"] is True
    # The window bounds what is ranked and counted at once, never what is found.
    assert sorted(by_relevance) == sorted(dict(EXPECTED)["the"])
    assert sorted(hit["title"] for hit in by_change) == sorted(dict(EXPECTED)["the"])
    # Whether the window is full depends on what the caller may see, nothing else.
    assert outsider["facets"]["total"] == 0
    assert outsider["facets"]["approximate"] is False


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    window=st.integers(1, 10),
    limit=st.integers(1, 9),
    sort=st.sampled_from(["relevance", "modified"]),
)
def test_pages_reach_every_hit_once_window_first_then_the_rest_in_order(site, window, limit, sort):
    with ranking_window(site, window):
        hits = every_page(site, "owner", q="the", limit=str(limit), sort=sort)

    titles = [hit["title"] for hit in hits]
    assert sorted(titles) == sorted(dict(EXPECTED)["the"])
    key = "score" if sort == "relevance" else "modified"
    ranked, rest = hits[:window], hits[window:]
    for part in (ranked, rest):
        keys = [hit[key] for hit in part]
        assert keys == sorted(keys, reverse=True)


def test_pages_by_relevance_go_from_best_to_worst_and_reach_every_hit(site):
    hits = every_page(site, "owner", q="the", limit="1")

    assert sorted(hit["title"] for hit in hits) == sorted(dict(EXPECTED)["the"])
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_pages_by_last_change_are_newest_first_and_reach_every_hit(site):
    client = site.client("owner")
    response = client.get("/api/v1/search", {"q": "the", "sort": "modified", "limit": "3"})
    seen: list[tuple[str, str]] = []
    while True:
        seen += [(item["modified"], item["title"]) for item in response.json["items"]]
        if response.json["next"] is None:
            break
        response = client.get(response.json["next"])

    assert {title for _, title in seen} == dict(EXPECTED)["the"]
    assert len(seen) == len(dict(EXPECTED)["the"])
    assert [moment for moment, _ in seen] == sorted((moment for moment, _ in seen), reverse=True)
