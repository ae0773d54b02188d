"""Files through the API: uploading (multipart or a raw body), the size limit, and downloading
(ETag, Last-Modified, Range, Content-Disposition) from ``…/@download`` and ``…/@@download``."""

import hashlib
import io
import os
import re
import zipfile
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

import pytest
import webtest
from sqlalchemy import func, select

from charter import make_configurator
from charter.content.events import ObjectAdded
from charter.content.models import File
from charter.content.registry import types_of
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.testing.samples import png_image
from charter.workflow.services import WorkflowService

SITE = "http://example.com"
API = "/api/v1/content"
SMALL_LIMIT = 1024
# A body far larger than anything worth copying in advance (never held in memory here).
HUGE_BODY = 10 * 1024 * 1024
NOTES = b"Minutes of the meeting.\nEveryone agreed.\n"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def zip_archive():
    """A ZIP archive holding one text file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


PNG = png_image(3, 2)


@pytest.fixture
def docs(site_root, content, make_user, dbsession):
    """/docs holding /docs/guide (a document); /private, which only the board may view."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "How to.")
    private = content.add_folder(site_root, "private", "Private")
    SharingService(dbsession).update(private, {"group:board": ["Editor"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return docs


@pytest.fixture
def editor(make_user, docs, dbsession):
    """Editor on /docs, Reader elsewhere."""
    user = make_user("editor", "Eve Editor")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    return user


@pytest.fixture
def as_editor(bearer, editor):
    """The editor's read-write token."""
    return bearer(editor)


@pytest.fixture(autouse=True)
def no_stored_secret_in_any_response(monkeypatch):
    """The API tests' check that no password or token hash leaks, made on the raw bytes:
    a download need not be text."""
    send = webtest.TestApp.do_request

    def send_and_check(app, request, status=None, expect_errors=None):
        response = send(app, request, status=status, expect_errors=expect_errors)
        for secret in (b"password_hash", b"token_hash", b"$argon2"):
            assert secret not in response.body, f"{secret} in {request.method} {request.url}"
        return response

    monkeypatch.setattr(webtest.TestApp, "do_request", send_and_check)


@pytest.fixture
def app(anonymous_app):
    """The API client; each request says who it is with a token header."""
    return anonymous_app


@pytest.fixture
def store(charter_app):
    """The test app's blob store."""
    return charter_app.registry["charter.blobs.store"]


@pytest.fixture
def custom_app(charter_settings, charter_engine, db_connection, tmp_path):
    """``custom_app(settings=None, on_added=None)``: another app on the test database with its
    own blob folder (``on_added`` subscribes to ObjectAdded); returns the WebTest app and its
    blob store."""
    configs = []

    def build(settings=None, on_added=None):
        config = make_configurator(
            {**charter_settings, "charter.blobs.path": str(tmp_path / "blobs"), **(settings or {})},
            environ={},
        )
        if on_added is not None:
            config.add_subscriber(on_added, ObjectAdded)
            config.commit()
        configs.append(config)
        app = webtest.TestApp(
            config.make_wsgi_app(),
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        )
        return app, config.registry["charter.blobs.store"]

    yield build
    for config in configs:
        config.registry["charter.db.engine"].dispose()


def everything_in(store):
    """Every blob and temporary upload under the store's root (not the permanent lock files)."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), store.root)
        for folder, _, names in os.walk(store.root)
        for name in names
        if os.path.relpath(folder, store.root) != "locks"
    )


def file_count(dbsession):
    """How many Files the site holds."""
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(File))


def file_at(dbsession, path):
    """The File at ``path`` as the database now has it, or None."""
    dbsession.expire_all()
    return dbsession.scalars(select(File).where(File.path == path)).one_or_none()


def post_raw(app, folder, data, headers, status=201, query="", content_type="text/plain"):
    """POST ``data`` as the raw body of an upload into ``folder``."""
    return app.post(
        f"{API}{folder}{query}",
        data,
        headers={"Content-Type": content_type, **headers},
        status=status,
    )


def post_multipart(app, folder, headers, filename, data, status=201, **fields):
    """POST a multipart form with ``data`` in its ``file`` field (declared as text/plain)."""
    return app.post(
        f"{API}{folder}",
        list(fields.items()),
        headers=headers,
        upload_files=[("file", filename, data, "text/plain")],
        status=status,
    )


class RecordingStream:
    """A request body that records how many bytes were read from it."""

    def __init__(self, size, fill=b"x"):
        self.remaining = size
        self.fill = fill
        self.bytes_read = 0

    def read(self, size=-1):
        wanted = self.remaining if size is None or size < 0 else min(size, self.remaining)
        self.remaining -= wanted
        self.bytes_read += wanted
        return self.fill * wanted

    def readline(self, size=-1):
        return self.read(size)

    def readlines(self, hint=-1):
        return [self.read()]

    def __iter__(self):
        return iter([self.read()])


def send_streamed(app, path, stream, headers, status, content_length=None):
    """POST a body read from ``stream`` through ``app``; without ``content_length`` it is sent
    chunked."""
    request = webtest.TestRequest.blank(
        path, method="POST", environ=dict(app.extra_environ), headers=headers
    )
    request.environ["wsgi.input"] = stream
    if content_length is None:
        # What a server hands on for a chunked request: no length, an input that ends.
        request.environ.pop("CONTENT_LENGTH", None)
        request.environ["wsgi.input_terminated"] = True
    else:
        request.environ["CONTENT_LENGTH"] = str(content_length)
    return app.do_request(request, status=status)


# -- uploading ------------------------------------------------------------------------


def test_multipart_upload_creates_a_file_with_a_sniffed_type(
    app, as_editor, editor, docs, dbsession, store
):
    answer = post_multipart(app, "/docs", as_editor, "chart.png", PNG)

    assert answer.location == SITE + API + "/docs/chart.png"
    assert answer.headers["ETag"] == '"1"'
    body = answer.json
    assert body["@type"] == "File"
    assert body["@id"] == answer.location
    assert (body["name"], body["title"]) == ("chart.png", "chart.png")
    # Declared text/plain; the bytes say PNG.
    assert (body["filename"], body["size"], body["mime_type"]) == (
        "chart.png",
        len(PNG),
        "image/png",
    )
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    chart = file_at(dbsession, "/docs/chart.png")
    assert (chart.mime_type, chart.size, chart.created_by_id) == ("image/png", len(PNG), editor.id)
    with store.open(chart.blob_sha256) as stored:
        assert stored.read() == PNG


def test_multipart_upload_takes_a_name_and_a_title(app, as_editor, docs, dbsession):
    answer = post_multipart(
        app, "/docs", as_editor, "q1.pdf", PDF, name="report-q1", title="First quarter"
    )

    assert answer.location == SITE + API + "/docs/report-q1"
    assert (answer.json["title"], answer.json["mime_type"]) == ("First quarter", "application/pdf")
    assert file_at(dbsession, "/docs/report-q1").filename == "q1.pdf"


def test_raw_body_upload_named_by_slug(app, as_editor, docs, dbsession, store):
    answer = post_raw(app, "/docs", PNG, {**as_editor, "Slug": "diagram.png"})

    assert answer.location == SITE + API + "/docs/diagram.png"
    assert (answer.json["filename"], answer.json["mime_type"]) == ("diagram.png", "image/png")
    assert store.exists(file_at(dbsession, "/docs/diagram.png").blob_sha256)


def test_raw_body_upload_named_by_query(app, as_editor, docs, dbsession):
    answer = post_raw(app, "/docs", NOTES, as_editor, query="?name=notes.txt&title=Notes")

    assert answer.location == SITE + API + "/docs/notes.txt"
    assert (answer.json["title"], answer.json["mime_type"]) == ("Notes", "text/plain")


def test_a_raw_body_without_a_file_name_is_refused(app, as_editor, docs, dbsession):
    answer = post_raw(app, "/docs", NOTES, as_editor, status=400)

    assert_problem(answer, 400, "/filename")
    assert file_count(dbsession) == 0


def test_a_form_without_a_file_field_is_refused(app, as_editor, docs, dbsession):
    answer = app.post(
        f"{API}/docs",
        [("title", "No file")],
        headers=as_editor,
        content_type="multipart/form-data",
        status=400,
    )

    assert_problem(answer, 400, "/file")
    assert file_count(dbsession) == 0


def test_a_reader_may_not_upload(app, bearer, staff_user, docs, dbsession):
    answer = post_raw(app, "/docs", NOTES, {**bearer(staff_user), "Slug": "a.txt"}, status=403)

    assert_problem(answer, 403)
    assert file_count(dbsession) == 0


# -- the size limit -------------------------------------------------------------------


def test_over_the_limit_is_413_and_writes_nothing(custom_app, bearer, editor, docs, dbsession):
    app, store = custom_app({"charter.blobs.max_upload_size": str(SMALL_LIMIT)})

    answer = post_raw(
        app, "/docs", b"\x00" * (SMALL_LIMIT + 1), {**bearer(editor), "Slug": "big.bin"}, 413
    )

    problem = assert_problem(answer, 413)
    assert re.search(r"larger than the limit of (1 KiB|1024 bytes)", problem["detail"])
    assert file_count(dbsession) == 0
    assert everything_in(store) == []


def test_a_multipart_file_over_the_limit_is_413(custom_app, bearer, editor, docs, dbsession):
    app, store = custom_app({"charter.blobs.max_upload_size": str(SMALL_LIMIT)})

    answer = post_multipart(app, "/docs", bearer(editor), "big.bin", b"\x01" * 2000, status=413)

    assert_problem(answer, 413)
    assert file_count(dbsession) == 0
    assert everything_in(store) == []


def test_exactly_the_limit_is_accepted(custom_app, bearer, editor, docs, dbsession):
    app, store = custom_app({"charter.blobs.max_upload_size": str(SMALL_LIMIT)})

    answer = post_raw(app, "/docs", b"\x02" * SMALL_LIMIT, {**bearer(editor), "Slug": "full.bin"})

    assert answer.json["size"] == SMALL_LIMIT
    assert store.exists(hashlib.sha256(b"\x02" * SMALL_LIMIT).hexdigest())


def test_a_content_length_over_the_limit_is_refused_before_reading(
    custom_app, bearer, editor, docs, dbsession
):
    app, store = custom_app({"charter.blobs.max_upload_size": str(SMALL_LIMIT)})
    body = RecordingStream(HUGE_BODY)
    headers = {**bearer(editor), "Slug": "big.bin", "Content-Type": "application/octet-stream"}

    answer = send_streamed(app, f"{API}/docs", body, headers, status=413, content_length=HUGE_BODY)

    assert_problem(answer, 413)
    assert body.bytes_read == 0
    assert file_count(dbsession) == 0
    assert everything_in(store) == []


def test_a_chunked_upload_stops_reading_past_the_limit(custom_app, bearer, editor, docs, dbsession):
    app, store = custom_app({"charter.blobs.max_upload_size": str(SMALL_LIMIT)})
    body = RecordingStream(HUGE_BODY)
    headers = {**bearer(editor), "Slug": "big.bin", "Content-Type": "application/octet-stream"}

    answer = send_streamed(app, f"{API}/docs", body, headers, status=413)

    assert "larger than the limit of 1 KiB" in assert_problem(answer, 413)["detail"]
    # One byte past the limit proves it; the rest of the body is never read.
    assert body.bytes_read <= SMALL_LIMIT + 1
    assert file_count(dbsession) == 0
    assert everything_in(store) == []


# -- failed requests keep no bytes ----------------------------------------------------


def test_an_upload_whose_request_fails_keeps_no_blob(app, as_editor, docs, dbsession, store):
    data = b"bytes of an upload that is refused after they were written\n"
    before = everything_in(store)

    # The name is taken: the bytes were already written when the request failed.
    answer = post_raw(app, "/docs", data, as_editor, status=409, query="?name=guide")

    assert_problem(answer, 409)
    assert everything_in(store) == before
    assert not store.exists(hashlib.sha256(data).hexdigest())
    assert file_count(dbsession) == 0


def test_a_subscriber_failing_after_the_upload_keeps_no_blob(
    custom_app, bearer, editor, docs, dbsession
):
    def refuse(event):
        raise RuntimeError("an add-on's subscriber failed")

    app, store = custom_app(on_added=refuse)

    answer = post_raw(app, "/docs", NOTES, {**bearer(editor), "Slug": "notes.txt"}, status=500)

    assert_problem(answer, 500)
    assert file_count(dbsession) == 0
    assert everything_in(store) == []


# -- downloading ----------------------------------------------------------------------


@pytest.fixture
def uploaded(app, as_editor, docs, dbsession):
    """``uploaded(filename, data)``: a File uploaded by the editor; returns its row."""

    def upload(filename, data):
        answer = post_multipart(app, "/docs", as_editor, filename, data)
        return file_at(dbsession, answer.json["path"])

    return upload


@pytest.fixture
def publish(dbsession, charter_app):
    """``publish(node)``: takes ``node`` to ``published`` (an upload starts private, found by
    its editors only), as an editor would before readers look."""

    def advance(node):
        WorkflowService(dbsession, types_of(charter_app.registry)).advance(node, "published")
        dbsession.flush()  # requests read through their own savepoint
        return node

    return advance


@pytest.fixture
def big_notes(uploaded):
    """A text file of a few KiB, and its bytes."""
    data = b"".join(b"line %04d of the notes\n" % number for number in range(300))
    return uploaded("notes.txt", data), data


@pytest.mark.parametrize("view", ["/@download", "/@@download"])
def test_a_download_streams_the_exact_bytes_with_validators(
    app, bearer, staff_user, big_notes, publish, view
):
    notes, data = big_notes
    notes = publish(notes)
    prefix = API if view == "/@download" else ""

    answer = app.get(f"{prefix}/docs/notes.txt{view}", headers=bearer(staff_user))

    assert answer.body == data
    assert answer.content_type == "text/plain"
    assert answer.headers["Content-Length"] == str(len(data))
    assert answer.headers["ETag"] == f'"{notes.blob_sha256}"'
    assert parsedate_to_datetime(answer.headers["Last-Modified"]) == notes.modified.replace(
        microsecond=0
    )
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
    )


def test_a_head_request_gives_the_headers_without_the_bytes(app, as_editor, big_notes):
    notes, data = big_notes

    answer = app.head(f"{API}/docs/notes.txt/@download", headers=as_editor)

    assert answer.body == b""
    assert answer.headers["Content-Length"] == str(len(data))
    assert answer.headers["ETag"] == f'"{notes.blob_sha256}"'


@pytest.mark.parametrize(
    ("byte_range", "start", "end"),
    [("bytes=0-9", 0, 9), ("bytes=100-199", 100, 199), ("bytes=-15", None, None)],
)
def test_a_range_request_gets_206_with_that_part(app, as_editor, big_notes, byte_range, start, end):
    _, data = big_notes
    if start is None:  # the last 15 bytes
        start, end = len(data) - 15, len(data) - 1

    answer = app.get(
        f"{API}/docs/notes.txt/@download", headers={**as_editor, "Range": byte_range}, status=206
    )

    assert answer.body == data[start : end + 1]
    assert answer.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert answer.headers["Content-Length"] == str(end + 1 - start)


def test_a_range_past_the_end_is_416(app, as_editor, big_notes):
    _, data = big_notes

    answer = app.get(
        f"{API}/docs/notes.txt/@download",
        headers={**as_editor, "Range": f"bytes={len(data) + 10}-"},
        status=416,
    )

    assert answer.headers["Content-Range"] == f"bytes */{len(data)}"


def test_a_range_with_a_stale_if_range_gets_the_whole_file(app, as_editor, big_notes):
    _, data = big_notes

    answer = app.get(
        f"{API}/docs/notes.txt/@download",
        headers={**as_editor, "Range": "bytes=0-9", "If-Range": '"an-older-version"'},
        status=200,
    )

    assert answer.body == data


def test_if_none_match_with_the_etag_is_304(app, as_editor, big_notes):
    notes, _ = big_notes

    answer = app.get(
        "/docs/notes.txt/@@download",
        headers={**as_editor, "If-None-Match": f'"{notes.blob_sha256}"'},
        status=304,
    )

    assert answer.body == b""
    other = app.get(
        "/docs/notes.txt/@@download", headers={**as_editor, "If-None-Match": '"something-else"'}
    )
    assert other.status_int == 200


@pytest.mark.parametrize(
    ("filename", "data", "mime_type", "disposition"),
    [
        ("notes.txt", NOTES, "text/plain", "attachment"),
        ("archive.zip", zip_archive(), "application/zip", "attachment"),
        ("page.html", HTML, "text/html", "attachment"),
        ("drawing.svg", SVG, "image/svg+xml", "attachment"),
        ("chart.png", PNG, "image/png", "inline"),
        ("report.pdf", PDF, "application/pdf", "inline"),
    ],
)
def test_only_the_inline_types_are_shown_in_the_browser(
    app, as_editor, uploaded, filename, data, mime_type, disposition
):
    node = uploaded(filename, data)

    answer = app.get(f"{API}{node.path}/@download", headers=as_editor)

    assert answer.content_type == mime_type
    assert answer.headers["Content-Disposition"].startswith(f'{disposition}; filename="{filename}"')
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_unicode_file_name_is_kept_and_sent_safely(app, as_editor, uploaded):
    node = uploaded("Grüße 😀.txt", NOTES)

    answer = app.get(f"{API}{node.path}/@download", headers=as_editor)

    assert node.filename == "Grüße 😀.txt"
    header = answer.headers["Content-Disposition"]
    assert header.isascii()
    fallback, encoded = header.split("; ")[1:]
    assert fallback == 'filename="Gr__e _.txt"'
    assert encoded.startswith("filename*=UTF-8''")
    assert unquote(encoded.removeprefix("filename*=UTF-8''")) == "Grüße 😀.txt"


def test_quotes_and_line_breaks_in_a_file_name_cannot_break_the_header(
    app, as_editor, uploaded, dbsession
):
    node = uploaded("plain.txt", NOTES)
    # However a name got stored, the header carries it safely.
    node.filename = 'a "quoted"; b\\c\r\nSet-Cookie: x=1.txt'
    dbsession.flush()

    answer = app.get(f"{API}{node.path}/@download", headers=as_editor)

    header = answer.headers["Content-Disposition"]
    assert "\r" not in header
    assert "\n" not in header
    assert "Set-Cookie" not in answer.headers
    fallback, encoded = header.split("; ", 1)[1].split("; filename*=")
    assert fallback == 'filename="a _quoted__ b_c__Set-Cookie: x=1.txt"'
    assert unquote(encoded.removeprefix("UTF-8''")) == node.filename


def test_upload_strips_control_characters_from_the_file_name(app, as_editor, docs, dbsession):
    answer = post_raw(app, "/docs", NOTES, {**as_editor, "Slug": "tab\there.txt"})

    assert answer.json["filename"] == "tabhere.txt"


# -- who may download -----------------------------------------------------------------


def test_a_reader_can_download(app, bearer, staff_user, uploaded, publish):
    node = publish(uploaded("chart.png", PNG))

    answer = app.get(f"{API}{node.path}/@download", headers=bearer(staff_user, scope="read"))

    assert answer.body == PNG


def test_someone_who_may_not_view_gets_404(app, bearer, make_user, as_editor, docs):
    board_member = make_user("bea", groups=["board"])
    post_raw(app, "/private", NOTES, {**bearer(board_member), "Slug": "minutes.txt"})

    # The editor of /docs is a Reader elsewhere, but /private does not inherit that.
    hidden = app.get(f"{API}/private/minutes.txt/@download", headers=as_editor, status=404)
    assert_problem(hidden, 404)
    page = app.get("/private/minutes.txt/@@download", headers=as_editor, status=404)
    assert page.content_type == "application/problem+json" or "Page not found" in page.text


def test_the_anonymous_are_asked_to_authenticate(app, uploaded):
    node = uploaded("notes.txt", NOTES)

    answer = app.get(f"{API}{node.path}/@download", status=401)

    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert app.get(f"{node.path}/@@download", status=302).location.startswith(SITE + "/login")


@pytest.mark.parametrize("title", ["\u2003", " \u3000 ", "\u00a0\u2028"])
def test_a_title_of_unicode_white_space_is_left_out_and_the_file_name_is_the_title(
    app, as_editor, docs, dbsession, title
):
    form = post_multipart(app, "/docs", as_editor, "q1.pdf", PDF, title=title)
    raw = post_raw(app, "/docs", NOTES, as_editor, query=f"?name=notes.txt&title={quote(title)}")

    assert (form.json["title"], raw.json["title"]) == ("q1.pdf", "notes.txt")


def test_a_title_of_a_control_character_is_still_refused(app, as_editor, docs, dbsession):
    answer = post_multipart(app, "/docs", as_editor, "q1.pdf", PDF, status=400, title="\x1c")

    assert_problem(answer, 400, "/title")
    assert file_count(dbsession) == 0
