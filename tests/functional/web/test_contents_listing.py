"""The contents table's order and pages: natural, case-insensitive titles; numbered pages in
sorted views beyond one page; "51-100 of N"; reordering by ▲ and ▼ without typing numbers."""

import pytest
import webtest
from sqlalchemy import select

from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.sessions import login_as
from charter.tree.models import Node
from charter.web.listing import Pager, natural_key, page_number

DASH = "\u2013"
# Added in this order; by title they go Item 1, item 2, Item 10, Über, Zebra.
TITLES = ["Zebra", "Item 10", "item 2", "Über", "Item 1"]


@pytest.fixture
def editor(charter_app, db_connection, make_user, site_root, dbsession):
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    dbsession.flush()
    app = webtest.TestApp(
        charter_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    return login_as(app, eddie)


@pytest.fixture
def items(site_root, content, dbsession):
    folder = content.add_folder(site_root, "items", "Items")
    for title in TITLES:
        content.add_document(folder, None, title, "")
    dbsession.flush()
    return folder


@pytest.fixture
def many(site_root, content, dbsession):
    """/many: 23 documents "Doc 1" .. "Doc 23", added in reverse."""
    folder = content.add_folder(site_root, "many", "Many")
    for number in range(23, 0, -1):
        content.add_document(folder, f"doc-{number}", f"Doc {number}", "")
    dbsession.flush()
    return folder


def titles(page):
    return [a.get_text(strip=True) for a in page.html.select("#contents-table .content-title")]


def position(page):
    return page.html.select_one("#page-position").get_text(strip=True)


def names_in_order(dbsession, path):
    dbsession.expire_all()
    folder = dbsession.scalars(select(Node).where(Node.path == path)).one()
    return list(
        dbsession.scalars(
            select(Node.name).where(Node.parent_id == folder.id).order_by(Node.position, Node.id)
        )
    )


def test_sorting_by_title_is_natural_and_ignores_case_and_accents(editor, items):
    page = editor.get("/items/@@contents", params={"sort": "title"})

    assert titles(page) == ["Item 1", "item 2", "Item 10", "Über", "Zebra"]
    reversed_page = editor.get("/items/@@contents", params={"sort": "-title"})
    assert titles(reversed_page) == ["Zebra", "Über", "Item 10", "item 2", "Item 1"]


def test_a_sorted_view_pages_beyond_its_first_page_by_number(editor, many):
    first = editor.get("/many/@@contents", params={"sort": "title", "limit": "10"})

    assert titles(first) == [f"Doc {n}" for n in range(1, 11)]
    assert position(first) == f"1{DASH}10 of 23"
    pager = first.html.select_one(".contents-pager")
    assert [a.get_text(strip=True) for a in pager.select(".page-link")] == ["1", "2", "3"]
    assert pager.select_one('[aria-current="page"]').get_text(strip=True) == "1"
    assert pager.find("a", rel="prev") is None

    second = first.click(description="Next page")
    assert titles(second) == [f"Doc {n}" for n in range(11, 21)]
    assert position(second) == f"11{DASH}20 of 23"

    third = editor.get(second.html.select_one('a[aria-label="Page 3"]')["href"])
    assert titles(third) == ["Doc 21", "Doc 22", "Doc 23"]
    assert position(third) == f"21{DASH}23 of 23"
    assert third.html.find("a", rel="next") is None
    assert titles(third.click(description="Previous page")) == titles(second)


def test_the_folders_own_order_says_where_a_page_lies(editor, many):
    first = editor.get("/many/@@contents", params={"limit": "10"})
    assert position(first) == f"1{DASH}10 of 23"

    second = first.click(description="Next page")
    assert position(second) == f"11{DASH}20 of 23"
    assert titles(second) == [f"Doc {n}" for n in range(13, 3, -1)]

    assert titles(second.click(description="First page")) == titles(first)


@pytest.mark.parametrize("text", ["0", "-1", "x", "1" * 20, "٣"])
def test_a_bad_page_number_is_refused(editor, many, text):
    page = editor.get("/many/@@contents", params={"sort": "title", "page": text}, status=400)

    assert "page" in page.text


def test_a_page_number_past_the_end_shows_the_last_page(editor, many):
    page = editor.get("/many/@@contents", params={"sort": "title", "limit": "10", "page": "9"})

    assert position(page) == f"21{DASH}23 of 23"


def test_move_up_and_down_reorder_without_typing(editor, items, dbsession):
    before = names_in_order(dbsession, "/items")
    form = editor.get("/items/@@contents").forms["contents-form"]

    saved = form.submit("move-down", value=before[0], status=303)

    assert names_in_order(dbsession, "/items") == [before[1], before[0], *before[2:]]
    form = saved.follow().forms["contents-form"]
    form.submit("move-up", value=before[-1], status=303)
    assert names_in_order(dbsession, "/items") == [
        before[1],
        before[0],
        before[2],
        before[4],
        before[3],
    ]


def test_the_first_row_cannot_move_up_nor_the_last_down(editor, items):
    page = editor.get("/items/@@contents")

    ups = page.html.select('button[name="move-up"]')
    downs = page.html.select('button[name="move-down"]')
    assert ups[0].has_attr("disabled")
    assert not ups[1].has_attr("disabled")
    assert downs[-1].has_attr("disabled")
    assert not downs[0].has_attr("disabled")


def test_moving_an_item_not_on_the_page_is_refused(editor, items, dbsession):
    before = names_in_order(dbsession, "/items")
    form = editor.get("/items/@@contents").forms["contents-form"]

    editor.post(
        "/items/@@contents",
        {"csrf_token": form["csrf_token"].value, "move-up": "nothing", "position-x": "1"},
        status=400,
    )
    assert names_in_order(dbsession, "/items") == before


def test_natural_key_orders_numbers_as_numbers():
    assert sorted(["a10", "A2", "a1", "b", "á3"], key=natural_key) == ["a1", "A2", "á3", "a10", "b"]
    # Digits of other scripts are text, not numbers, and never fail to compare.
    assert sorted(["x٣", "x2", "x10"], key=natural_key) == ["x2", "x10", "x٣"]


def test_pager_numbers_leave_gaps():
    assert Pager(1, 10, 300, number=10, page_count=30).numbers() == [
        1,
        None,
        8,
        9,
        10,
        11,
        12,
        None,
        30,
    ]
    assert Pager(1, 3, 3, number=1, page_count=1).numbers() == []
    assert page_number(None) == 1


def test_the_contents_page_of_60_children_costs_what_one_of_3_costs(
    editor, content, site_root, dbsession, query_recorder
):
    for name, count in (("few", 3), ("sixty", 60)):
        folder = content.add_folder(site_root, name, name.title())
        for number in range(count):
            content.add_document(folder, f"d{number}", f"Document {number}", "Text.")
    dbsession.flush()

    with query_recorder.record() as few_queries:
        few = editor.get("/few/@@contents")
    with query_recorder.record() as many_queries:
        many = editor.get("/sixty/@@contents")

    assert "Document 2" in few.text
    assert "Document 49" in many.text
    # Each row's workflow menu checks the child's permissions; its grants come in one query.
    assert len(many_queries) == len(few_queries) <= 8
