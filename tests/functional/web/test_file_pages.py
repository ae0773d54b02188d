"""Files in the web UI: the upload page (one or several files, all or nothing) and a file's page
(details, download, preview of images and PDF)."""

import hashlib
import os

import pytest
import transaction
import webtest
from sqlalchemy import func, select

from charter import make_configurator
from charter.audit.models import AuditEntry
from charter.content.models import File
from charter.content.registry import types_of
from charter.content.services import ContentService, Uploads
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.content import reviewed_types
from charter.testing.samples import png_image
from charter.testing.sessions import login_as
from charter.tree.models import Node

SITE = "http://example.com"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOTES = b"Minutes of the meeting.\nEveryone agreed.\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
# The limit of the app in ``small_limit``: 1 KiB.
SMALL_LIMIT = 1024


PNG = png_image(3, 2)


@pytest.fixture
def client(charter_app, db_connection):
    """Log a fresh client in as someone: ``client(user)`` (optionally on another app)."""

    def log_in(user, app=charter_app):
        testapp = webtest.TestApp(
            app,
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        )
        return login_as(testapp, user)

    return log_in


@pytest.fixture
def eddie(make_user, site_root, dbsession):
    """Eddie holds Editor on the whole site (add, edit, delete)."""
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
    """/docs holding the document /docs/guide."""
    folder = content.add_folder(site_root, "docs", "Docs")
    content.add_document(folder, "guide", "User guide", "Read this first.")
    dbsession.flush()
    return folder


@pytest.fixture
def store(charter_app):
    """The test app's blob store."""
    return charter_app.registry["charter.blobs.store"]


@pytest.fixture
def stored_file(dbsession, store, charter_app):
    """``stored_file(parent, filename, data, ...)``: a published File whose bytes are
    committed to the store (the test's database transaction is still rolled back at the
    end)."""
    types = reviewed_types(types_of(charter_app.registry))

    def make(parent, filename, data, **fields):
        manager = transaction.TransactionManager(explicit=True)
        manager.begin()
        uploads = Uploads(store, manager, max_size=1 << 20)
        node = ContentService(dbsession, types=types, uploads=uploads).upload(
            parent, _Stream(data), filename, **fields
        )
        manager.commit()  # only the blob store joined this transaction
        dbsession.flush()  # requests read through their own savepoint
        return node

    return make


class _Stream:
    """Bytes to read in chunks, like an upload's file."""

    def __init__(self, data):
        self.data = data

    def read(self, size=-1):
        chunk, self.data = (self.data, b"") if size < 0 else (self.data[:size], self.data[size:])
        return chunk


@pytest.fixture
def small_limit(charter_settings, charter_engine, client, eddie, tmp_path):
    """Eddie's client on an app accepting at most 1 KiB per file, and that app's blob store."""
    settings = {
        **charter_settings,
        "charter.blobs.max_upload_size": str(SMALL_LIMIT),
        "charter.blobs.path": str(tmp_path / "blobs"),
    }
    config = make_configurator(settings, environ={})
    yield client(eddie, config.make_wsgi_app()), config.registry["charter.blobs.store"]
    config.registry["charter.db.engine"].dispose()


def files_in(dbsession, folder_path):
    """(name, title, filename, size, mime type) of the Files directly in ``folder_path``."""
    dbsession.expire_all()
    return [
        (f.name, f.title, f.filename, f.size, f.mime_type)
        for f in dbsession.scalars(
            select(File).where(File.path.like(folder_path.rstrip("/") + "/%")).order_by(File.path)
        )
    ]


def everything_in(store):
    """Every blob and temporary upload under the store's root (not the permanent lock files)."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), store.root)
        for folder, _, names in os.walk(store.root)
        for name in names
        if os.path.relpath(folder, store.root) != "locks"
    )


def node_count(dbsession):
    """How many nodes the site has."""
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(Node))


def field_error(page, name):
    """The message shown beside the upload form's input ``name``."""
    error = page.html.select_one(f"#upload-{name}-error")
    return error.get_text(strip=True) if error else None


def flashes(page):
    """The flash messages a page shows."""
    return [message.get_text(strip=True) for message in page.html.select(".flash-message")]


def upload(app, folder, *files, status=303, **fields):
    """Fill in and send the upload form of ``folder``: ``files`` are (filename, bytes) pairs.

    Each file is declared as text/plain, whatever it holds: the server must sniff.
    """
    form = app.get(f"{folder.rstrip('/')}/@@upload").forms["upload-form"]
    form["file"] = [(name, data, "text/plain") for name, data in files]
    for name, value in fields.items():
        form[name] = value
    return form.submit(status=status)


def details(page):
    """The file facts a file's page lists, by label."""
    labels = [dt.get_text(strip=True) for dt in page.html.select("#file-details dt")]
    values = [dd.get_text(strip=True) for dd in page.html.select("#file-details dd")]
    return dict(zip(labels, values, strict=True))


# -- the upload entry -----------------------------------------------------------------


def test_the_add_menu_offers_uploading_to_those_who_may_add(editor, testapp, docs):
    link = editor.get("/docs").html.select_one("#add-menu #upload-link")

    assert link.get_text(strip=True) == "Upload files"
    assert link["href"] == SITE + "/docs/@@upload"
    # A Reader has no Add menu at all; a document holds no files.
    assert testapp.get("/docs").html.select_one("#upload-link") is None
    assert editor.get("/docs/guide").html.select_one("#upload-link") is None


def test_the_upload_form_says_the_limit(editor, docs):
    page = editor.get("/docs/@@upload")

    assert page.html.find("h1").get_text(strip=True) == "Upload files"
    assert "Each file may be up to 100 MiB." in page.html.select_one(".lead").get_text()
    file_input = page.html.select_one("#upload-form input[type=file]")
    assert (file_input["name"], file_input.has_attr("multiple")) == ("file", True)
    assert page.html.select_one("#upload-form")["enctype"] == "multipart/form-data"


# -- uploading -----------------------------------------------------------------------


def test_uploading_one_file_with_a_title(editor, eddie, docs, dbsession, store):
    answer = upload(
        editor,
        "/docs",
        ("chart.png", PNG),
        title="Sales chart",
        description="Sales per quarter.",
    )

    assert answer.location == SITE + "/docs"
    folder_page = answer.follow()
    assert flashes(folder_page) == ["File “Sales chart” was uploaded."]
    listed = [a.get_text(strip=True) for a in folder_page.html.select(".children a")]
    assert listed == ["User guide", "Sales chart"]
    # The type comes from the bytes, not from what the browser said.
    assert files_in(dbsession, "/docs") == [
        ("chart.png", "Sales chart", "chart.png", len(PNG), "image/png")
    ]
    chart = dbsession.scalars(select(File).where(File.path == "/docs/chart.png")).one()
    assert (chart.description, chart.created_by_id) == ("Sales per quarter.", eddie.id)
    assert chart.blob_sha256 == hashlib.sha256(PNG).hexdigest()
    with store.open(chart.blob_sha256) as stored:
        assert stored.read() == PNG
    audited = dbsession.scalars(
        select(AuditEntry.target).where(AuditEntry.action == "content.added")
    ).all()
    assert audited[-1] == "/docs/chart.png"


def test_uploading_several_files_at_once(editor, docs, dbsession, store):
    answer = upload(
        editor, "/docs", ("notes.txt", NOTES), ("chart.png", PNG), ("notes.txt", b"Other notes\n")
    )

    page = answer.follow()
    assert flashes(page) == ["3 files were uploaded: “notes.txt”, “chart.png”, “notes.txt”."]
    # The same file name twice gets two names in the address.
    assert files_in(dbsession, "/docs") == [
        ("chart.png", "chart.png", "chart.png", len(PNG), "image/png"),
        ("notes-2.txt", "notes.txt", "notes.txt", 12, "text/plain"),
        ("notes.txt", "notes.txt", "notes.txt", len(NOTES), "text/plain"),
    ]
    for data in (NOTES, PNG, b"Other notes\n"):
        assert store.exists(hashlib.sha256(data).hexdigest())


def test_a_file_name_with_a_path_keeps_its_last_part(editor, docs, dbsession):
    upload(editor, "/docs", ("C:\\Users\\ann\\report.pdf", PDF))

    assert files_in(dbsession, "/docs") == [
        ("report.pdf", "report.pdf", "report.pdf", len(PDF), "application/pdf")
    ]


def test_a_file_over_the_limit_keeps_none_of_the_files(small_limit, docs, dbsession):
    app, store = small_limit
    before = node_count(dbsession)

    page = upload(
        app,
        "/docs",
        ("notes.txt", NOTES),
        ("huge.bin", b"\x00" * (SMALL_LIMIT + 1)),
        status=413,
    )

    assert field_error(page, "file") == (
        "“huge.bin” is larger than the limit of 1 KiB for one file; no file was uploaded."
    )
    assert page.html.select_one("#upload-file")["aria-invalid"] == "true"
    assert node_count(dbsession) == before
    # Neither the refused file nor the one before it left bytes behind.
    assert everything_in(store) == []


def test_a_file_of_exactly_the_limit_is_accepted(small_limit, docs, dbsession):
    app, store = small_limit

    upload(app, "/docs", ("full.bin", b"\x01" * SMALL_LIMIT))

    assert files_in(dbsession, "/docs") == [
        ("full.bin", "full.bin", "full.bin", SMALL_LIMIT, "application/octet-stream")
    ]
    assert store.exists(hashlib.sha256(b"\x01" * SMALL_LIMIT).hexdigest())


def test_no_file_chosen_is_refused(editor, docs, dbsession):
    before = node_count(dbsession)

    page = upload(editor, "/docs", status=400, title="A title")

    assert field_error(page, "file") == "Choose one or more files to upload."
    assert page.forms["upload-form"]["title"].value == "A title"
    assert node_count(dbsession) == before


def test_a_title_for_several_files_is_refused_and_the_input_kept(editor, docs, dbsession, store):
    before = everything_in(store)

    page = upload(
        editor,
        "/docs",
        ("a.txt", b"first\n"),
        ("b.txt", b"second\n"),
        status=400,
        title="Both",
        description="Two files",
    )

    assert field_error(page, "title") == "A title can only be given when uploading one file."
    assert field_error(page, "description") == (
        "A description can only be given when uploading one file."
    )
    form = page.forms["upload-form"]
    assert (form["title"].value, form["description"].value) == ("Both", "Two files")
    assert files_in(dbsession, "/docs") == []
    assert everything_in(store) == before


def test_a_bad_title_is_shown_beside_it_and_nothing_is_kept(editor, docs, dbsession, store):
    before = everything_in(store)

    page = upload(editor, "/docs", ("fresh.txt", b"never stored\n"), status=400, title="x" * 501)

    assert field_error(page, "title") == "a title has at most 500 characters"
    assert files_in(dbsession, "/docs") == []
    assert everything_in(store) == before


def test_a_file_without_a_usable_name_is_refused(editor, docs, dbsession):
    page = upload(editor, "/docs", ("..", b"dots\n"), status=400)

    assert field_error(page, "file") == "the file needs a name"
    assert files_in(dbsession, "/docs") == []


def test_uploading_needs_the_add_permission(testapp, editor, docs, dbsession):
    testapp.get("/docs/@@upload", status=403)
    token = testapp.get("/docs").html.select_one("#user-menu input[name=csrf_token]")["value"]
    testapp.post(
        "/docs/@@upload",
        [("csrf_token", token), ("file", webtest.Upload("mine.txt", b"mine\n"))],
        status=403,
    )

    assert files_in(dbsession, "/docs") == []


def test_anonymous_visitors_are_sent_to_log_in(anonymous_app, docs):
    answer = anonymous_app.get("/docs/@@upload", status=302)

    assert answer.location.startswith(SITE + "/login?came_from=")


def test_an_upload_without_the_csrf_token_is_refused(editor, docs, dbsession):
    page = editor.post(
        "/docs/@@upload", [("file", webtest.Upload("forged.txt", b"forged\n"))], status=400
    )

    assert "did not come from this site" in page.text
    assert files_in(dbsession, "/docs") == []


def test_a_document_cannot_take_uploads(editor, docs):
    page = editor.get("/docs/guide/@@upload", status=409)

    assert "“User guide” is not a folder" in page.text


# -- a file's page -------------------------------------------------------------------


def test_a_file_page_shows_its_details_and_download_button(testapp, docs, stored_file, dbsession):
    stored_file(docs, "minutes.txt", NOTES * 40, title="Minutes", description="March board.")

    page = testapp.get("/docs/minutes.txt")

    assert page.content_type == "text/html"
    assert page.html.find("h1").get_text(strip=True) == "Minutes"
    assert page.html.select_one(".lead").get_text(strip=True) == "March board."
    facts = details(page)
    assert facts["File name"] == "minutes.txt"
    assert facts["Size"] == "1.6 KiB"
    assert facts["Type"] == "text/plain"
    assert facts["Modified"].endswith("UTC")
    download = page.html.select_one("#download-link")
    assert download["href"] == SITE + "/docs/minutes.txt/@@download"
    assert download.get_text(strip=True) == "Download"
    # Text is not previewed.
    assert page.html.select_one("#file-preview") is None

    bytes_ = testapp.get(download["href"])
    assert bytes_.body == NOTES * 40
    assert bytes_.headers["Content-Disposition"].startswith('attachment; filename="minutes.txt"')


def test_an_image_is_previewed(testapp, docs, stored_file):
    stored_file(docs, "chart.png", PNG, title="Chart")

    page = testapp.get("/docs/chart.png")

    image = page.html.select_one("#file-preview img")
    assert (image["src"], image["alt"]) == (SITE + "/docs/chart.png/@@download", "Chart")
    assert details(page)["Size"] == f"{len(PNG)} bytes"
    shown = testapp.get(image["src"])
    assert (shown.content_type, shown.body) == ("image/png", PNG)
    assert shown.headers["Content-Disposition"].startswith("inline")


def test_a_pdf_is_previewed_in_a_frame(testapp, docs, stored_file):
    stored_file(docs, "report.pdf", PDF)

    page = testapp.get("/docs/report.pdf")

    frame = page.html.select_one("#file-preview iframe")
    assert frame["src"] == SITE + "/docs/report.pdf/@@download"
    assert frame["title"] == "report.pdf (PDF)"
    # The page's policy lets it frame its own site's downloads, and the download can be framed.
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    framed = testapp.get(frame["src"])
    assert framed.content_type == "application/pdf"
    assert framed.headers["Content-Disposition"].startswith("inline")
    assert "X-Frame-Options" not in framed.headers


def test_an_image_type_off_the_inline_list_is_not_previewed(testapp, docs, stored_file):
    stored_file(docs, "drawing.svg", SVG)

    page = testapp.get("/docs/drawing.svg")

    assert details(page)["Type"] == "image/svg+xml"
    assert page.html.select_one("#download-link") is not None
    assert page.html.select_one("#file-preview") is None


def test_only_the_inline_types_are_previewed(
    charter_settings, charter_engine, client, staff_user, docs, stored_file
):
    stored_file(docs, "chart.png", PNG)
    stored_file(docs, "report.pdf", PDF)
    settings = {**charter_settings, "charter.blobs.inline_types": "image/gif"}
    config = make_configurator(settings, environ={})
    try:
        app = client(staff_user, config.make_wsgi_app())
        for path in ("/docs/chart.png", "/docs/report.pdf"):
            page = app.get(path)
            assert page.html.select_one("#download-link") is not None
            assert page.html.select_one("#file-preview") is None
    finally:
        config.registry["charter.db.engine"].dispose()


def test_a_file_page_offers_the_editing_actions_of_its_role(editor, testapp, docs, stored_file):
    stored_file(docs, "notes.txt", NOTES)

    actions = editor.get("/docs/notes.txt").html
    assert actions.select_one("#edit-link")["href"] == SITE + "/docs/notes.txt/@@edit"
    assert actions.select_one("#delete-link") is not None
    assert actions.select_one("#add-menu") is None
    assert testapp.get("/docs/notes.txt").html.select_one("#edit-link") is None


def test_a_file_is_listed_in_its_folder(testapp, docs, stored_file):
    stored_file(docs, "notes.txt", NOTES, title="Notes")

    page = testapp.get("/docs")

    items = {
        item.select_one("a").get_text(strip=True): item.select_one(".badge").get_text(strip=True)
        for item in page.html.select(".children li")
    }
    assert items == {"User guide": "Document", "Notes": "File"}


def test_a_file_page_in_json_when_asked(testapp, docs, stored_file):
    stored_file(docs, "notes.txt", NOTES)

    answer = testapp.get("/docs/notes.txt", headers={"Accept": "application/json"})

    assert answer.json["filename"] == "notes.txt"
    assert answer.json["mime_type"] == "text/plain"
    assert "Accept" in answer.headers["Vary"]
    # A client that takes either gets what it prefers, as for folders and documents.
    preferred = testapp.get(
        "/docs/notes.txt", headers={"Accept": "application/json, text/html;q=0.5"}
    )
    assert preferred.content_type == "application/json"
    preferred = testapp.get(
        "/docs/notes.txt", headers={"Accept": "text/html, application/json;q=0.5"}
    )
    assert preferred.content_type == "text/html"


def test_a_file_someone_may_not_view_is_not_found(client, make_user, docs, stored_file, dbsession):
    secret = stored_file(docs, "secret.txt", b"hidden\n")
    SharingService(dbsession).update(secret, {}, inherit=False)
    dbsession.flush()
    outsider = client(make_user("olga"))

    outsider.get("/docs/secret.txt", status=404)
    outsider.get("/docs/secret.txt/@@download", status=404)


def test_a_file_page_and_its_download_cost_what_a_document_costs(
    testapp, docs, stored_file, query_recorder
):
    stored_file(docs, "chart.png", PNG)

    with query_recorder.record() as page_queries:
        testapp.get("/docs/chart.png")
    with query_recorder.record() as download_queries:
        testapp.get("/docs/chart.png/@@download")
    with query_recorder.record() as document_queries:
        testapp.get("/docs/guide")

    # The lineage (with the file's own columns) and the identity: one query each;
    # a page also shows the folder tree beside it (one query), a download does not.
    assert len(page_queries) == len(document_queries) == 2 + 1
    assert len(download_queries) == 2
