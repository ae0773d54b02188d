"""The search page and the header's search box, through the whole app on a committed site."""

from __future__ import annotations

import pytest
from webtest import TestApp

from charter.accounts.models import User
from charter.testing.sessions import login_as

from .conftest import SearchSite, root_of


def fill(site: SearchSite) -> None:
    with site.edit("owner") as (service, session):
        root = root_of(session)
        reports = service.create(root, "Folder", {"title": "Reports"})
        for number in range(1, 4):
            service.create(
                reports,
                "Document",
                {"title": f"Budget {number}", "body": f"Budget plan <b>{number}</b>."},
            )
        service.create(root, "Document", {"title": "Budget overview", "body": "All budgets."})


@pytest.fixture(scope="module")
def site(search_site_factory) -> SearchSite:
    return search_site_factory(fill)


def browser(site: SearchSite, login: str) -> TestApp:
    app = site.client()
    with site.session() as session:
        return login_as(app, session.get(User, site.users[login]))


def test_every_page_has_a_search_box_that_searches_the_site(site):
    app = browser(site, "owner")
    form = app.get("/").forms["site-search"]
    form["q"] = "budget"
    page = form.submit()

    assert page.status_int == 200
    assert page.html.select_one("#search-count").text.strip() == "4 results"
    titles = {a.text for a in page.html.select(".search-hit-link")}
    assert titles == {"Budget 1", "Budget 2", "Budget 3", "Budget overview"}
    assert page.html.select_one("#site-search-q")["value"] == "budget"


def test_a_facet_narrows_the_results_and_snippets_are_escaped(site):
    app = browser(site, "owner")
    page = app.get("/@search", {"q": "plan", "limit": "2"})

    assert len(page.html.select(".search-hit")) == 2
    snippet = page.html.select_one(".search-snippet")
    assert snippet.select_one("mark").text == "plan"
    assert snippet.select("b") == []
    more = page.click(linkid="next-page")
    assert len(more.html.select(".search-hit")) == 1
    narrowed = app.get(page.html.select_one('#facet-type a[data-value="Document"]')["href"])
    assert narrowed.html.select_one("#search-count").text.strip() == "3 results"


def test_a_folder_page_searches_inside_the_folder(site):
    page = browser(site, "owner").get("/reports/@search", {"q": "budget"})

    titles = {a.text for a in page.html.select(".search-hit-link")}
    assert titles == {"Budget 1", "Budget 2", "Budget 3"}


def test_bad_syntax_is_shown_again_with_the_reason(site):
    page = browser(site, "owner").get("/@search", {"q": '"unclosed'}, status=400)

    assert "closing quote" in page.html.select_one("#search-q-error").text
    assert page.html.select_one("#search-q")["value"] == '"unclosed'


def test_an_empty_search_shows_the_form(site):
    page = browser(site, "owner").get("/@search")

    assert page.html.select_one("#search-form") is not None
    assert page.html.select("#search-results") == []


def test_the_api_refuses_bad_syntax_with_a_problem_naming_q(site):
    response = site.client("owner").get("/api/v1/search", {"q": "a OR"}, status=400)

    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:charter:problem:invalid-input"
    assert "OR must stand between two words" in str(response.json["errors"])


def test_a_count_beyond_the_ranking_window_says_more_than(site, monkeypatch):
    monkeypatch.setitem(site.app.registry.settings, "charter.search.ranking_window", 2)
    page = browser(site, "owner").get("/@search", {"q": "budget"})

    assert page.html.select_one("#search-count").text.strip() == "More than 2 results"
