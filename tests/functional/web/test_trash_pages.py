"""The trash pages: list, filter, restore (with a choice of folder and name), delete for
good, empty; legal holds for Administrators; the delete pages now move to the trash."""

import pytest
from sqlalchemy import func, select

from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.trash.models import TrashEntry
from charter.tree.models import Node

SITE = "http://example.com"


@pytest.fixture
def eddie(make_user, site_root, dbsession):
    """Eddie holds Editor on the whole site."""
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
    """/docs (guide, team/people), /target, /sandbox (note)."""
    folder = content.add_folder(site_root, "docs", "Docs")
    content.add_document(folder, "guide", "User guide", "# Start")
    team = content.add_folder(folder, "team", "Team")
    content.add_document(team, "people", "People", "Who is who.")
    content.add_folder(site_root, "target", "Target")
    sandbox = content.add_folder(site_root, "sandbox", "Sandbox")
    content.add_document(sandbox, "note", "Note", "A note.")
    dbsession.flush()
    return folder


def node_at(dbsession, path):
    dbsession.expire_all()
    return dbsession.scalars(select(Node).where(Node.path == path)).one_or_none()


def flashes(page, kind="flash-message"):
    return [item.get_text(strip=True) for item in page.html.select(f".{kind}")]


def trash_delete(app, path):
    """Delete ``path`` through its confirmation page; the trash entry's id."""
    page = app.get(f"{path}/@@delete")
    page.forms["delete-form"].submit(status=303)
    return app.get("/trash").html.select_one(".trash-row")["data-entry"]


def entries(dbsession):
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(TrashEntry))


def test_delete_says_trash_and_restore_brings_it_back(editor, docs, dbsession):
    page = editor.get("/docs/team/@@delete")
    assert page.html.select_one("h1").get_text(strip=True) == "Move “Team” to the trash?"
    total = page.html.select_one("#delete-total").get_text(" ", strip=True)
    assert total.startswith("2 items will be moved to the trash.")
    assert "cannot be undone" not in page.text

    deleted = page.forms["delete-form"].submit(status=303).follow()
    assert flashes(deleted) == ["“Team” was moved to the trash with the item inside it."]
    assert node_at(dbsession, "/docs/team") is None
    editor.get("/docs/team", status=404)

    trash = editor.get("/")
    assert trash.html.select_one("#trash-link")["href"] == SITE + "/trash"
    listing = editor.get("/trash")
    [row] = listing.html.select(".trash-row")
    assert row.select_one(".entry-title").get_text(strip=True) == "Team"
    assert "/docs/team" in row.get_text()
    entry_page = listing.click(href=f"/trash/{row['data-entry']}$")
    form = entry_page.forms["restore-form"]
    assert (form["target"].value, form["name"].value) == ("/docs", "team")
    restored = form.submit(status=303)
    assert restored.location == SITE + "/docs/team"
    assert flashes(restored.follow()) == ["“Team” was restored to /docs/team."]
    assert node_at(dbsession, "/docs/team/people") is not None
    assert entries(dbsession) == 0


def test_selected_items_go_to_the_trash(editor, docs, dbsession):
    confirmation = editor.get("/docs/@@delete-items", params={"item": ["guide", "team"]})
    assert "moved to the trash" in confirmation.html.select_one("#delete-total").get_text()
    done = confirmation.forms["delete-form"].submit(status=303).follow()
    assert flashes(done) == ["2 items moved to the trash (3 with what they held)."]
    assert entries(dbsession) == 2


def test_restore_form_offers_another_folder_or_name_when_needed(editor, docs, content, dbsession):
    entry_id = trash_delete(editor, "/docs/guide")
    content.add_document(node_at(dbsession, "/docs"), "guide", "Another guide", "x")
    dbsession.flush()

    form = editor.get(f"/trash/{entry_id}").forms["restore-form"]
    refused = form.submit(status=409)
    assert refused.html.select_one("#restore-conflict") is not None
    assert (
        "already holds an item named 'guide'"
        in refused.html.select_one("#restore-name-error").get_text()
    )
    assert entries(dbsession) == 1

    form = refused.forms["restore-form"]
    form["name"] = "old-guide"
    assert form.submit(status=303).location == SITE + "/docs/old-guide"


def test_restore_when_the_folder_is_gone(editor, docs, dbsession):
    people = trash_delete(editor, "/docs/team/people")
    trash_delete(editor, "/docs/team")

    page = editor.get(f"/trash/{people}")
    assert page.html.select_one("#original-gone") is not None
    form = page.forms["restore-form"]
    assert form["target"].value == ""
    refused = form.submit(status=409)
    assert "is gone" in refused.html.select_one("#restore-target-error").get_text()
    form = refused.forms["restore-form"]
    form["target"] = "/nowhere"
    refused = form.submit(status=400)
    assert "no folder you may view" in refused.html.select_one("#restore-target-error").get_text()
    form = refused.forms["restore-form"]
    form["target"] = "/target"
    assert form.submit(status=303).location == SITE + "/target/people"


def test_purge_and_empty_ask_first(editor, docs, dbsession):
    guide = trash_delete(editor, "/docs/guide")
    trash_delete(editor, "/docs/team")

    confirmation = editor.get(f"/trash/{guide}/purge")
    assert "cannot be undone" in confirmation.html.select_one("#purge-total").get_text()
    done = confirmation.forms["purge-form"].submit(status=303).follow()
    assert flashes(done) == ["“User guide” was deleted for good."]
    assert entries(dbsession) == 1
    editor.get(f"/trash/{guide}", status=404)

    empty = editor.get("/trash").click(href="/trash/empty$")
    emptied = empty.forms["empty-form"].submit(status=303).follow()
    assert flashes(emptied) == ["1 deleted item (2 with what they held) was deleted for good."]
    assert emptied.html.select_one("#trash-empty") is not None
    assert entries(dbsession) == 0


def test_filters_and_paging(editor, docs, dbsession, charter_app):
    for path in ("/docs/guide", "/docs/team/people", "/sandbox/note"):
        trash_delete(editor, path)

    def titles(**params):
        page = editor.get("/trash", params=params)
        return [a.get_text(strip=True) for a in page.html.select(".entry-title")]

    assert titles() == ["Note", "People", "User guide"]
    assert titles(path="/docs") == ["People", "User guide"]
    assert titles(type="Folder") == []
    assert titles(deleted_by="eddie", since="2000-01-01") == ["Note", "People", "User guide"]
    bad = editor.get("/trash", params={"since": "someday"}, status=400)
    assert bad.html.select_one("#filter-since-error") is not None
    assert (
        editor.get("/trash", params={"limit": "2", "path": "/docs"}).html.select_one("#next-page")
        is None
    )
    first = editor.get("/trash", params={"limit": "1"})
    older = first.click(linkid="next-page")
    assert [a.get_text(strip=True) for a in older.html.select(".entry-title")] == ["People"]


def test_an_editor_of_a_folder_may_not_delete_the_folder_itself(client, make_user, docs, dbsession):
    sandy = make_user("sandy")
    SharingService(dbsession).update(
        node_at(dbsession, "/sandbox"), {user_principal(sandy.id): ["Editor"]}
    )
    dbsession.flush()
    app = client(sandy)
    sandbox = app.get("/sandbox")
    assert sandbox.html.select_one("#delete-link") is None
    assert sandbox.html.select_one("#rename-link") is None
    app.get("/sandbox/@@delete", status=403)
    note = app.get("/sandbox/note")
    assert note.html.select_one("#delete-link") is not None
    entry = trash_delete(app, "/sandbox/note")
    assert app.get(f"/trash/{entry}").forms["restore-form"]["target"].value == "/sandbox"


def test_who_may_see_an_entry(editor, testapp, docs, dbsession):
    entry = trash_delete(editor, "/docs/guide")
    # Staff may only read: they see nothing, and the entry is "not found" to them.
    assert testapp.get("/trash").html.select(".trash-row") == []
    testapp.get(f"/trash/{entry}", status=404)
    testapp.get(f"/trash/{entry}/purge", status=404)
    assert entries(dbsession) == 1


def test_the_anonymous_go_to_the_login_page(anonymous_app, docs):
    for url in ("/trash", "/trash/1", "/trash/empty"):
        assert "/login" in anonymous_app.get(url, status=302).location


def test_forms_need_their_csrf_token(editor, docs, dbsession):
    entry = trash_delete(editor, "/docs/guide")
    for url in (f"/trash/{entry}/restore", f"/trash/{entry}/purge", "/trash/empty"):
        editor.post(url, {}, status=400)
    assert entries(dbsession) == 1


def test_legal_holds_for_administrators(admin_app, editor, docs, dbsession):
    assert editor.get("/docs").html.select_one("#node-hold-form") is None
    held = admin_app.get("/docs/guide").forms["node-hold-form"].submit(status=303).follow()
    assert held.html.select_one("#node-held") is not None
    assert node_at(dbsession, "/docs/guide").legal_hold

    entry = trash_delete(editor, "/docs")
    page = editor.get(f"/trash/{entry}")
    assert page.html.select_one("#purge-link") is None
    assert (
        "/docs/guide, inside “Docs”, is under legal hold"
        in page.html.select_one("#purge-held").get_text()
    )
    refused = editor.get(f"/trash/{entry}/purge")
    assert refused.html.select_one("#purge-refused") is not None
    csrf = editor.get(f"/trash/{entry}").forms["restore-form"]["csrf_token"].value
    editor.post(f"/trash/{entry}/purge", {"csrf_token": csrf}, status=409)
    assert entries(dbsession) == 1
    editor.post(f"/trash/{entry}/legal-hold", {"csrf_token": csrf, "legal_hold": "on"}, status=403)

    admin_page = admin_app.get(f"/trash/{entry}")
    toggled = admin_page.forms["hold-form"].submit(status=303).follow()
    assert toggled.html.select_one("#hold-toggle").get_text(strip=True) == "Lift the legal hold"
    assert flashes(toggled) == ["“Docs” is now under legal hold."]
