"""The editing pages of a node: add, edit (and "changed meanwhile"), rename, move, copy, delete."""

import pytest
from sqlalchemy import select

from charter.audit.models import AuditEntry
from charter.content.models import Document, Folder
from charter.content.services import ContentService
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.tree.models import Node

SITE = "http://example.com"


@pytest.fixture
def eddie(make_user, site_root, dbsession):
    """Eddie holds Editor on the whole site (add, edit, delete; not share)."""
    user = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(user.id): ["Editor"]})
    dbsession.flush()
    return user


@pytest.fixture
def editor(client, eddie):
    """WebTest logged in as Eddie."""
    return client(eddie)


@pytest.fixture
def docs(site_root, content, dbsession):
    """/docs holding /docs/guide (a document) and /docs/team (a folder with two items)."""
    folder = content.add_folder(site_root, "docs", "Docs", "Everything written down.")
    content.add_document(folder, "guide", "User guide", "# Start\n\nRead this first.")
    team = content.add_folder(folder, "team", "Team")
    content.add_document(team, "people", "People", "Who is who.")
    content.add_folder(team, "archive", "Archive")
    content.add_folder(site_root, "target", "Target")
    dbsession.flush()
    return folder


def node_at(dbsession, path):
    """The node stored at ``path`` now, or None."""
    dbsession.expire_all()
    return dbsession.scalars(select(Node).where(Node.path == path)).one_or_none()


def paths_below(dbsession, path):
    """Every path strictly below ``path``, sorted."""
    dbsession.expire_all()
    return sorted(dbsession.scalars(select(Node.path).where(Node.path.like(path + "/%"))))


def field_error(page, form, name):
    """The message shown beside the input ``name`` of the form with id prefix ``form``."""
    error = page.html.select_one(f"#{form}-{name}-error")
    return error.get_text(strip=True) if error else None


def flashes(page):
    """The flash messages a page shows."""
    return [message.get_text(strip=True) for message in page.html.select(".flash-message")]


def heading(page):
    """The page's main heading."""
    return page.html.find("h1").get_text(strip=True)


# -- add ----------------------------------------------------------------------------


def test_editor_adds_a_folder_then_a_document_in_it(editor, eddie, docs, dbsession):
    folder_page = editor.get("/docs")
    menu = [a.get_text(strip=True) for a in folder_page.html.select("#add-menu a")]
    assert menu == ["Document", "Folder", "Upload files"]
    form = editor.get(folder_page.html.select_one("#add-menu a:-soup-contains('Folder')")["href"])
    form = form.forms["add-form"]
    form["title"] = "Meeting notes"
    form["description"] = "Minutes of every meeting."

    added = form.submit(status=303)

    assert added.location == SITE + "/docs/meeting-notes"
    page = added.follow()
    assert heading(page) == "Meeting notes"
    assert flashes(page) == ["Folder “Meeting notes” was added."]
    folder = node_at(dbsession, "/docs/meeting-notes")
    assert isinstance(folder, Folder)
    assert (folder.description, folder.created_by_id, folder.version) == (
        "Minutes of every meeting.",
        eddie.id,
        1,
    )

    form = editor.get("/docs/meeting-notes/@@add", params={"type": "Document"}).forms["add-form"]
    form["title"] = "Kick-off"
    form["body"] = "## Agenda\r\n\r\n- Budget\r\n"
    form["name"] = "2026-01-kickoff"
    page = form.submit(status=303).follow()

    assert page.request.path == "/docs/meeting-notes/2026-01-kickoff"
    # Body headings sit one level below the page's own <h1>: "##" is an <h3>.
    assert page.html.select_one(".document-body h3").get_text(strip=True) == "Agenda"
    document = node_at(dbsession, "/docs/meeting-notes/2026-01-kickoff")
    assert isinstance(document, Document)
    # The browser's CRLF line ends are stored as LF.
    assert document.body == "## Agenda\n\n- Budget"
    added = dbsession.scalars(
        select(AuditEntry.target).where(AuditEntry.action == "content.added")
    ).all()
    assert added[-2:] == ["/docs/meeting-notes", "/docs/meeting-notes/2026-01-kickoff"]


def test_add_without_a_type_offers_the_types_allowed_here(editor, docs):
    page = editor.get("/docs/@@add")

    links = {a.get_text(strip=True): a["href"] for a in page.html.select(".add-choices a")}
    assert links == {
        "Document": SITE + "/docs/@@add?type=Document",
        "Folder": SITE + "/docs/@@add?type=Folder",
    }


def test_a_document_offers_no_add_menu_and_cannot_hold_items(editor, docs, dbsession):
    page = editor.get("/docs/guide")
    assert page.html.select_one("#add-menu") is None
    assert page.html.select_one("#edit-link") is not None

    editor.get("/docs/guide/@@add", params={"type": "Document"}, status=409)
    editor.get("/docs/@@add", params={"type": "NoSuchType"}, status=404)
    assert paths_below(dbsession, "/docs/guide") == []


def test_add_with_bad_input_shows_errors_beside_the_fields_and_keeps_the_input(
    editor, docs, dbsession
):
    before = paths_below(dbsession, "/docs")
    form = editor.get("/docs/@@add", params={"type": "Document"}).forms["add-form"]
    form["title"] = "   "
    form["description"] = "A short summary."
    form["body"] = "Text I do not want to type twice."
    form["name"] = "no spaces please"

    page = form.submit(status=400)

    assert field_error(page, "add", "title") == "a title is required"
    assert field_error(page, "add", "name") is None  # the title is checked first
    assert page.html.select_one("#add-title")["aria-invalid"] == "true"
    form = page.forms["add-form"]
    assert form["description"].value == "A short summary."
    assert form["body"].value == "Text I do not want to type twice."
    assert form["name"].value == "no spaces please"
    assert paths_below(dbsession, "/docs") == before

    form["title"] = "Fixed"
    page = form.submit(status=400)
    assert field_error(page, "add", "name").startswith("a name may hold only letters")
    assert field_error(page, "add", "title") is None
    assert paths_below(dbsession, "/docs") == before

    form = page.forms["add-form"]
    form["name"] = "fixed"
    form.submit(status=303)
    assert node_at(dbsession, "/docs/fixed").body == "Text I do not want to type twice."


def test_a_taken_name_is_refused_beside_the_name(editor, docs, dbsession):
    form = editor.get("/docs/@@add", params={"type": "Folder"}).forms["add-form"]
    form["title"] = "Another guide"
    form["name"] = "guide"

    page = form.submit(status=409)

    assert "already holds an item named 'guide'" in field_error(page, "add", "name")
    assert page.forms["add-form"]["title"].value == "Another guide"
    assert isinstance(node_at(dbsession, "/docs/guide"), Document)


def test_a_blank_name_is_made_from_the_title_and_kept_free(editor, docs, dbsession):
    form = editor.get("/docs/@@add", params={"type": "Document"}).forms["add-form"]
    form["title"] = "User Guide"

    assert form.submit(status=303).location == SITE + "/docs/user-guide"
    form["title"] = "User guide"
    assert form.submit(status=303).location == SITE + "/docs/user-guide-2"


# -- edit ---------------------------------------------------------------------------


def test_editor_edits_a_document(editor, eddie, docs, dbsession):
    form = editor.get("/docs/guide/@@edit").forms["edit-form"]
    assert form["title"].value == "User guide"
    assert form["body"].value == "# Start\n\nRead this first."
    assert form["version"].value == "1"
    form["title"] = "The user guide"
    form["body"] = "# Start here\r\n\r\nThen read on."

    saved = form.submit(status=303)

    assert saved.location == SITE + "/docs/guide"
    page = saved.follow()
    assert heading(page) == "The user guide"
    assert flashes(page) == ["“The user guide” was saved."]
    guide = node_at(dbsession, "/docs/guide")
    assert (guide.title, guide.body, guide.version) == (
        "The user guide",
        "# Start here\n\nThen read on.",
        2,
    )
    assert guide.modified_by_id == eddie.id


def test_saving_an_unchanged_form_changes_nothing(editor, docs, dbsession):
    page = editor.get("/docs/guide/@@edit").forms["edit-form"].submit(status=303).follow()

    assert flashes(page) == ["Nothing was changed."]
    assert node_at(dbsession, "/docs/guide").version == 1


def test_edit_with_a_bad_title_keeps_the_input_and_changes_nothing(editor, docs, dbsession):
    form = editor.get("/docs/guide/@@edit").forms["edit-form"]
    form["title"] = "x" * 501
    form["body"] = "My long new text."

    page = form.submit(status=400)

    assert field_error(page, "edit", "title") == "a title has at most 500 characters"
    assert page.forms["edit-form"]["body"].value == "My long new text."
    assert page.forms["edit-form"]["version"].value == "1"
    guide = node_at(dbsession, "/docs/guide")
    assert (guide.title, guide.body, guide.version) == (
        "User guide",
        "# Start\n\nRead this first.",
        1,
    )


def test_second_tab_gets_the_changed_meanwhile_page_and_loses_nothing(editor, docs, dbsession):
    first_tab = editor.get("/docs/guide/@@edit").forms["edit-form"]
    second_tab = editor.get("/docs/guide/@@edit").forms["edit-form"]
    second_tab["title"] = "Their title"
    second_tab.submit(status=303)
    first_tab["title"] = "My title"
    first_tab["body"] = "My careful rewrite."

    page = first_tab.submit(status=409)

    warning = page.html.select_one("#changed-meanwhile")
    assert "Someone else changed this meanwhile" in warning.get_text()
    assert "now at version 2" in warning.get_text()
    rows = {
        row["data-field"]: (
            row.select_one(".yours").get_text(strip=True),
            row.select_one(".theirs").get_text(strip=True),
        )
        for row in page.html.select("#both-versions tbody tr")
    }
    assert rows == {
        "title": ("My title", "Their title"),
        "body": ("My careful rewrite.", "# Start\n\nRead this first."),
    }
    form = page.forms["edit-form"]
    assert (form["title"].value, form["body"].value) == ("My title", "My careful rewrite.")
    assert form["version"].value == "2"
    guide = node_at(dbsession, "/docs/guide")
    assert (guide.title, guide.version) == ("Their title", 2)

    form.submit(status=303)

    guide = node_at(dbsession, "/docs/guide")
    assert (guide.title, guide.body, guide.version) == ("My title", "My careful rewrite.", 3)


def test_a_form_without_a_version_is_refused(editor, docs, dbsession):
    form = editor.get("/docs/guide/@@edit").forms["edit-form"]
    editor.post(
        "/docs/guide/@@edit",
        {"csrf_token": form["csrf_token"].value, "title": "No version"},
        status=400,
    )

    assert node_at(dbsession, "/docs/guide").title == "User guide"


# -- rename -------------------------------------------------------------------------


def test_editor_renames_a_folder_and_its_items_follow(editor, docs, dbsession):
    form = editor.get("/docs/team/@@rename").forms["rename-form"]
    assert form["name"].value == "team"
    form["name"] = "crew"

    page = form.submit(status=303).follow()

    assert page.request.path == "/docs/crew"
    assert flashes(page) == ["“Team” is now at /docs/crew."]
    assert paths_below(dbsession, "/docs/crew") == ["/docs/crew/archive", "/docs/crew/people"]
    assert node_at(dbsession, "/docs/team") is None
    editor.get("/docs/crew/people", status=200)
    assert editor.get("/docs/team/people", status=301).location == SITE + "/docs/crew/people"


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("bad name", 400, "a name may hold only letters"),
        ("@view", 400, "names starting with '@' or '_' are reserved"),
        ("guide", 409, "/docs already holds an item named 'guide'"),
    ],
)
def test_a_bad_new_name_is_refused_beside_the_field(editor, docs, dbsession, name, status, message):
    form = editor.get("/docs/team/@@rename").forms["rename-form"]
    form["name"] = name

    page = form.submit(status=status)

    assert field_error(page, "rename", "name").startswith(message)
    assert page.forms["rename-form"]["name"].value == name
    assert paths_below(dbsession, "/docs/team") == ["/docs/team/archive", "/docs/team/people"]


def test_the_top_folder_cannot_be_renamed_moved_or_deleted(editor, docs):
    page = editor.get("/")
    for link in ("#rename-link", "#move-link", "#copy-link", "#delete-link"):
        assert page.html.select_one(link) is None
    for view in ("rename", "move", "copy", "delete"):
        editor.get(f"/@@{view}", status=409)


# -- move and copy ------------------------------------------------------------------


def picker_folders(page):
    """The folders the destination picker offers to open: {title: href}."""
    return {a.get_text(strip=True): a["href"] for a in page.html.select(".picker-folders a")}


def test_editor_moves_a_folder_by_browsing_to_the_destination(editor, docs, dbsession):
    uids = {path: node_at(dbsession, path).uid for path in ("/docs/team", "/docs/team/people")}
    picker = editor.get("/docs/team/@@move")
    # It starts where the folder is: its siblings, not the folder itself.
    assert (
        picker.html.select_one("#picker-heading")
        .get_text(" ", strip=True)
        .startswith("Folder: Docs")
    )
    assert list(picker_folders(picker)) == []
    crumbs = {a.get_text(strip=True): a["href"] for a in picker.html.select("#picker-crumbs a")}
    root_picker = editor.get(crumbs["Charter Test"])
    assert list(picker_folders(root_picker)) == ["Docs", "Target"]
    target_picker = editor.get(picker_folders(root_picker)["Target"])
    form = target_picker.forms["transfer-form"]
    assert form["destination"].value == "/target"

    moved = form.submit(status=303)

    assert moved.location == SITE + "/target/team"
    assert flashes(moved.follow()) == ["“Team” was moved to “Target”."]
    assert paths_below(dbsession, "/target") == [
        "/target/team",
        "/target/team/archive",
        "/target/team/people",
    ]
    assert paths_below(dbsession, "/docs") == ["/docs/guide"]
    for path in ("/target/team", "/target/team/archive", "/target/team/people"):
        editor.get(path, status=200)
    assert editor.get("/docs/team/people", status=301).location == SITE + "/target/team/people"
    assert node_at(dbsession, "/target/team/people").uid == uids["/docs/team/people"]


def test_move_to_a_typed_path_with_a_new_name(editor, docs, dbsession):
    form = editor.get("/docs/guide/@@move").forms["transfer-form"]
    form["destination"] = "/docs/team/archive/"
    form["name"] = "old-guide"

    assert form.submit(status=303).location == SITE + "/docs/team/archive/old-guide"
    assert node_at(dbsession, "/docs/team/archive/old-guide").title == "User guide"


@pytest.mark.parametrize(
    ("destination", "status", "message"),
    [
        ("/docs/team/archive", 409, "a folder cannot be moved into itself or its own subtree"),
        ("/nowhere", 400, "There is no folder at “/nowhere”."),
        ("/docs/guide", 400, "There is no folder at “/docs/guide”."),
        ("/docs", 400, "Already in “Docs”."),
        (" ", 400, "Give the path of a folder, e.g. /projects."),
    ],
)
def test_a_bad_destination_is_refused_beside_the_field(
    editor, docs, dbsession, destination, status, message
):
    form = editor.get("/docs/team/@@move").forms["transfer-form"]
    form["destination"] = destination

    page = form.submit(status=status)

    assert field_error(page, "transfer", "destination") == message
    assert page.forms["transfer-form"]["destination"].value == destination
    assert paths_below(dbsession, "/docs/team") == ["/docs/team/archive", "/docs/team/people"]


def test_moving_into_a_folder_one_may_not_add_to_is_refused(
    client, make_user, docs, site_root, dbsession
):
    # Cleo may add and delete in /docs only.
    cleo = make_user("cleo")
    SharingService(dbsession).update(docs, {user_principal(cleo.id): ["Editor"]})
    dbsession.flush()
    app = client(cleo)
    picker = app.get("/docs/guide/@@move", params={"at": "/target"})
    assert (
        picker.html.select_one("#placement-problem")
        .get_text(strip=True)
        .startswith("You may not add items to “Target”.")
    )
    form = picker.forms["transfer-form"]

    page = form.submit(status=403)

    assert field_error(page, "transfer", "destination") == "You may not add items to “Target”."
    assert node_at(dbsession, "/docs/guide") is not None
    assert paths_below(dbsession, "/target") == []


def test_editor_copies_a_folder_deeply(editor, eddie, docs, dbsession):
    originals = {path: node_at(dbsession, path).uid for path in paths_below(dbsession, "/docs")}
    form = editor.get("/docs/team/@@copy", params={"at": "/target"}).forms["transfer-form"]

    copied = form.submit(status=303)

    assert copied.location == SITE + "/target/team"
    assert flashes(copied.follow()) == ["“Team” was copied to “Target”."]
    assert paths_below(dbsession, "/target") == [
        "/target/team",
        "/target/team/archive",
        "/target/team/people",
    ]
    copies = {path: node_at(dbsession, path) for path in paths_below(dbsession, "/target")}
    assert not {copy.uid for copy in copies.values()} & set(originals.values())
    assert copies["/target/team/people"].body == "Who is who."
    assert copies["/target/team"].created_by_id == eddie.id
    # The original is untouched.
    assert {path: node_at(dbsession, path).uid for path in originals} == originals


def test_a_copy_beside_the_original_gets_a_free_name(editor, docs, dbsession):
    form = editor.get("/docs/guide/@@copy").forms["transfer-form"]
    assert form["destination"].value == "/docs"

    assert form.submit(status=303).location == SITE + "/docs/guide-2"
    assert node_at(dbsession, "/docs/guide-2").title == "Copy of User guide"
    assert node_at(dbsession, "/docs/guide").title == "User guide"


# -- delete -------------------------------------------------------------------------


def test_deleting_a_folder_says_what_goes_with_it(editor, docs, dbsession):
    page = editor.get("/docs/team/@@delete")

    assert heading(page) == "Move “Team” to the trash?"
    assert page.html.select_one(".items-inside").get_text(strip=True) == (
        "It holds 2 items; they go to the trash with it."
    )
    assert (
        page.html.select_one("#delete-total")
        .get_text(strip=True)
        .startswith("3 items will be moved to the trash.")
    )
    deleted = page.forms["delete-form"].submit(status=303)

    assert deleted.location == SITE + "/docs"
    assert flashes(deleted.follow()) == [
        "“Team” was moved to the trash with the 2 items inside it."
    ]
    assert paths_below(dbsession, "/docs") == ["/docs/guide"]
    entry = dbsession.scalars(
        select(AuditEntry).where(AuditEntry.action == "content.trashed")
    ).one()
    assert (entry.target, entry.details["count"]) == ("/docs/team", 3)


def test_deleting_what_changed_since_the_confirmation_is_refused(editor, docs, dbsession):
    form = editor.get("/docs/guide/@@delete").forms["delete-form"]
    guide = node_at(dbsession, "/docs/guide")
    ContentService(dbsession).update(guide, {"title": "Rewritten guide"}, 1)
    dbsession.flush()

    page = form.submit(status=409)

    assert "changed by someone else meanwhile" in page.html.select_one(".changed-meanwhile").text
    assert page.forms["delete-form"]["version"].value == "2"
    assert node_at(dbsession, "/docs/guide").title == "Rewritten guide"

    page.forms["delete-form"].submit(status=303)
    assert node_at(dbsession, "/docs/guide") is None


# -- who may do what ----------------------------------------------------------------


EDIT_ACTIONS = (
    "#add-menu",
    "#edit-link",
    "#contents-link",
    "#rename-link",
    "#move-link",
    "#copy-link",
    "#delete-link",
)


def test_a_reader_sees_no_editing_actions(testapp, docs):
    for path in ("/", "/docs", "/docs/guide"):
        page = testapp.get(path)
        assert [selector for selector in EDIT_ACTIONS if page.html.select_one(selector)] == []


def test_an_editor_sees_the_actions_their_role_allows(editor, docs):
    page = editor.get("/docs")

    assert [selector for selector in EDIT_ACTIONS if page.html.select_one(selector)] == list(
        EDIT_ACTIONS
    )
    # Sharing needs the Manager role.
    assert page.html.select_one("#sharing-link") is None


@pytest.mark.parametrize(
    "url",
    [
        "/docs/@@add?type=Document",
        "/docs/guide/@@edit",
        "/docs/guide/@@rename",
        "/docs/guide/@@move",
        "/docs/guide/@@delete",
    ],
)
def test_a_reader_is_forbidden_the_editing_forms(testapp, docs, url):
    testapp.get(url, status=403)


def test_a_reader_cannot_post_changes(testapp, docs, dbsession):
    csrf = testapp.get("/docs").html.select_one("#user-menu input[name=csrf_token]")["value"]
    before = paths_below(dbsession, "/")

    testapp.post(
        "/docs/@@add", {"csrf_token": csrf, "type": "Document", "title": "Mine"}, status=403
    )
    testapp.post(
        "/docs/guide/@@edit", {"csrf_token": csrf, "title": "Mine", "version": "1"}, status=403
    )
    testapp.post("/docs/guide/@@rename", {"csrf_token": csrf, "name": "mine"}, status=403)
    testapp.post("/docs/guide/@@move", {"csrf_token": csrf, "destination": "/"}, status=403)
    # Copying only needs to see the original, but a Reader may add nowhere.
    testapp.post("/docs/guide/@@copy", {"csrf_token": csrf, "destination": "/"}, status=403)
    testapp.post("/docs/guide/@@delete", {"csrf_token": csrf, "version": "1"}, status=403)

    assert paths_below(dbsession, "/") == before
    assert node_at(dbsession, "/docs/guide").title == "User guide"


def test_anonymous_visitors_are_sent_to_log_in(anonymous_app, docs):
    answer = anonymous_app.get("/docs/guide/@@edit", status=302)

    assert answer.location.startswith(SITE + "/login?came_from=")


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/docs/@@add", {"type": "Document", "title": "Forged"}),
        ("/docs/guide/@@edit", {"title": "Forged", "version": "1"}),
        ("/docs/guide/@@rename", {"name": "forged"}),
        ("/docs/guide/@@move", {"destination": "/target"}),
        ("/docs/guide/@@copy", {"destination": "/target"}),
        ("/docs/guide/@@delete", {"version": "1"}),
    ],
)
def test_forms_without_the_csrf_token_are_refused(editor, docs, dbsession, url, fields):
    before = paths_below(dbsession, "/")

    page = editor.post(url, fields, status=400)

    assert "did not come from this site" in page.text
    assert paths_below(dbsession, "/") == before
    assert node_at(dbsession, "/docs/guide").title == "User guide"
