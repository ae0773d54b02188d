"""The contents table's icons per type, state, size and author columns and image thumbnails:
what each row shows beyond the node's own columns, read in one query for the page whatever
it holds."""

from __future__ import annotations

import io

import pytest
import webtest
from PIL import Image
from sqlalchemy import select

from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.samples import png_image
from charter.testing.sessions import login_as
from charter.tree.models import Node

SITE = "http://example.com"
PNG = png_image(3, 2)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def eddie(make_user, site_root, content, dbsession):
    """Eddie Editor, who may add to /docs (a folder holding the document "User guide")."""
    user = make_user("eddie", "Eddie Editor")
    folder = content.add_folder(site_root, "docs", "Docs")
    content.add_document(folder, "guide", "User guide", "Read this first.")
    SharingService(dbsession).update(folder, {user_principal(user.id): ["Editor"]})
    dbsession.flush()
    return user


@pytest.fixture
def editor(charter_app, db_connection, eddie):
    """WebTest logged in as Eddie."""
    app = webtest.TestApp(
        charter_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    return login_as(app, eddie)


def upload(app, *files):
    """Upload ``files`` ((filename, bytes) pairs) to /docs through its form."""
    form = app.get("/docs/@@upload").forms["upload-form"]
    form["file"] = [(name, data, "application/octet-stream") for name, data in files]
    form.submit(status=303)


def rows(page):
    """Each row of the contents table: title, size, author, and the thumbnail's tag or None."""
    return [
        (
            row.select_one(".content-title").get_text(strip=True),
            row.select_one(".content-size").get_text(strip=True),
            row.select_one(".content-author").get_text(strip=True),
            row.select_one("img.content-thumbnail"),
        )
        for row in page.html.select("#contents-table .content-row")
    ]


def test_files_show_their_size_images_a_thumbnail_and_everyone_their_author(editor):
    upload(editor, ("chart.png", PNG), ("report.pdf", PDF), ("drawing.svg", SVG))

    page = editor.get("/docs/@@contents")

    shown = {title: (size, author, img) for title, size, author, img in rows(page)}
    # The document was added by the site's own set-up: nobody owns it.
    assert shown["User guide"][:2] == ("", "")
    assert shown["chart.png"][:2] == (f"{len(PNG)} bytes", "Eddie Editor")
    assert shown["report.pdf"][:2] == (f"{len(PDF)} bytes", "Eddie Editor")
    thumbnails = {title for title, (_, _, img) in shown.items() if img is not None}
    # An SVG may carry script: it is never shown inline, so it gets no thumbnail either.
    assert thumbnails == {"chart.png"}
    image = shown["chart.png"][2]
    assert image["src"] == SITE + "/docs/chart.png/@@thumbnail"
    assert (image["width"], image["height"], image["loading"], image["alt"]) == (
        "48",
        "48",
        "lazy",
        "Thumbnail of “chart.png”",
    )
    # Scaled by the server (charter.web.thumbnails): a picture this small keeps its size.
    fetched = editor.get(image["src"])
    assert (fetched.content_type, Image.open(io.BytesIO(fetched.body)).size) == (
        "image/png",
        (3, 2),
    )


def test_each_row_has_its_types_icon_and_its_state(editor, content, dbsession):
    upload(editor, ("notes.txt", b"Minutes.\n"))
    docs = dbsession.scalars(select(Node).where(Node.path == "/docs")).one()
    content.add_folder(docs, "archive", "Archive")
    dbsession.flush()

    page = editor.get("/docs/@@contents")

    shown = {
        row.select_one(".content-title").get_text(strip=True): (
            [c for c in row.select_one(".type-icon")["class"] if c.startswith("type-icon-")],
            row.select_one(".state-badge")["data-state"],
        )
        for row in page.html.select("#contents-table .content-row")
    }
    assert shown == {
        "User guide": (["type-icon-document"], "published"),
        "notes.txt": (["type-icon-file"], "private"),
        "Archive": (["type-icon-folder"], "published"),
    }


def test_the_sorted_view_shows_the_same_details(editor):
    upload(editor, ("chart.png", PNG))

    page = editor.get("/docs/@@contents?sort=title")

    assert [row[:3] for row in rows(page)] == [
        ("chart.png", f"{len(PNG)} bytes", "Eddie Editor"),
        ("User guide", "", ""),
    ]


def without_grants(queries):
    """The queries but those reading one node's local roles."""
    return len([query for query in queries if not query.startswith("SELECT local_roles.id")])


def test_the_details_of_a_page_are_one_query_for_one_file_or_many(editor, query_recorder):
    upload(editor, ("one.png", PNG))
    with query_recorder.record() as few:
        editor.get("/docs/@@contents")
    upload(editor, *[(f"chart-{n}.png", PNG) for n in range(12)])
    with query_recorder.record() as many:
        page = editor.get("/docs/@@contents")

    assert len(rows(page)) == 14
    # Reading a File's size or its owner through each child would cost a query per file.
    # (Each child's own grants are still read one by one, for its workflow choices: that
    # cost is the permission checks', not the details'.)
    assert without_grants(many) == without_grants(few)
