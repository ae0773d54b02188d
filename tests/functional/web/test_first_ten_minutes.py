"""Defects a new user met in their first ten minutes (issue 14), each kept fixed here."""

import re

import pytest
from pyramid.registry import Registry
from pyramid.response import Response

from charter.content.markdown import render_markdown
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.settings import SettingsError, parse_settings
from charter.web.headers import CONTENT_SECURITY_POLICY, security_headers_tween_factory
from charter.web.helpers import with_article

DATABASE = {"sqlalchemy.url": "sqlite://", "charter.session.secret": "x" * 40}


@pytest.fixture
def editor(client, make_user, site_root, dbsession):
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    dbsession.flush()
    return client(eddie)


@pytest.fixture
def docs(site_root, content, dbsession):
    folder = content.add_folder(site_root, "docs", "Docs")
    content.add_document(folder, "guide", "User guide", "# Start\n\nRead this first.")
    content.add_folder(site_root, "target", "Target")
    dbsession.flush()
    return folder


# 2. "Add a Event"


@pytest.mark.parametrize(
    ("title", "phrase"),
    [("Event", "an Event"), ("Document", "a Document"), ("Image", "an Image"), ("", "a ")],
)
def test_a_type_title_gets_its_article(title, phrase):
    assert with_article(type("T", (), {"title": title})()) == phrase


def test_a_type_may_declare_its_own_article():
    hour = type("T", (), {"title": "Hour", "article": "an"})()

    assert with_article(hour) == "an Hour"


def test_the_add_page_names_the_type_with_its_article(editor, docs):
    page = editor.get("/docs/@@add", params={"type": "Document"})

    assert page.html.h1.get_text(strip=True) == "Add a Document"
    crumbs = [li.get_text(strip=True) for li in page.html.select(".breadcrumb-item")]
    assert crumbs[-1] == "Add a Document"


# 6. Move's destination defaulted to the item's own folder


def test_move_fills_in_no_destination_until_another_folder_is_opened(editor, docs):
    picker = editor.get("/docs/guide/@@move")

    assert picker.forms["transfer-form"]["destination"].value == ""
    elsewhere = editor.get("/docs/guide/@@move", params={"at": "/target"})
    assert elsewhere.forms["transfer-form"]["destination"].value == "/target"


def test_copy_still_fills_in_the_items_own_folder(editor, docs):
    picker = editor.get("/docs/guide/@@copy")

    assert picker.forms["transfer-form"]["destination"].value == "/docs"


# 8. Markdown


def test_a_body_heading_is_never_a_second_h1(editor, docs):
    page = editor.get("/docs/guide")

    assert [h1.get_text(strip=True) for h1 in page.html.find_all("h1")] == ["User guide"]
    assert page.html.select_one(".document-body h2").get_text(strip=True) == "Start"


def test_table_columns_keep_their_alignment_without_style_attributes():
    html = render_markdown("| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |")

    cells = re.findall(r"<td[^>]*>", html)
    assert cells == [
        '<td class="text-start">',
        '<td class="text-center">',
        '<td class="text-end">',
        "<td>",
    ]
    assert "style" not in html


def test_raw_html_reads_as_the_text_typed():
    assert render_markdown("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n"


def csp_of(settings):
    registry = Registry()
    registry.settings = settings
    tween = security_headers_tween_factory(
        lambda request: Response(content_type="text/html"), registry
    )

    class Request:
        scheme = "http"

    return tween(Request()).headers["Content-Security-Policy"]


def test_images_of_other_sites_are_allowed_only_when_configured():
    assert csp_of({}) == CONTENT_SECURITY_POLICY
    sources = parse_settings(
        {
            **DATABASE,
            "charter.web.image_sources": "https://img.example.com https://*.cdn.example.org",
        }
    )["charter.web.image_sources"]

    policy = csp_of({"charter.web.image_sources": sources})

    assert "img-src 'self' data: https://img.example.com https://*.cdn.example.org;" in policy


@pytest.mark.parametrize(
    "value",
    ["http://img.example.com", "https://a.example.com; script-src *", "'unsafe-inline'", "*"],
)
def test_an_image_source_that_is_not_an_https_origin_stops_the_start(value):
    with pytest.raises(SettingsError, match=r"charter\.web\.image_sources"):
        parse_settings({**DATABASE, "charter.web.image_sources": value})


# 10. No favicon


def test_every_page_names_its_icon_and_favicon_ico_leads_to_it(editor, docs):
    page = editor.get("/docs")
    icon = page.html.select_one('link[rel="icon"]')["href"]

    assert editor.get(icon).content_type == "image/svg+xml"
    redirect = editor.get("/favicon.ico", status=301)
    assert redirect.location == icon


def test_favicon_ico_is_served_to_visitors_too(anonymous_app):
    anonymous_app.get("/favicon.ico", status=301).follow(status=200)


# 14. <time datetime> with microseconds is not valid HTML


def test_times_on_pages_carry_no_fractions_of_a_second(editor, docs):
    page = editor.get("/docs/@@contents")

    moments = [time["datetime"] for time in page.html.find_all("time")]
    assert moments
    for moment in moments:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", moment), moment
