"""Nothing about a node reaches someone who may not view it (issue 7).

A folder the caller may not view answers exactly like a missing one when it
is named as a destination; counts before a delete cover only what the caller
may view; and someone shared into a hidden folder sees neither its title nor
a link to it, in JSON or HTML (docs/security.md, "Shared into a hidden folder").
"""

import pytest
from sqlalchemy import select

from charter.accounts.services import TokenService
from charter.security.principals import group_principal, user_principal
from charter.security.sharing import SharingService
from charter.tree.models import Node

SITE = "http://example.com"
API = "/api/v1/content"
HIDDEN_TITLE = "Board secrets"
HIDDEN_CHILD_TITLE = "Minutes of the board"


@pytest.fixture
def eve(make_user):
    """Eve, an ordinary member of staff."""
    return make_user("eve", "Eve Editor")


@pytest.fixture
def site(site_root, content, eve, make_user, dbsession):
    """The tree, with what Eve may do in it.

    - /projects (Eve: Editor) holds plan, team (holding notes) and board,
      which blocks inheritance (Reader to the group board only) and holds minutes;
    - /private, titled "Board secrets", blocks inheritance (the board only) and
      holds report (Eve: Manager) and drafts (a folder; Eve: Editor);
    - /archive, which every logged-in person may view.
    """
    make_user("bo", groups=["board"])
    sharing = SharingService(dbsession)
    eve_principal = user_principal(eve.id)
    projects = content.add_folder(site_root, "projects", "Projects")
    content.add_document(projects, "plan", "Plan", "The plan.")
    team = content.add_folder(projects, "team", "Team")
    content.add_document(team, "notes", "Notes", "Notes.")
    board = content.add_folder(projects, "board", "Board")
    content.add_document(board, "minutes", HIDDEN_CHILD_TITLE, "Secret.")
    private = content.add_folder(site_root, "private", HIDDEN_TITLE, "Only for the board.")
    report = content.add_document(private, "report", "Quarterly report", "Numbers.")
    drafts = content.add_folder(private, "drafts", "Drafts")
    content.add_folder(site_root, "archive", "Archive")
    sharing.update(projects, {eve_principal: ["Editor"]})
    for hidden in (board, private):
        sharing.update(hidden, {group_principal("board"): ["Reader"]}, inherit=False)
    sharing.update(report, {eve_principal: ["Manager"]})
    sharing.update(drafts, {eve_principal: ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    return site_root


@pytest.fixture
def as_eve(site, eve, dbsession):
    """The Authorization header of a read-write token of Eve's."""
    _, text = TokenService(dbsession).create(eve, "tests", scope="read-write")
    dbsession.flush()
    return {"Authorization": f"Bearer {text}"}


@pytest.fixture
def browser(site, client, eve):
    """WebTest logged in as Eve."""
    return client(eve)


def node_at(dbsession, path):
    """The node at ``path`` now, or None."""
    dbsession.expire_all()
    return dbsession.scalars(select(Node).where(Node.path == path)).one_or_none()


def remove(content, dbsession, path):
    """Delete the node at ``path`` and its subtree, as the system would."""
    content.delete(node_at(dbsession, path))
    dbsession.flush()


def same_answer(first, second):
    """Two responses that a client cannot tell apart: status, type, length and bytes."""
    assert (first.status, first.content_type) == (second.status, second.content_type)
    assert first.headers.get("Content-Length") == second.headers.get("Content-Length")
    assert first.body == second.body


# -- destinations one may not view ------------------------------------------------------


@pytest.mark.parametrize("operation", ["@move", "@copy"])
@pytest.mark.parametrize("named_by", ["path", "uid"])
def test_an_api_destination_one_may_not_view_answers_like_a_missing_one(
    anonymous_app, as_eve, content, dbsession, operation, named_by
):
    private = node_at(dbsession, "/private")
    destination = "/private" if named_by == "path" else private.uid
    url = f"{API}/projects/plan/{operation}"

    hidden = anonymous_app.post_json(url, {"destination": destination}, headers=as_eve, status=400)
    remove(content, dbsession, "/private")
    missing = anonymous_app.post_json(url, {"destination": destination}, headers=as_eve, status=400)

    same_answer(hidden, missing)
    assert [error["pointer"] for error in hidden.json["errors"]] == ["/destination"]
    assert HIDDEN_TITLE not in hidden.text
    assert node_at(dbsession, "/projects/plan") is not None
    assert node_at(dbsession, "/projects/plan-2") is None


def test_an_api_destination_by_uid_one_may_view_works_below_a_hidden_folder(
    anonymous_app, as_eve, dbsession
):
    drafts = node_at(dbsession, "/private/drafts")

    moved = anonymous_app.post_json(
        f"{API}/projects/plan/@move", {"destination": drafts.uid}, headers=as_eve
    )

    assert moved.json["path"] == "/private/drafts/plan"
    assert moved.json["parent"] == f"{SITE}{API}/private/drafts"


@pytest.mark.parametrize("view", ["move", "copy"])
def test_a_web_destination_one_may_not_view_answers_like_a_missing_one(
    browser, content, dbsession, view
):
    form = browser.get(f"/projects/plan/@@{view}").forms["transfer-form"]
    form["destination"] = "/private"

    hidden = form.submit(status=400)
    remove(content, dbsession, "/private")
    missing = form.submit(status=400)

    same_answer(hidden, missing)
    assert HIDDEN_TITLE not in hidden.text


def test_the_web_picker_cannot_browse_a_hidden_folder(browser, content, dbsession):
    hidden = browser.get("/projects/plan/@@move", params={"at": "/private"}, status=404)
    remove(content, dbsession, "/private")
    missing = browser.get("/projects/plan/@@move", params={"at": "/private"}, status=404)

    same_answer(hidden, missing)


# -- counts before and after a delete ----------------------------------------------------


@pytest.fixture
def eve_edits_the_root(site, eve, dbsession):
    """Eve also holds Editor on the root, so she may delete /projects itself (deleting needs
    delete on the folder too); /projects/board still blocks inheritance."""
    SharingService(dbsession).update(site, {user_principal(eve.id): ["Editor"]})
    dbsession.flush()


def test_the_delete_page_counts_only_what_the_caller_may_view(
    browser, content, dbsession, eve_edits_the_root
):
    with_hidden = browser.get("/projects/@@delete")

    assert with_hidden.html.select_one(".items-inside").get_text(strip=True) == (
        "It holds 3 items; they go to the trash with it."
    )
    assert (
        with_hidden.html.select_one("#delete-total")
        .get_text(strip=True)
        .startswith("4 items will be moved to the trash.")
    )
    remove(content, dbsession, "/projects/board")
    without_hidden = browser.get("/projects/@@delete")
    same_answer(with_hidden, without_hidden)


def test_the_message_after_a_delete_counts_only_what_the_caller_may_view(
    browser, dbsession, eve_edits_the_root
):
    confirmation = browser.get("/projects/@@delete")

    deleted = confirmation.forms["delete-form"].submit(status=303)

    flash = deleted.follow().html.select_one(".flash-message").get_text(strip=True)
    assert flash == "“Projects” was moved to the trash with the 3 items inside it."
    # The whole subtree went: nobody is left with items they cannot reach.
    assert node_at(dbsession, "/projects/board/minutes") is None


def test_deleting_a_selection_counts_only_what_the_caller_may_view(
    browser, dbsession, eve_edits_the_root
):
    confirmation = browser.get("/@@delete-items", params={"item": "projects"})
    assert (
        confirmation.html.select_one("#delete-total")
        .get_text(strip=True)
        .startswith("4 items will be moved to the trash.")
    )

    deleted = confirmation.forms["delete-form"].submit(status=303)

    flash = deleted.follow().html.select_one(".flash-message").get_text(strip=True)
    assert flash == "1 item moved to the trash (4 with what they held)."
    assert node_at(dbsession, "/projects") is None


def test_a_global_role_counts_everything(admin_app, site):
    page = admin_app.get("/projects/@@delete")

    assert page.html.select_one(".items-inside").get_text(strip=True) == (
        "It holds 5 items; they go to the trash with it."
    )


# -- shared into a hidden folder ---------------------------------------------------------


def test_json_parent_is_null_when_the_caller_may_not_view_it(anonymous_app, as_eve):
    report = anonymous_app.get(f"{API}/private/report", headers=as_eve).json

    assert report["parent"] is None
    assert report["path"] == "/private/report"
    assert HIDDEN_TITLE not in str(report)


def test_json_parent_is_the_folder_when_the_caller_may_view_it(anonymous_app, as_eve, admin_app):
    plan = anonymous_app.get(f"{API}/projects/plan", headers=as_eve).json
    projects = anonymous_app.get(f"{API}/projects", headers=as_eve).json
    drafts = anonymous_app.get(f"{API}/private/drafts", headers=as_eve).json
    report_for_admin = admin_app.get(f"{API}/private/report").json

    assert plan["parent"] == f"{SITE}{API}/projects"
    assert {item["parent"] for item in projects["items"]} == {f"{SITE}{API}/projects"}
    assert drafts["parent"] is None
    assert report_for_admin["parent"] == f"{SITE}{API}/private"


def test_json_parent_stays_null_in_answers_to_changes(anonymous_app, as_eve):
    etag = anonymous_app.get(f"{API}/private/report", headers=as_eve).headers["ETag"]

    patched = anonymous_app.patch_json(
        f"{API}/private/report",
        {"title": "Quarterly report, final"},
        headers={**as_eve, "If-Match": etag},
    ).json
    added = anonymous_app.post_json(
        f"{API}/private/drafts", {"@type": "Document", "title": "Draft"}, headers=as_eve, status=201
    ).json
    copied = anonymous_app.post_json(
        f"{API}/private/report/@copy", {"destination": "/private/drafts"}, headers=as_eve
    ).json

    assert patched["parent"] is None
    assert added["parent"] == f"{SITE}{API}/private/drafts"
    assert copied["parent"] == f"{SITE}{API}/private/drafts"


SHARED_PAGES = [
    "/private/report",
    "/private/report/@@edit",
    "/private/report/@@rename",
    "/private/report/@@move",
    "/private/report/@@copy",
    "/private/report/@@sharing",
    "/private/drafts",
    "/private/drafts/@@contents",
    "/private/drafts/@@add?type=Document",
    "/private/drafts/@@upload",
    "/private/drafts/@@move-items?item=",
]


@pytest.mark.parametrize("url", SHARED_PAGES)
def test_pages_shared_into_a_hidden_folder_show_neither_its_title_nor_a_link(
    browser, content, dbsession, url
):
    if url.endswith("item="):
        content.add_document(node_at(dbsession, "/private/drafts"), "idea", "Idea", "")
        dbsession.flush()
        url += "idea"
    page = browser.get(url)

    assert HIDDEN_TITLE not in page.text
    assert not page.html.select(f'a[href="{SITE}/private"], a[href$="at=%2Fprivate"]')
    crumbs = page.html.select_one("nav[aria-label=breadcrumb] .breadcrumb")
    hidden_crumb = crumbs.select("li")[1]
    assert hidden_crumb.get_text(strip=True) == "private"
    assert hidden_crumb.find("a") is None


def test_the_picker_starts_at_the_nearest_folder_the_caller_may_view(browser):
    picker = browser.get("/private/report/@@move")

    heading = picker.html.select_one("#picker-heading").get_text(" ", strip=True)
    assert heading == "Folder: Charter Test /"
    assert picker.forms["transfer-form"]["destination"].value == "/"
    assert HIDDEN_TITLE not in picker.text


def test_the_picker_shows_the_hidden_folder_above_a_visible_one_by_its_name(browser):
    picker = browser.get("/private/report/@@move", params={"at": "/private/drafts"})

    crumbs = [li.get_text(strip=True) for li in picker.html.select("#picker-crumbs li")]
    assert crumbs == ["Charter Test", "private", "Drafts"]
    assert picker.html.select("#picker-crumbs li")[1].find("a") is None


def test_no_folder_above_may_be_viewed_leaves_only_the_path_to_type(browser, site, dbsession):
    SharingService(dbsession).update(site, {"system.Authenticated": []})
    dbsession.flush()

    picker = browser.get("/private/report/@@move")

    assert picker.html.select_one("#picker-heading") is None
    assert picker.forms["transfer-form"]["destination"].value == ""
    crumbs = picker.html.select("nav[aria-label=breadcrumb] li")
    assert [crumb.get_text(strip=True) for crumb in crumbs] == [
        "/",
        "private",
        "Quarterly report",
        "Move",
    ]
    assert crumbs[0].find("a") is None
    form = picker.forms["transfer-form"]
    form["destination"] = "/private/drafts"
    # Taking it out of /private needs delete there, which Eve does not hold.
    refused = form.submit(status=403)
    assert "needs delete on the folder too" in refused.html.select_one(".form-error").get_text()
    assert HIDDEN_TITLE not in refused.text
    assert node_at(dbsession, "/private/report") is not None


def test_inherited_grants_name_a_hidden_folder_by_its_path_only(browser):
    page = browser.get("/private/report/@@sharing")

    source = page.html.select_one(".inherited-row .inherited-from")
    assert source.get_text(" ", strip=True) == "/private"
    assert source.find("a") is None


def test_an_item_shared_into_a_hidden_folder_cannot_be_deleted_from_it(browser, dbsession):
    # Deleting needs delete on the folder too; Eve may not even view /private.
    refused = browser.get("/private/report/@@delete", status=403)
    assert HIDDEN_TITLE not in refused.text
    csrf = browser.get("/private/report").html.select_one("input[name=csrf_token]")["value"]
    browser.post("/private/report/@@delete", {"csrf_token": csrf, "version": "1"}, status=403)
    assert node_at(dbsession, "/private/report") is not None


# -- names that clash with a hidden sibling ----------------------------------------------


def test_a_name_taken_by_a_hidden_sibling_reveals_only_the_name_typed(anonymous_app, as_eve):
    hidden = anonymous_app.post_json(
        f"{API}/projects",
        {"@type": "Document", "title": "Board", "name": "board"},
        headers=as_eve,
        status=409,
    )
    visible = anonymous_app.post_json(
        f"{API}/projects",
        {"@type": "Document", "title": "Plan", "name": "plan"},
        headers=as_eve,
        status=409,
    )

    assert hidden.json["detail"] == "/projects already holds an item named 'board'"
    assert visible.json["detail"] == "/projects already holds an item named 'plan'"
    assert "Board" not in hidden.json["detail"]


# -- reordering by name ------------------------------------------------------------------


def test_ordering_by_a_hidden_childs_name_answers_like_a_missing_name(
    anonymous_app, as_eve, content, dbsession
):
    board = node_at(dbsession, "/projects/board")
    position = board.position
    url = f"{API}/projects/@order"

    hidden = anonymous_app.post_json(url, {"order": ["board", "plan"]}, headers=as_eve, status=400)
    assert node_at(dbsession, "/projects/board").position == position
    remove(content, dbsession, "/projects/board")
    missing = anonymous_app.post_json(url, {"order": ["board", "plan"]}, headers=as_eve, status=400)

    same_answer(hidden, missing)
    assert hidden.json["errors"] == [
        {"pointer": "/order", "detail": "/projects holds no item named board"}
    ]


def test_the_contents_page_cannot_reorder_a_hidden_child(browser, content, dbsession):
    csrf = browser.get("/projects/@@contents").forms["contents-form"]["csrf_token"].value
    fields = {"csrf_token": csrf, "action": "reorder", "position-board": "1", "position-plan": "2"}

    hidden = browser.post("/projects/@@contents", fields, status=400)
    remove(content, dbsession, "/projects/board")
    missing = browser.post("/projects/@@contents", fields, status=400)

    same_answer(hidden, missing)
    assert "/projects holds no item named board" in hidden.html.select_one(".form-error").text


def test_the_sharing_api_gives_no_url_of_a_hidden_folder(anonymous_app, as_eve, admin_app):
    inherited = anonymous_app.get(f"{API}/private/report/@sharing", headers=as_eve).json[
        "inherited"
    ]
    for_admin = admin_app.get(f"{API}/private/report/@sharing").json["inherited"]

    assert [(grant["path"], grant["from"]) for grant in inherited] == [("/private", None)]
    assert [grant["from"] for grant in for_admin] == [f"{SITE}{API}/private"]
