"""The navigation tree beside a node's page: folders along the way, open; only what the person
may view; deeper folders not read."""

import pytest

from charter.security.sharing import SharingService
from charter.web.navigation import MAX_PER_LEVEL


@pytest.fixture
def site(site_root, content, dbsession):
    """/a/b/c folders, /a/doc, /hidden (private), /z, and /a/b/c/deep/deeper."""
    a = content.add_folder(site_root, "a", "Alpha")
    b = content.add_folder(a, "b", "Beta")
    c = content.add_folder(b, "c", "Gamma")
    deep = content.add_folder(c, "deep", "Deep")
    content.add_folder(deep, "deeper", "Deeper")
    content.add_document(a, "doc", "A document", "")
    hidden = content.add_folder(site_root, "hidden", "Hidden")
    SharingService(dbsession).update(hidden, {}, inherit=False)
    content.add_folder(site_root, "z", "Zulu")
    dbsession.flush()
    return site_root


def tree(page):
    """(depth, title, current) of each link in the tree, in order."""
    found = []
    for link in page.html.select(".site-navigation a"):
        depth = len(link.find_parents("ul")) - 1
        found.append((depth, link.get_text(strip=True), link.get("aria-current") == "page"))
    return found


def test_the_tree_opens_the_folders_along_the_way(testapp, site):
    page = testapp.get("/a/b")

    assert tree(page) == [
        (0, "Charter Test", False),
        (1, "Alpha", False),
        (2, "Beta", True),
        (3, "Gamma", False),
        (1, "Zulu", False),
    ]


def test_documents_are_not_in_the_tree_and_deeper_folders_are_not_read(testapp, site):
    page = testapp.get("/a/doc")

    titles = [title for _, title, _ in tree(page)]
    assert titles == ["Charter Test", "Alpha", "Beta", "Zulu"]
    assert "Deep" not in titles


def test_a_folder_one_may_not_view_is_not_in_the_tree(testapp, admin_app, site):
    assert "Hidden" not in [title for _, title, _ in tree(testapp.get("/"))]
    assert "Hidden" in [title for _, title, _ in tree(admin_app.get("/"))]


def test_a_crowded_level_links_to_its_contents(testapp, site, content, dbsession):
    many = content.add_folder(site, "many", "Many")
    for number in range(MAX_PER_LEVEL + 2):
        content.add_folder(many, f"f{number}", f"F{number}")
    dbsession.flush()

    page = testapp.get("/many")

    titles = [title for _, title, _ in tree(page)]
    assert titles.count("more…") == 1
    assert len([t for t in titles if t.startswith("F")]) == MAX_PER_LEVEL


def test_the_tree_costs_one_query_however_deep(testapp, site, query_recorder):
    testapp.get("/a/b/c")  # warm: sessions and the like
    with query_recorder.record() as shallow:
        testapp.get("/a")
    with query_recorder.record() as deep:
        testapp.get("/a/b/c/deep")

    tree_queries = [s for s in deep if "row_number" in s.lower()]
    assert len(tree_queries) == 1
    assert len(deep) == len(shallow)


def test_pages_that_are_not_about_a_node_have_no_tree(testapp, site, make_user):
    assert testapp.get("/account").html.select_one(".site-navigation") is None
