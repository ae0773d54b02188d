"""Hostile request input answers a clear 4xx and changes nothing (charter.input).

Each case here is one the hardening review found answering 500 (or storing
what it should have refused); the classes they stand for are covered by the
property tests in tests/property/.
"""

import json

import pytest
import webtest
from sqlalchemy import func, select

from charter import make_configurator
from charter.accounts.models import User
from charter.audit.models import AuditEntry
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.testing.sessions import login_as
from charter.tree.models import Node

API = "/api/v1/content"


@pytest.fixture
def docs(site_root, content, dbsession):
    """/docs holding the document /docs/guide."""
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "# Guide")
    dbsession.flush()  # requests read through their own savepoint
    return docs


@pytest.fixture
def editor(make_user, docs, dbsession):
    """Editor on /docs."""
    user = make_user("editor", "Eve Editor")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Editor"]})
    dbsession.flush()
    return user


@pytest.fixture
def as_editor(bearer, editor):
    """The editor's read-write token."""
    return bearer(editor)


@pytest.fixture
def as_admin(bearer, admin_user):
    """The administrator's read-write token."""
    return bearer(admin_user)


def state(dbsession):
    """Every node's path and version, the number of accounts and of audit entries."""
    dbsession.expire_all()
    nodes = dbsession.execute(select(Node.path, Node.version).order_by(Node.path)).all()
    users = dbsession.scalar(select(func.count()).select_from(User))
    audit = dbsession.scalar(select(func.count()).select_from(AuditEntry))
    return nodes, users, audit


# -- query strings ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/docs?limit=%ff",
        f"{API}/docs?after=%ff",
        f"{API}/docs?%ff=1",
        "/api/v1/users?q=%ff",
        "/api/v1/groups?q=%ff",
        "/api/v1/users?q=%00",
    ],
)
def test_a_query_string_that_is_not_utf8_is_a_400_problem(anonymous_app, as_admin, docs, url):
    response = anonymous_app.get(url, headers=as_admin, status=400)

    assert "query" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize(
    "url", ["/docs?sort=%ff", "/docs/@@contents?sort=%ff", "/docs/guide/@@move?at=%ff"]
)
def test_a_page_with_a_query_string_that_is_not_utf8_is_a_400_page(admin_app, docs, url):
    response = admin_app.get(url, status=400)

    assert response.content_type == "text/html"
    assert "The query string is not valid UTF-8." in response.text


def test_admin_pages_refuse_a_query_string_that_is_not_utf8(admin_app):
    response = admin_app.get("/admin/users?q=%ff", status=400)

    assert "The query string is not valid UTF-8." in response.text


def test_the_login_page_refuses_it_to_anyone_without_a_traceback(charter_settings, charter_engine):
    config = make_configurator({**charter_settings, "charter.debug": "true"}, environ={})
    app = webtest.TestApp(config.make_wsgi_app())

    response = app.get("/login?came_from=%ff", status=400)

    assert "The query string is not valid UTF-8." in response.text
    assert "Traceback" not in response.text
    config.registry["charter.db.engine"].dispose()


def test_an_overlong_query_string_is_a_414(anonymous_app, as_admin, docs):
    response = anonymous_app.get(f"{API}/docs?q={'x' * 9000}", headers=as_admin, status=414)

    assert_problem(response, 414)


def test_a_limit_of_thousands_of_digits_is_a_400(anonymous_app, as_admin, docs):
    response = anonymous_app.get(f"{API}/docs?limit={'9' * 5000}", headers=as_admin, status=400)

    assert_problem(response, 400, "/limit")


@pytest.mark.parametrize(
    "cursor",
    [
        # Base64 of [1, 99999999999999999999999] and of [99999999999, 1]: out of range.
        "WzEsOTk5OTk5OTk5OTk5OTk5OTk5OTk5OTld",
        "Wzk5OTk5OTk5OTk5LDFd",
    ],
)
def test_a_forged_cursor_holding_a_huge_number_is_a_400(anonymous_app, as_admin, docs, cursor):
    response = anonymous_app.get(f"{API}/docs?after={cursor}", headers=as_admin, status=400)

    assert_problem(response, 400, "/after")


# -- paths ----------------------------------------------------------------------


def test_a_path_holding_nul_is_a_400(anonymous_app, as_admin, docs):
    response = anonymous_app.get(f"{API}/docs/%00", headers=as_admin, status=400)

    assert "NUL" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize("depth", [65, 5000])
def test_a_path_deeper_than_the_tree_goes_is_a_404(anonymous_app, as_admin, docs, depth):
    response = anonymous_app.get(f"{API}/docs" + "/a" * depth, headers=as_admin, status=404)

    assert_problem(response, 404)


# -- bodies -----------------------------------------------------------------------


def test_json_in_a_charset_nobody_knows_is_a_415(anonymous_app, as_editor, dbsession):
    before = state(dbsession)

    response = anonymous_app.post(
        f"{API}/docs",
        json.dumps({"@type": "Document", "title": "Klingon"}),
        headers={**as_editor, "Content-Type": "application/json; charset=klingon"},
        status=415,
    )

    assert "klingon" in assert_problem(response, 415)["detail"]
    assert state(dbsession) == before


def test_a_patch_sent_as_text_plain_is_a_415_and_changes_nothing(
    anonymous_app, as_editor, dbsession
):
    before = state(dbsession)

    response = anonymous_app.patch(
        f"{API}/docs/guide",
        json.dumps({"title": "Changed"}),
        headers={**as_editor, "Content-Type": "text/plain", "If-Match": '"1"'},
        status=415,
    )

    assert "application/json" in assert_problem(response, 415)["detail"]
    assert state(dbsession) == before


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b'{"title": "a", "title": "b"}', "appears twice"),
        (b'{"title": NaN}', "not valid JSON"),
        (b'{"title": 1e999}', "not valid JSON"),
        (b'{"title": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_json_no_parser_agrees_on_is_a_400(anonymous_app, as_editor, dbsession, raw, detail):
    before = state(dbsession)

    response = anonymous_app.patch(
        f"{API}/docs/guide",
        raw,
        headers={**as_editor, "Content-Type": "application/json", "If-Match": '"1"'},
        status=400,
    )

    assert detail in assert_problem(response, 400)["detail"]
    assert state(dbsession) == before


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ('{"title": "a\\u0000b"}', "/title"),
        ('{"title": "a\\ud800b"}', "/title"),
        ('{"tags": [{"x": "\\udfff"}]}', "/tags/0/x"),
    ],
)
def test_strings_no_database_stores_are_a_400_at_their_pointer(
    anonymous_app, as_editor, dbsession, body, pointer
):
    before = state(dbsession)

    response = anonymous_app.patch(
        f"{API}/docs/guide",
        body.encode(),
        headers={**as_editor, "Content-Type": "application/json", "If-Match": '"1"'},
        status=400,
    )

    assert_problem(response, 400, pointer)
    assert state(dbsession) == before


def test_a_body_over_the_size_limit_is_a_413_before_it_is_read(
    charter_settings, charter_engine, db_connection, admin_user, bearer, docs
):
    config = make_configurator({**charter_settings, "charter.input.max_body_size": "2048"}, {})
    app = webtest.TestApp(
        config.make_wsgi_app(),
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    body = {"@type": "Document", "title": "Big", "body": "x" * 4096}

    response = app.post_json(f"{API}/docs", body, headers=bearer(admin_user), status=413)

    assert "2 KiB" in assert_problem(response, 413)["detail"]
    config.registry["charter.db.engine"].dispose()


def test_a_form_field_that_is_not_utf8_is_a_400_page(admin_app, docs, dbsession):
    before = state(dbsession)
    token = admin_app.get("/docs/guide/@@edit").forms["edit-form"]["csrf_token"].value

    response = admin_app.post(
        "/docs/guide/@@edit",
        f"csrf_token={token}&version=1&title=%ff%fe".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        status=400,
    )

    assert "The form data is not valid UTF-8." in response.text
    assert state(dbsession) == before


def test_a_multipart_field_that_is_not_utf8_is_a_400(anonymous_app, as_editor, dbsession):
    before = state(dbsession)
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a\xffb.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n"
    )

    response = anonymous_app.post(
        f"{API}/docs",
        body,
        headers={**as_editor, "Content-Type": "multipart/form-data; boundary=XX"},
        status=400,
    )

    assert "not valid UTF-8" in assert_problem(response, 400)["detail"]
    assert state(dbsession) == before


def test_a_multipart_part_without_a_name_is_a_400_not_a_500(anonymous_app, as_editor, dbsession):
    """Found by schemathesis: a part with no name (or a file part with no file name at all)
    made the input check fail with a TypeError."""
    before = state(dbsession)
    body = b"--XX\r\nContent-Disposition: form-data\r\n\r\nFalse\r\n--XX--\r\n"

    response = anonymous_app.post(
        f"{API}/docs",
        body,
        headers={**as_editor, "Content-Type": "multipart/form-data; boundary=XX"},
        status=400,
    )

    assert_problem(response, 400)
    assert state(dbsession) == before


def test_a_slug_is_read_as_percent_encoded_utf8(anonymous_app, as_editor, dbsession):
    response = anonymous_app.post(
        f"{API}/docs",
        b"hello",
        headers={**as_editor, "Content-Type": "text/plain", "Slug": "r%C3%A9sum%C3%A9.txt"},
        status=201,
    )

    assert response.json["filename"] == "résumé.txt"


def test_a_slug_that_is_not_utf8_is_a_400(anonymous_app, as_editor, dbsession):
    before = state(dbsession)

    response = anonymous_app.post(
        f"{API}/docs",
        b"hello",
        headers={**as_editor, "Content-Type": "text/plain", "Slug": "a%ffb.txt"},
        status=400,
    )

    assert "Slug" in assert_problem(response, 400)["detail"]
    assert state(dbsession) == before


# -- limits of what is stored ---------------------------------------------------------


def test_a_document_body_over_its_limit_is_a_400_naming_the_body(
    anonymous_app, as_editor, dbsession
):
    before = state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "title": "Huge", "body": "😀" * 500_001},
        headers=as_editor,
        status=400,
    )

    assert "500,000 characters" in str(assert_problem(response, 400, "/body"))
    assert state(dbsession) == before


def test_a_document_body_at_its_limit_is_stored_on_every_database(
    anonymous_app, as_editor, dbsession
):
    # 500,000 four-byte characters: 2,000,000 bytes of body and as much HTML,
    # in one row (MariaDB once lost the connection over such a packet).
    body = "😀" * 500_000

    anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "name": "big", "title": "Big", "body": body},
        headers=as_editor,
        status=201,
    )

    dbsession.expire_all()
    stored = dbsession.scalar(select(Node).where(Node.path == "/docs/big"))
    assert stored.body == body


def test_a_body_whose_html_would_be_too_large_is_a_400(anonymous_app, as_editor, dbsession):
    # A reference link repeats its URL at every use: 30 KB of Markdown asking for
    # 50 MB of HTML is refused before any of it is made.
    body = "[a]: http://example.com/" + "x" * 10_000 + "\n\n" + "[a] " * 5000
    before = state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "title": "Inflated", "body": body},
        headers=as_editor,
        status=400,
    )

    assert "of HTML" in str(assert_problem(response, 400, "/body"))
    assert state(dbsession) == before


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [
        ("email", "a@" + "b" * 10_000 + ".com", "/email"),
        ("full_name", "N" * 100_000, "/full_name"),
        ("full_name", "two\nlines", "/full_name"),
        ("password", "correct horse \ud800 battery", "/password"),
        ("password", "p" * 2000, "/password"),
    ],
)
def test_account_fields_beyond_their_columns_are_a_400(
    anonymous_app, as_admin, dbsession, field, value, pointer
):
    before = state(dbsession)
    body = {"login": "newbie", "email": "n@example.com", "password": "long enough secret"}
    body[field] = value

    response = anonymous_app.post(
        "/api/v1/users",
        json.dumps(body),  # ensure_ascii: a lone surrogate travels as \ud800
        headers={**as_admin, "Content-Type": "application/json"},
        status=400,
    )

    assert_problem(response, 400, pointer)
    assert state(dbsession) == before


def test_a_group_title_beyond_its_column_is_a_400(anonymous_app, as_admin, dbsession):
    response = anonymous_app.post_json(
        "/api/v1/groups", {"name": "crew", "title": "T" * 256}, headers=as_admin, status=400
    )

    assert_problem(response, 400, "/title")


def test_a_deep_path_longer_than_the_audit_column_is_recorded(anonymous_app, as_admin, docs):
    # Each level's name is 100 characters: the fourth is 400 characters deep.
    path = f"{API}/docs"
    for level in range(4):
        name = f"{level}" * 100
        anonymous_app.post_json(
            path, {"@type": "Folder", "name": name, "title": "Deep"}, headers=as_admin, status=201
        )
        path += f"/{name}"

    anonymous_app.get(path, headers=as_admin, status=200)


def test_a_login_of_megabytes_is_refused_like_a_wrong_one(anonymous_app, dbsession):
    page = anonymous_app.get("/login")
    form = page.forms["login-form"]
    form["login"] = "x" * 1_000_000
    form["password"] = "whatever it is"

    response = form.submit(status=400)

    assert "Wrong login or password." in response.text


# -- what a token may do ----------------------------------------------------------------


def test_a_read_token_that_writes_content_is_told_it_may_only_read(
    anonymous_app, bearer, editor, dbsession
):
    read_token = bearer(editor, "read")
    before = state(dbsession)

    response = anonymous_app.patch_json(
        f"{API}/docs/guide",
        {"title": "Changed"},
        headers={**read_token, "If-Match": '"1"'},
        status=403,
    )

    assert assert_problem(response, 403)["detail"] == (
        "This API token may only read; use a read-write token to change data."
    )
    assert state(dbsession) == before


def test_a_session_is_not_a_read_token(anonymous_app, editor, dbsession):
    app = login_as(anonymous_app, editor)

    response = app.patch_json(
        f"{API}/docs/guide",
        {"title": "Changed"},
        headers={"If-Match": '"1"'},
        status=400,  # no CSRF header: refused for that, not for the scope
    )

    assert "CSRF" in assert_problem(response, 400)["detail"]


def test_a_forged_forwarded_for_does_not_give_another_address(anonymous_app, dbsession):
    # Behind a real proxy, waitress's trusted_proxy settings set REMOTE_ADDR
    # from X-Forwarded-For; a client cannot name its own address.
    limit = anonymous_app.app.registry.settings["charter.login.max_failures_per_address"]
    for attempt in range(limit + 1):
        form = anonymous_app.get("/login").forms["login-form"]
        form["login"] = f"nobody{attempt}"
        form["password"] = "wrong password"
        response = form.submit(
            headers={"X-Forwarded-For": f"10.0.0.{attempt}"},
            extra_environ={"REMOTE_ADDR": "192.0.2.7"},
            expect_errors=True,
        )

    assert response.status_int == 429
    addresses = dbsession.scalars(
        select(AuditEntry.address).where(AuditEntry.action == "login.failed")
    ).all()
    assert set(addresses) == {"192.0.2.7"}


def test_a_list_longer_than_any_statement_binds_is_a_400(anonymous_app, as_editor, dbsession):
    # 70,000 names once went into one IN (...) and PostgreSQL refused the statement.
    before = state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs/@order",
        {"order": [f"n{number}" for number in range(70_000)]},
        headers=as_editor,
        status=400,
    )

    assert "more than 10,000 entries" in str(assert_problem(response, 400, "/order"))
    assert state(dbsession) == before


# -- cookies ------------------------------------------------------------------


def _cookie_header(app, *extra):
    """The app's session cookies as one header, with ``extra`` pieces around them."""
    return "; ".join([*extra, *(f"{name}={value}" for name, value in app.cookies.items())])


def test_a_cookie_header_of_junk_keeps_the_session_it_holds(admin_app):
    # A run with no "=" made WebOb's parser backtrack: 16,000 characters cost 10 s of CPU.
    header = _cookie_header(admin_app, "a" * 12_000, "x=b," + "c" * 2_000)

    page = admin_app.get("/account", headers={"Cookie": header})

    assert page.status_int == 200
    assert page.html.select_one("#current-user") is not None


@pytest.mark.parametrize("path", ["/", "/api/v1/content"])
def test_a_cookie_header_over_16_kib_is_a_431(admin_app, path):
    header = _cookie_header(admin_app, "junk=" + "a" * 17_000)

    response = admin_app.get(path, headers={"Cookie": header}, expect_errors=True)

    assert response.status_int == 431
    if path.startswith("/api/"):
        assert_problem(response, 431)
    else:
        assert response.html.h1.get_text(strip=True) == "Too many cookies"
