"""A folder's contents page: sorting, paging, reordering and actions on selected items."""

import datetime as dt

import pytest
import webtest
from sqlalchemy import select, update

from charter.content.services import ContentService
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.sessions import login_as
from charter.tree.models import Node

SITE = "http://example.com"


@pytest.fixture
def editor(charter_app, db_connection, make_user, site_root, dbsession):
    """WebTest logged in as Eddie, who holds Editor on the whole site."""
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    dbsession.flush()
    app = webtest.TestApp(
        charter_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    return login_as(app, eddie)


@pytest.fixture
def docs(site_root, content, dbsession):
    """/docs holding, in this order: Charlie (document), Alpha (folder with one item),
    Bravo (document); and /target, an empty folder."""
    folder = content.add_folder(site_root, "docs", "Docs")
    content.add_document(folder, "charlie", "Charlie", "Third by title.")
    alpha = content.add_folder(folder, "alpha", "Alpha")
    content.add_document(alpha, "inside", "Inside", "Deep.")
    content.add_document(folder, "bravo", "Bravo", "Second by title.")
    content.add_folder(site_root, "target", "Target")
    dbsession.flush()
    # Distinct modification times, oldest first: Alpha, Bravo, Charlie.
    for minutes, name in enumerate(["alpha", "bravo", "charlie"]):
        dbsession.execute(
            update(Node)
            .where(Node.path == f"/docs/{name}")
            .values(modified=dt.datetime(2026, 3, 1, 12, minutes, tzinfo=dt.UTC))
        )
    dbsession.flush()
    return folder


def rows(page):
    """The table's rows: (title, type) in the order shown."""
    return [
        (
            row.select_one(".content-title").get_text(strip=True),
            row.select_one(".content-type").get_text(strip=True),
        )
        for row in page.html.select("#contents-table .content-row")
    ]


def titles(page):
    """The titles in the table, in the order shown."""
    return [title for title, _ in rows(page)]


def children(dbsession, path):
    """The names of the children of the folder at ``path``, in the folder's order."""
    dbsession.expire_all()
    folder = dbsession.scalars(select(Node).where(Node.path == path)).one()
    return list(
        dbsession.scalars(
            select(Node.name).where(Node.parent_id == folder.id).order_by(Node.position, Node.id)
        )
    )


def paths_below(dbsession, path):
    """Every path strictly below ``path``, sorted."""
    dbsession.expire_all()
    return sorted(dbsession.scalars(select(Node.path).where(Node.path.like(path + "/%"))))


def select_items(form, *names):
    """Tick the checkboxes of the items called ``names``."""
    for index in range(len(form.fields["item"])):
        box = form.get("item", index=index)
        if box._value in names:
            box.checked = True


def flashes(page):
    """The flash messages a page shows."""
    return [message.get_text(strip=True) for message in page.html.select(".flash-message")]


# -- the table ----------------------------------------------------------------------


def test_contents_lists_the_children_in_the_folders_order(editor, docs):
    page = editor.get("/docs/@@contents")

    assert rows(page) == [("Charlie", "Document"), ("Alpha", "Folder"), ("Bravo", "Document")]
    modified = [cell.get_text(strip=True) for cell in page.html.select(".content-modified")]
    assert modified == ["2026-03-01 12:02 UTC", "2026-03-01 12:00 UTC", "2026-03-01 12:01 UTC"]
    assert editor.get("/docs").html.select_one("#contents-link")["href"] == (
        SITE + "/docs/@@contents"
    )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Alpha", "Bravo", "Charlie"]),
        ("-title", ["Charlie", "Bravo", "Alpha"]),
        # Ties (two documents) keep the order they were added in.
        ("type", ["Charlie", "Bravo", "Alpha"]),
        ("-modified", ["Charlie", "Bravo", "Alpha"]),
        ("modified", ["Alpha", "Bravo", "Charlie"]),
    ],
)
def test_contents_sorts_by_a_column(editor, docs, sort, expected):
    page = editor.get("/docs/@@contents", params={"sort": sort})

    assert titles(page) == expected
    column = sort.removeprefix("-")
    sorted_header = page.html.select_one("th[aria-sort]")
    assert sorted_header.get_text(strip=True).startswith(column.title())
    assert sorted_header["aria-sort"] == ("descending" if sort.startswith("-") else "ascending")
    # Its link reverses the order; reordering is only offered in the folder's own order.
    link = sorted_header.select_one("a")["href"]
    assert link.endswith("sort=" + (column if sort.startswith("-") else f"-{column}"))
    assert page.html.select_one("#save-order") is None


def test_the_title_header_links_to_sorting_by_title(editor, docs):
    page = editor.get("/docs/@@contents")

    page = page.click(href=r"sort=title$")

    assert titles(page) == ["Alpha", "Bravo", "Charlie"]
    assert page.html.select_one("#folder-order") is not None


def test_an_unknown_sort_is_refused(editor, docs):
    page = editor.get("/docs/@@contents", params={"sort": "size"}, status=400)

    assert "sort by one of title, type, modified" in page.text


def test_contents_pages_through_the_folder_with_keyset_cursors(editor, docs):
    first = editor.get("/docs/@@contents", params={"limit": "2"})
    assert titles(first) == ["Charlie", "Alpha"]

    second = first.click(description="Next page")

    assert titles(second) == ["Bravo"]
    assert second.html.find("a", rel="next") is None


def test_contents_of_a_document_is_not_found(editor, docs):
    editor.get("/docs/bravo/@@contents", status=404)


# -- reorder ------------------------------------------------------------------------


def test_editor_reorders_the_items(editor, docs, dbsession):
    form = editor.get("/docs/@@contents").forms["contents-form"]
    assert [form[f"position-{name}"].value for name in ("charlie", "alpha", "bravo")] == [
        "1",
        "2",
        "3",
    ]
    form["position-charlie"] = "3"
    form["position-bravo"] = "1"

    saved = form.submit("action", value="reorder", status=303)

    assert saved.location == SITE + "/docs/@@contents"
    page = saved.follow()
    assert flashes(page) == ["The new order was saved."]
    assert titles(page) == ["Bravo", "Alpha", "Charlie"]
    assert children(dbsession, "/docs") == ["bravo", "alpha", "charlie"]


def test_a_bad_position_is_refused_beside_it_and_nothing_moves(editor, docs, dbsession):
    form = editor.get("/docs/@@contents").forms["contents-form"]
    form["position-charlie"] = "last"
    form["position-bravo"] = "1"

    page = form.submit("action", value="reorder", status=400)

    error = page.html.select_one("#position-1-error")
    assert error.get_text(strip=True) == "a whole number from 1 to 100000"
    form = page.forms["contents-form"]
    assert (form["position-charlie"].value, form["position-bravo"].value) == ("last", "1")
    assert children(dbsession, "/docs") == ["charlie", "alpha", "bravo"]


# -- selected items -----------------------------------------------------------------


def test_pressing_an_action_with_nothing_selected_says_so(editor, docs, dbsession):
    form = editor.get("/docs/@@contents").forms["contents-form"]

    page = form.submit("action", value="delete", status=303).follow()

    assert page.request.path == "/docs/@@contents"
    assert flashes(page) == ["Select at least one item first."]
    assert children(dbsession, "/docs") == ["charlie", "alpha", "bravo"]


def test_editor_deletes_selected_items_after_confirming(editor, docs, dbsession):
    form = editor.get("/docs/@@contents").forms["contents-form"]
    select_items(form, "alpha", "bravo")

    confirmation = form.submit("action", value="delete", status=303).follow()

    listed = [item["data-name"] for item in confirmation.html.select(".doomed-item")]
    assert listed == ["alpha", "bravo"]
    assert confirmation.html.select_one(".items-inside").get_text(strip=True) == (
        "It holds 1 item; it goes to the trash with it."
    )
    assert (
        confirmation.html.select_one("#delete-total")
        .get_text(strip=True)
        .startswith("3 items will be moved to the trash.")
    )
    assert children(dbsession, "/docs") == ["charlie", "alpha", "bravo"]

    done = confirmation.forms["delete-form"].submit(status=303)

    assert done.location == SITE + "/docs/@@contents"
    assert flashes(done.follow()) == ["2 items moved to the trash (3 with what they held)."]
    assert paths_below(dbsession, "/docs") == ["/docs/charlie"]


def test_none_is_deleted_when_one_changed_since_the_confirmation(editor, docs, dbsession):
    confirmation = editor.get("/docs/@@delete-items?item=alpha&item=bravo")
    bravo = dbsession.scalars(select(Node).where(Node.path == "/docs/bravo")).one()
    ContentService(dbsession).update(bravo, {"title": "Bravo, rewritten"}, 1)
    dbsession.flush()

    page = confirmation.forms["delete-form"].submit(status=409)

    warning = page.html.select_one(".changed-meanwhile").get_text(" ", strip=True)
    assert "“Bravo, rewritten” was changed by someone else meanwhile" in warning
    assert page.forms["delete-form"]["version-bravo"].value == "2"
    assert children(dbsession, "/docs") == ["charlie", "alpha", "bravo"]

    page.forms["delete-form"].submit(status=303)
    assert children(dbsession, "/docs") == ["charlie"]


def test_editor_moves_selected_items_to_a_folder_picked_on_the_next_page(editor, docs, dbsession):
    form = editor.get("/docs/@@contents").forms["contents-form"]
    select_items(form, "alpha", "charlie")

    picker = form.submit("action", value="move", status=303).follow()

    assert picker.request.path == "/docs/@@move-items"
    sources = [li.get_text(strip=True) for li in picker.html.select("#transfer-sources li")]
    assert sources == ["Charlie", "Alpha"]
    root = editor.get(picker.html.select_one("#picker-crumbs a")["href"])
    target = root.click(description="Target", href="at=%2Ftarget")
    moved = target.forms["transfer-form"].submit(status=303)

    assert moved.location == SITE + "/target/@@contents"
    page = moved.follow()
    assert flashes(page) == ["2 items moved to “Target”."]
    assert titles(page) == ["Charlie", "Alpha"]
    assert paths_below(dbsession, "/target") == [
        "/target/alpha",
        "/target/alpha/inside",
        "/target/charlie",
    ]
    assert children(dbsession, "/docs") == ["bravo"]
    editor.get("/target/alpha/inside", status=200)


def test_moving_selected_items_is_all_or_nothing(editor, docs, content, site_root, dbsession):
    # /target already holds a "bravo": the second of the two cannot go there.
    target = dbsession.scalars(select(Node).where(Node.path == "/target")).one()
    content.add_folder(target, "bravo", "Another bravo")
    dbsession.flush()
    picker = editor.get("/docs/@@move-items?item=alpha&item=bravo&at=/target")

    page = picker.forms["transfer-form"].submit(status=409)

    error = page.html.select_one("#transfer-destination-error").get_text(strip=True)
    assert error == "/target already holds an item named 'bravo'"
    assert children(dbsession, "/docs") == ["charlie", "alpha", "bravo"]
    assert paths_below(dbsession, "/target") == ["/target/bravo"]


def test_editor_copies_selected_items(editor, docs, dbsession):
    form = editor.get("/docs/@@contents").forms["contents-form"]
    select_items(form, "alpha")

    picker = form.submit("action", value="copy", status=303).follow()
    picker.forms["transfer-form"]["destination"] = "/target"
    copied = picker.forms["transfer-form"].submit(status=303)

    assert flashes(copied.follow()) == ["1 item copied to “Target”."]
    assert paths_below(dbsession, "/target") == ["/target/alpha", "/target/alpha/inside"]
    assert children(dbsession, "/docs") == ["charlie", "alpha", "bravo"]


def test_an_item_not_in_the_folder_is_not_found(editor, docs, dbsession):
    editor.get("/docs/@@delete-items?item=nothing", status=404)
    # An item further down is not a child, even when its path is spelled out.
    editor.get("/docs/@@delete-items", params={"item": "alpha/inside"}, status=404)
    editor.get("/docs/@@move-items?item=charlie&at=/nowhere", status=404)
    assert paths_below(dbsession, "/docs/alpha") == ["/docs/alpha/inside"]


# -- who may do what ----------------------------------------------------------------


def test_a_reader_sees_the_table_without_checkboxes_or_actions(testapp, docs):
    page = testapp.get("/docs/@@contents")

    assert titles(page) == ["Charlie", "Alpha", "Bravo"]
    assert page.html.select("#contents-table input") == []
    assert page.html.select("#contents-actions button") == []


def test_a_reader_cannot_change_the_folder(testapp, docs, dbsession):
    csrf = testapp.get("/docs").html.select_one("#user-menu input[name=csrf_token]")["value"]

    testapp.post(
        "/docs/@@contents",
        {"csrf_token": csrf, "action": "reorder", "position-bravo": "1"},
        status=403,
    )
    testapp.get("/docs/@@delete-items?item=bravo", status=403)
    testapp.post(
        "/docs/@@delete-items",
        {"csrf_token": csrf, "item": "bravo", "version-bravo": "1"},
        status=403,
    )
    testapp.get("/docs/@@move-items?item=bravo", status=403)
    testapp.post(
        "/docs/@@copy-items", {"csrf_token": csrf, "item": "bravo", "destination": "/"}, status=403
    )

    assert children(dbsession, "/docs") == ["charlie", "alpha", "bravo"]
    assert children(dbsession, "/") == ["docs", "target"]


def test_contents_actions_need_the_csrf_token(editor, docs, dbsession):
    editor.post("/docs/@@contents", {"action": "reorder", "position-bravo": "1"}, status=400)
    editor.post("/docs/@@delete-items", {"item": "bravo", "version-bravo": "1"}, status=400)

    assert children(dbsession, "/docs") == ["charlie", "alpha", "bravo"]
