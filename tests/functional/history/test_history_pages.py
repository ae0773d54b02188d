"""The history in the web UI: the History tab, a version's page, what changed, restoring a
version, the edit form's comment and a file's "Upload a new version"."""

import hashlib

import pytest
import webtest
from sqlalchemy import select

from charter import make_configurator
from charter.content.models import File
from charter.content.registry import types_of
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.history.models import Revision
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.sessions import login_as
from charter.tree.models import Node
from charter.workflow.services import WorkflowService

SITE = "http://example.com"
FIRST = b"First draft of the report.\n"
SECOND = b"Second draft: better.\n"


@pytest.fixture
def docs(site_root, content, make_user, dbsession):
    """/docs holding /docs/guide; /private, which only the board may view."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "one\ntwo\nthree", "How to.")
    private = content.add_folder(site_root, "private", "Private")
    content.add_document(private, "plans", "Plans", "secret")
    SharingService(dbsession).update(private, {"group:board": ["Editor"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return docs


@pytest.fixture
def editor(client, make_user, docs, dbsession):
    """WebTest logged in as ``editor``, Editor on /docs."""
    user = make_user("editor", "Eve Editor")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    return client(user)


@pytest.fixture
def reader(testapp, docs):
    """WebTest logged in as ``staff``, who may only read /docs."""
    return testapp


def save(app, path, comment="", status=None, **fields):
    """Fill in and send the edit form of ``path``; the response."""
    form = app.get(f"{path}/@@edit").forms["edit-form"]
    for name, value in fields.items():
        form[name] = value
    form["@comment"] = comment
    return form.submit(status=status)


@pytest.fixture
def edited(editor):
    """/docs/guide saved twice through the edit form: versions 1, 2 and 3."""
    save(editor, "/docs/guide", "a number", body="one\n2 and more\nthree").follow()
    save(editor, "/docs/guide", title="The guide").follow()


def revisions_of(dbsession, path):
    """(number, comment, author) of the stored revisions of the node at ``path``."""
    dbsession.expire_all()
    node_id = dbsession.scalar(select(Node.id).where(Node.path == path))
    return [
        (revision.number, revision.comment, revision.author_login)
        for revision in dbsession.scalars(
            select(Revision).where(Revision.node_id == node_id).order_by(Revision.number)
        )
    ]


def node_at(dbsession, path):
    dbsession.expire_all()
    return dbsession.scalars(select(Node).where(Node.path == path)).one()


def texts(page, selector):
    """The text of each element ``selector`` finds in a page (or a part of one), spaces tidied."""
    tree = page.html if isinstance(page, webtest.TestResponse) else page
    return [" ".join(element.get_text().split()) for element in tree.select(selector)]


# -- the edit form's comment ------------------------------------------------------------


def test_the_edit_form_records_its_comment(editor, edited, dbsession):
    assert revisions_of(dbsession, "/docs/guide") == [
        (1, "", "system"),
        (2, "a number", "editor"),
        (3, "", "editor"),
    ]


def test_a_bad_comment_is_shown_beside_its_input_and_nothing_is_kept(editor, docs, dbsession):
    page = save(editor, "/docs/guide", "x" * 501, status=400, title="Changed")

    assert "has at most 500 characters" in page.html.select_one("#edit-revision-comment-error").text
    assert page.html.select_one("#edit-revision-comment")["value"] == "x" * 501
    assert page.html.select_one("#edit-title")["value"] == "Changed"
    assert not page.html.select(".form-error")
    assert node_at(dbsession, "/docs/guide").title == "Guide"


# -- the History tab and page --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/docs", "/docs/guide"])
def test_every_node_page_has_a_history_tab_even_for_readers(reader, path):
    page = reader.get(path)

    link = page.html.select_one("#history-tab")
    assert link["href"] == f"{SITE}{path.rstrip('/')}/@@history"


def test_the_history_page_lists_the_versions_newest_first(reader, edited):
    page = reader.get("/docs/guide/@@history")

    rows = page.html.select("tr.revision-row")
    assert [row["data-number"] for row in rows] == ["3", "2", "1"]
    assert "current" in rows[0].text
    assert "current-revision" in rows[0]["class"]
    assert "a number" in rows[1].text
    assert "by editor" in rows[1].text
    assert rows[1].select_one(".changes-link")["href"] == f"{SITE}/docs/guide/@@diff?from=1&to=2"
    assert page.html.select_one('input[name="to"][checked]')["value"] == "3"
    assert page.html.select_one('input[name="from"][checked]')["value"] == "2"
    compare = page.forms["compare-form"]
    assert compare.action == f"{SITE}/docs/guide/@@diff"
    compared = compare.submit()
    assert compared.request.path == "/docs/guide/@@diff"
    assert (compared.request.GET["from"], compared.request.GET["to"]) == ("2", "3")


def test_the_history_page_is_paged(reader, edited):
    first = reader.get("/docs/guide/@@history?limit=2")
    second = first.click(linkid="older-versions")

    assert [row["data-number"] for row in first.html.select("tr.revision-row")] == ["3", "2"]
    assert second.request.url == f"{SITE}/docs/guide/@@history?after=2&limit=2"
    assert [row["data-number"] for row in second.html.select("tr.revision-row")] == ["1"]
    assert second.html.select_one("#older-versions") is None


@pytest.mark.parametrize("query", ["after=abc", "after=0", "limit=0", "limit=1000"])
def test_a_bad_page_of_the_history_is_a_400(reader, edited, query):
    reader.get(f"/docs/guide/@@history?{query}", status=400)


def test_a_hidden_node_has_no_history_page(reader, docs):
    for path in (
        "/private/plans/@@history",
        "/private/plans/@@history/1",
        "/private/plans/@@diff?from=1&to=1",
    ):
        reader.get(path, status=404)


def test_the_anonymous_are_sent_to_log_in(anonymous_app, docs):
    response = anonymous_app.get("/docs/guide/@@history", status=302)

    assert response.location.startswith(f"{SITE}/login")


# -- a version's page -------------------------------------------------------------------------


def test_a_version_page_shows_its_fields(reader, edited):
    page = reader.get("/docs/guide/@@history/2")

    assert page.html.select_one("h1").text == "Version 2 of “The guide”"
    assert "by editor" in page.html.select_one("#revision-meta").text
    assert page.html.select_one("#revision-comment").text == "“a number”"
    fields = dict(
        zip(texts(page, "#revision-fields dt"), texts(page, "#revision-fields dd"), strict=True)
    )
    assert fields == {"Title": "Guide", "Description": "How to.", "Body": "one 2 and more three"}
    assert page.html.select_one("#current-diff")["href"] == f"{SITE}/docs/guide/@@diff?from=2&to=3"
    # Readers may look, not restore.
    assert page.html.select_one("#restore-form") is None


def test_the_current_version_offers_no_restore(editor, edited):
    page = editor.get("/docs/guide/@@history/3")

    assert "current" in page.html.select_one("#revision-meta").text
    assert page.html.select_one("#restore-form") is None
    assert editor.get("/docs/guide/@@history/2").html.select_one("#restore-form") is not None


@pytest.mark.parametrize("number", ["4", "0", "abc", "99999999999999999999", "1/extra"])
def test_a_version_that_does_not_exist_is_a_404(reader, edited, number):
    reader.get(f"/docs/guide/@@history/{number}", status=404)


# -- what changed ---------------------------------------------------------------------------


def test_the_diff_page_marks_what_changed(reader, edited):
    page = reader.get("/docs/guide/@@diff?from=1&to=3")

    sections = {section["data-field"]: section for section in page.html.select(".diff-field")}
    assert sorted(sections) == ["body", "title"]
    assert texts(sections["title"], ".diff-old") == ["Guide"]
    assert texts(sections["title"], ".diff-new") == ["The guide"]
    body = sections["body"]
    assert [row["class"][1] for row in body.select("tr.diff-line")] == [
        "diff-context",
        "diff-removed",
        "diff-added",
        "diff-context",
    ]
    assert [span.text for span in body.select(".diff-removed .diff-change")] == ["two"]
    assert [span.text for span in body.select(".diff-added .diff-change")] == ["2 and more"]
    assert body.select_one(".diff-hunk").text == "@@ -1,3 +1,3 @@"
    assert "Unchanged: Description." in page.html.select_one("#unchanged-fields").text


def test_the_diff_of_a_version_with_itself_says_nothing_changed(reader, edited):
    page = reader.get("/docs/guide/@@diff?from=2&to=2")

    assert page.html.select_one("#no-changes") is not None
    assert page.html.select(".diff-field") == []


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("from=1&to=9", 404),
        ("from=9&to=1", 404),
        ("from=1", 400),
        ("to=1", 400),
        ("from=x&to=1", 400),
        ("from=1&to=-1", 400),
        ("from=1&to=%C2%B2", 400),
    ],
)
def test_a_bad_diff_request_is_refused(reader, edited, query, status):
    reader.get(f"/docs/guide/@@diff?{query}", status=status)


# -- restoring -----------------------------------------------------------------------------


def test_restoring_a_version_makes_it_current_as_a_new_version(editor, edited, dbsession):
    form = editor.get("/docs/guide/@@history/1").forms["restore-form"]
    form["comment"] = "back to the start"

    page = form.submit().follow()

    assert page.request.url == f"{SITE}/docs/guide"
    assert texts(page, ".flash-message") == ["Version 1 of “Guide” was restored."]
    guide = node_at(dbsession, "/docs/guide")
    assert (guide.title, guide.body, guide.version) == ("Guide", "one\ntwo\nthree", 4)
    assert revisions_of(dbsession, "/docs/guide")[-1] == (4, "back to the start", "editor")


def test_restoring_what_changed_meanwhile_asks_again(editor, edited, content, dbsession):
    form = editor.get("/docs/guide/@@history/1").forms["restore-form"]
    guide = node_at(dbsession, "/docs/guide")
    content.update(guide, {"title": "Someone else's"}, 3)
    dbsession.flush()  # requests read through their own savepoint

    page = form.submit(status=409)

    assert "it is now at version 4" in page.html.select_one("#changed-meanwhile").text
    assert page.html.select_one("#restore-button").text == "Restore this version anyway"
    assert node_at(dbsession, "/docs/guide").title == "Someone else's"
    again = page.forms["restore-form"]
    assert again["version"].value == "4"
    again.submit().follow()
    assert node_at(dbsession, "/docs/guide").title == "Guide"


def test_a_bad_restore_comment_is_shown_beside_its_input(editor, edited, dbsession):
    form = editor.get("/docs/guide/@@history/1").forms["restore-form"]
    form["comment"] = "y" * 501

    page = form.submit(status=400)

    assert "500 characters" in page.html.select_one("#restore-comment-error").text
    assert page.html.select_one("#restore-comment")["value"] == "y" * 501
    assert node_at(dbsession, "/docs/guide").version == 3


def test_restoring_needs_edit_the_csrf_token_and_a_real_version(editor, reader, edited, dbsession):
    form = editor.get("/docs/guide/@@history/1").forms["restore-form"]
    token = form["csrf_token"].value

    reader.post("/docs/guide/@@history/1/restore", {"version": "3"}, status=403)
    editor.post("/docs/guide/@@history/1/restore", {"version": "3"}, status=400)
    editor.post(
        "/docs/guide/@@history/1/restore", {"version": "x", "csrf_token": token}, status=400
    )
    editor.post(
        "/docs/guide/@@history/9/restore", {"version": "3", "csrf_token": token}, status=404
    )
    reader.post("/private/plans/@@history/1/restore", {"version": "1"}, status=404)

    assert node_at(dbsession, "/docs/guide").version == 3


# -- a file's new version --------------------------------------------------------------------


@pytest.fixture
def report(editor, docs):
    """/docs/report.txt, uploaded through the upload form."""
    form = editor.get("/docs/@@upload").forms["upload-form"]
    form["file"] = [("report.txt", FIRST, "text/plain")]
    form.submit().follow()


def test_an_editor_uploads_a_new_version_of_a_file(editor, report, dbsession):
    page = editor.get("/docs/report.txt")
    form = page.click(linkid="replace-link").forms["replace-form"]
    form["file"] = webtest.Upload("report-v2.txt", SECOND, "text/plain")
    form["comment"] = "second draft"

    done = form.submit().follow()

    assert texts(done, ".flash-message") == ["A new version of “report.txt” was uploaded."]
    node = node_at(dbsession, "/docs/report.txt")
    assert (node.blob_sha256, node.filename) == (
        hashlib.sha256(SECOND).hexdigest(),
        "report-v2.txt",
    )
    assert revisions_of(dbsession, "/docs/report.txt")[-1] == (2, "second draft", "editor")
    history = editor.get("/docs/report.txt/@@history")
    downloads = [link["href"] for link in history.html.select(".revision-download")]
    assert downloads == [
        f"{SITE}/docs/report.txt/@@history/2/download",
        f"{SITE}/docs/report.txt/@@history/1/download",
    ]
    assert editor.get(downloads[1]).body == FIRST
    version_page = editor.get("/docs/report.txt/@@history/1")
    assert editor.get(version_page.html.select_one("#revision-download")["href"]).body == FIRST


def test_readers_are_not_offered_a_new_version(reader, editor, report, dbsession, charter_app):
    # Published, so that the reader sees it (a private file is not found by readers).
    WorkflowService(dbsession, types_of(charter_app.registry)).advance(
        node_at(dbsession, "/docs/report.txt"), "published"
    )
    dbsession.flush()  # requests read through their own savepoint
    assert reader.get("/docs/report.txt").html.select_one("#replace-link") is None
    reader.get("/docs/report.txt/@@replace", status=403)


def test_a_new_version_over_a_changed_file_is_refused(editor, report, dbsession, content):
    form = editor.get("/docs/report.txt/@@replace").forms["replace-form"]
    node = node_at(dbsession, "/docs/report.txt")
    content.update(node, {"title": "Renamed meanwhile"}, 1)
    dbsession.flush()  # requests read through their own savepoint
    form["file"] = webtest.Upload("report.txt", SECOND, "text/plain")

    page = form.submit(status=409)

    assert "now at version 2" in page.html.select_one("#changed-meanwhile").text
    assert page.forms["replace-form"]["version"].value == "2"
    assert node_at(dbsession, "/docs/report.txt").blob_sha256 == hashlib.sha256(FIRST).hexdigest()


def test_a_new_version_needs_a_file(editor, report, dbsession):
    form = editor.get("/docs/report.txt/@@replace").forms["replace-form"]

    page = form.submit(status=400)

    assert "Choose the new file." in page.html.select_one("#replace-file-error").text
    assert node_at(dbsession, "/docs/report.txt").version == 1


def test_a_document_has_no_new_version_form(editor, docs):
    editor.get("/docs/guide/@@replace", status=404)


@pytest.fixture
def small_limit_editor(charter_settings, charter_engine, db_connection, make_user, docs, dbsession):
    """The editor on an app that takes uploads of at most 16 bytes."""
    config = make_configurator(
        {**charter_settings, "charter.blobs.max_upload_size": "16"}, environ={}
    )
    user = make_user("small", "Small Editor")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    app = webtest.TestApp(
        config.make_wsgi_app(),
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    yield login_as(app, user)
    config.registry["charter.db.engine"].dispose()


def test_a_new_version_over_the_limit_is_refused(small_limit_editor, dbsession):
    upload = small_limit_editor.get("/docs/@@upload").forms["upload-form"]
    upload["file"] = [("tiny.txt", b"tiny", "text/plain")]
    upload.submit().follow()
    form = small_limit_editor.get("/docs/tiny.txt/@@replace").forms["replace-form"]
    form["file"] = webtest.Upload("big.txt", b"x" * 17, "text/plain")

    page = form.submit(status=413)

    assert "larger than the limit of 16 bytes" in page.html.select_one("#replace-file-error").text
    assert dbsession.scalars(select(File.size).where(File.path == "/docs/tiny.txt")).one() == 4
