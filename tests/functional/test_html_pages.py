"""The HTML pages of content: layout, breadcrumbs, folder listings and documents."""

from urllib.parse import urlsplit

import pytest

SITE = "http://example.com"


@pytest.fixture
def deep_site(site_root, content, dbsession):
    """/teams/berlin/notes: two folders and a document below the root, plus a sibling."""
    teams = content.add_folder(site_root, "teams", "Teams", "Everyone, by place.")
    berlin = content.add_folder(teams, "berlin", "Berlin office")
    notes = content.add_document(
        berlin,
        "notes",
        "Meeting notes",
        "## Agenda\n\n- **Budget** review\n- Plans for *next* year\n\nSee [the team](/teams).",
    )
    content.add_document(site_root, "about", "About us", "We are a team.")
    dbsession.flush()  # requests read through their own savepoint
    return teams, berlin, notes


def crumbs(page):
    """(title, href or None) of each breadcrumb, from the root down."""
    items = page.html.select("nav[aria-label=breadcrumb] li.breadcrumb-item")
    result = []
    for item in items:
        link = item.find("a")
        result.append((item.get_text(strip=True), link["href"] if link else None))
    return result


def listed_children(page):
    """(title, href) of each child listed on a folder page."""
    return [
        (link.get_text(strip=True), link["href"]) for link in page.html.select("ul.children li a")
    ]


def test_root_page_lists_its_children_with_links(testapp, deep_site):
    page = testapp.get("/")

    assert page.status_int == 200
    assert page.content_type == "text/html"
    assert listed_children(page) == [
        ("Teams", SITE + "/teams"),
        ("About us", SITE + "/about"),
    ]
    assert "Everyone, by place." in page.text


def test_child_links_lead_to_the_child_pages(testapp, deep_site):
    page = testapp.get("/")

    teams = testapp.get(urlsplit(dict(listed_children(page))["Teams"]).path)

    assert teams.html.find("h1").get_text(strip=True) == "Teams"
    assert listed_children(teams) == [("Berlin office", SITE + "/teams/berlin")]


def test_deep_page_has_breadcrumbs_from_the_root(testapp, deep_site):
    page = testapp.get("/teams/berlin/notes")

    assert crumbs(page) == [
        ("Charter Test", SITE + "/"),
        ("Teams", SITE + "/teams"),
        ("Berlin office", SITE + "/teams/berlin"),
        ("Meeting notes", None),
    ]
    current = page.html.select_one("li.breadcrumb-item.active")
    assert current["aria-current"] == "page"


def test_root_page_breadcrumb_is_just_the_root(testapp, deep_site):
    page = testapp.get("/")

    assert crumbs(page) == [("Charter Test", None)]


def test_document_page_shows_rendered_markdown(testapp, deep_site):
    page = testapp.get("/teams/berlin/notes")

    body = page.html.select_one(".document-body")
    # A body's headings sit one level below the page's own <h1>: "## Agenda" is an <h3>.
    assert body.find("h3").get_text(strip=True) == "Agenda"
    assert [" ".join(item.get_text().split()) for item in body.find_all("li")] == [
        "Budget review",
        "Plans for next year",
    ]
    assert body.find("strong").get_text() == "Budget"
    assert body.find("em").get_text() == "next"
    assert body.find("a")["href"] == "/teams"
    text = body.get_text()
    for marker in ("##", "**", "- ", "[the team]"):
        assert marker not in text, f"raw Markdown {marker!r} shown on the page"


def test_document_page_does_not_run_scripts_from_the_body(testapp, site_root, content, dbsession):
    content.add_document(
        site_root,
        "unsafe",
        "Unsafe",
        '<script>alert("x")</script>\n\n[click](javascript:alert(1))\n\n<b onclick="x()">b</b>',
    )
    dbsession.flush()  # requests read through their own savepoint

    page = testapp.get("/unsafe")

    body = page.html.select_one(".document-body")
    assert body.find("script") is None
    assert all(not link.get("href", "").startswith("javascript:") for link in body.find_all("a"))
    assert all("onclick" not in tag.attrs for tag in body.find_all(True))


def test_document_title_and_description_are_escaped(testapp, site_root, content, dbsession):
    content.add_document(site_root, "odd", "<i>Odd</i> title", "", "<b>desc</b>")
    dbsession.flush()  # requests read through their own savepoint

    page = testapp.get("/odd")

    assert page.html.find("h1").get_text() == "<i>Odd</i> title"
    assert "<i>Odd</i>" not in page.text
    assert "&lt;b&gt;desc&lt;/b&gt;" in page.text


def test_site_title_from_settings_in_title_and_header(testapp, deep_site):
    page = testapp.get("/teams/berlin/notes")

    assert page.html.title.get_text() == "Meeting notes · Charter Test"
    brand = page.html.select_one("header .navbar-brand")
    assert brand.get_text(strip=True) == "Charter Test"
    assert brand["href"] == SITE + "/"


def test_bootstrap_css_is_linked_and_served(testapp, deep_site):
    page = testapp.get("/")

    stylesheets = [link["href"] for link in page.html.find_all("link", rel="stylesheet")]
    bootstrap = [href for href in stylesheets if "/static/bootstrap/" in href]
    assert bootstrap == [SITE + "/static/bootstrap/css/bootstrap.min.css"]

    css = testapp.get(urlsplit(bootstrap[0]).path)
    assert css.status_int == 200
    assert css.content_type == "text/css"
    assert "Bootstrap" in css.text[:500]


def test_charter_css_is_linked_and_served(testapp, deep_site):
    page = testapp.get("/")

    stylesheets = [link["href"] for link in page.html.find_all("link", rel="stylesheet")]
    own = [href for href in stylesheets if "/static/charter/" in href]
    assert len(own) == 1
    assert testapp.get(urlsplit(own[0]).path).content_type == "text/css"


def test_static_files_are_served_without_the_site_being_initialised(testapp):
    css = testapp.get("/static/bootstrap/css/bootstrap.min.css")

    assert css.status_int == 200


def test_folder_next_page_link_pages_through_children(testapp, site_root, content, dbsession):
    many = content.add_folder(site_root, "many", "Many")
    for number in range(5):
        content.add_document(many, f"c{number}", f"Child {number}", "")
    dbsession.flush()  # requests read through their own savepoint

    seen = []
    page = testapp.get("/many?limit=2")
    while True:
        seen.extend(title for title, _ in listed_children(page))
        link = page.html.find("a", rel="next")
        if link is None:
            break
        assert link.get_text(strip=True) == "Next page"
        next_url = urlsplit(link["href"])
        assert next_url.path == "/many"
        assert "limit=2" in next_url.query
        page = testapp.get(f"{next_url.path}?{next_url.query}")

    assert seen == [f"Child {number}" for number in range(5)]


def test_folder_with_fewer_children_than_a_page_has_no_next_link(testapp, deep_site):
    page = testapp.get("/")

    assert page.html.find("a", rel="next") is None
    assert "Next page" not in page.text


def test_empty_folder_says_so(testapp, site_root, content, dbsession):
    content.add_folder(site_root, "empty", "Empty")
    dbsession.flush()  # requests read through their own savepoint

    page = testapp.get("/empty")

    assert listed_children(page) == []
    assert "This folder is empty." in page.text


def test_folder_page_with_a_bad_limit_is_a_400_page(testapp, deep_site):
    page = testapp.get("/teams?limit=abc", status=400)

    assert page.content_type == "text/html"
    assert "limit" in page.text
    assert "Traceback" not in page.text


def test_browser_accept_header_gets_html(testapp, deep_site):
    page = testapp.get(
        "/teams",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )

    assert page.content_type == "text/html"


def test_no_accept_header_gets_html(testapp, deep_site):
    page = testapp.get("/teams")

    assert page.content_type == "text/html"
