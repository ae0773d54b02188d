"""A search the database takes too long over is stopped, answered with a clear 400, and
leaves the database, the session and the page usable (charter.search.time_limit)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from charter.search.backends import SearchTooSlow, backend_for
from charter.search.service import DatabaseSearch

from .conftest import SearchSite, root_of
from .test_search_pages import browser


def slow_statement(session: Session) -> Any:
    """A statement that runs for seconds on the session's database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return text("SELECT pg_sleep(5)")
    if name == "sqlite":
        return text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000000)"
            " SELECT count(*) FROM n"
        )
    # MariaDB's Sequence engine, scanned (BENCHMARK() and SLEEP() end quietly when stopped).
    return text("SELECT COUNT(*) FROM seq_1_to_10000000000 WHERE seq % 7 = 3")


def fill(site: SearchSite) -> None:
    with site.edit("owner") as (service, session):
        service.create(root_of(session), "Document", {"title": "Budget", "body": "The budget."})


@pytest.fixture(scope="module")
def site(search_site_factory) -> SearchSite:
    return search_site_factory(fill)


def test_a_statement_past_the_limit_is_stopped_and_the_session_goes_on(site):
    with site.session() as session:
        backend = backend_for(session.get_bind().dialect.name)
        session.execute(text("SELECT 1"))
        with pytest.raises(SearchTooSlow), backend.time_limit(session, 0.2):
            session.execute(slow_statement(session))
        # The transaction is usable, and later statements have no limit.
        assert session.execute(text("SELECT 2")).scalar_one() == 2
        with backend.time_limit(session, 5):
            assert session.execute(text("SELECT 3")).scalar_one() == 3


def test_the_limit_is_the_session_s_own_and_undone_afterwards(site):
    with site.session() as session:
        dialect = session.get_bind().dialect
        backend = backend_for(dialect.name)
        if dialect.name == "sqlite":
            pytest.skip("SQLite's limit is a progress handler of the connection, tested above")
        setting = {
            "postgresql": "SELECT current_setting('statement_timeout')",
            "mysql": "SELECT @@SESSION.max_statement_time",
        }[dialect.name]
        before = session.execute(text(setting)).scalar_one()
        with backend.time_limit(session, 3):
            during = session.execute(text(setting)).scalar_one()
        after = session.execute(text(setting)).scalar_one()

    assert str(during) in {"3s", "3.0"}
    assert after == before


@pytest.fixture
def slow_searches(site, monkeypatch):
    """Every search runs a slow statement first, under a limit of a fifth of a second."""
    searched = DatabaseSearch._search

    def slow(self: DatabaseSearch, request: Any) -> Any:
        self.dbsession.execute(slow_statement(self.dbsession))
        return searched(self, request)

    monkeypatch.setattr(DatabaseSearch, "_search", slow)
    monkeypatch.setattr(DatabaseSearch, "__init__", _with_limit(DatabaseSearch.__init__, 0.2))


def _with_limit(init: Any, seconds: float) -> Any:
    def patched(self: DatabaseSearch, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.time_limit = seconds

    return patched


def test_the_api_answers_a_400_naming_q_and_asking_to_narrow_it(site, slow_searches):
    response = site.client("owner").get("/api/v1/search", {"q": "budget"}, status=400)

    assert response.content_type == "application/problem+json"
    assert response.json["errors"][0]["pointer"] == "/q"
    assert "narrow it" in response.json["errors"][0]["detail"]


def test_the_page_shows_the_message_under_the_box_and_renders_whole(site, slow_searches):
    page = browser(site, "owner").get("/@search", {"q": "budget"}, status=400)

    assert "narrow it" in page.html.select_one("#search-q-error").text
    # The rest of the page (header, navigation) was read after the stopped statement.
    assert page.html.select_one("#search-q")["value"] == "budget"
    assert "Owner" in page.text
