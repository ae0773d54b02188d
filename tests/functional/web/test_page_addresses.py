"""The addresses a node's page links to: the layout's static files and fixed pages follow the
address each request came to (their paths are worked out once), and the breadcrumbs link only
the folders the person may view."""

import pytest

from charter.security.principals import user_principal
from charter.security.sharing import SharingService


@pytest.fixture
def doc(site_root, content, dbsession):
    """/a/doc, a document in a folder."""
    folder = content.add_folder(site_root, "a", "Alpha")
    document = content.add_document(folder, "doc", "A document", "")
    dbsession.flush()
    return document


def links(page):
    """The stylesheets' and the account menu's addresses."""
    return [
        *(tag["href"] for tag in page.html.select("link[rel=stylesheet]")),
        page.html.select_one("#trash-link")["href"],
        page.html.select_one("#language-form")["action"],
    ]


def test_static_and_page_links_follow_the_address_of_each_request(testapp, doc):
    first = links(testapp.get("/a/doc"))
    elsewhere = links(
        testapp.get(
            "/a/doc", extra_environ={"HTTP_HOST": "example.com:8080", "SCRIPT_NAME": "/charter"}
        )
    )

    assert first[0] == "http://example.com/static/bootstrap/css/bootstrap.min.css"
    assert first[2:] == ["http://example.com/trash", "http://example.com/language"]
    assert [
        link.replace("http://example.com/", "http://example.com:8080/charter/") for link in first
    ] == elsewhere


def test_the_breadcrumbs_name_a_folder_one_may_not_view_without_linking_it(
    testapp, doc, staff_user, dbsession
):
    folder = doc.__parent__
    SharingService(dbsession).update(folder, {}, inherit=False)
    SharingService(dbsession).update(doc, {user_principal(staff_user.id): ["Reader"]})
    dbsession.flush()

    crumbs = testapp.get("/a/doc").html.select(".breadcrumb-item")

    assert [
        (c.get_text(strip=True), c.find("a")["href"] if c.find("a") else None) for c in crumbs
    ] == [
        ("Charter Test", "http://example.com/"),
        ("a", None),
        ("A document", None),
    ]
    assert "hidden-crumb" in crumbs[1]["class"]
    assert crumbs[2]["aria-current"] == "page"
