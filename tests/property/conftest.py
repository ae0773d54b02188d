"""Fixtures of the property tests: a world of content and people, callers, and the checks.

The world is built once per test module on a connection of its own, inside a
transaction rolled back when the module ends. Every Hypothesis example runs
in a savepoint of that transaction, rolled back after it, so each example
starts from the same state, and "nothing changed" is a comparison with the
state recorded when the world was built.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
import webtest
from pyramid.router import Router
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from charter import models as _every_model  # noqa: F401 - every table in Base.metadata
from charter.accounts.models import Group, User
from charter.accounts.passwords import hash_password
from charter.accounts.services import TokenService
from charter.changes.models import WebhookEndpoint, WebhookMessage
from charter.changes.webhooks import new_secret
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.db.meta import Base
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.roles import DEFAULT_ROOT_GRANTS, Role
from charter.security.sharing import SharingService
from charter.testing.plugin import TEST_PASSWORD
from charter.testing.sessions import login_as

SITE = "http://example.com"
PROBLEM_JSON = "application/problem+json"
INVALID_INPUT = "urn:charter:problem:invalid-input"
# Columns that reading changes by design: when a session or token was last used.
VOLATILE_COLUMNS = {
    "user_sessions": {"last_seen", "expires", "data"},
    "api_tokens": {"last_used"},
}
# Failed logins are counted and audited by design, refused or not.
UNTRACKED_TABLES = {"rate_limit_counters"}
LOGIN_ACTIONS = ("login.failed", "login.refused")
# Where a refused HTML form shows why: the error page, or a message beside a field.
HTML_REFUSALS = (".error-page", "[id$='-error']", ".form-error", "#login-error", ".alert-danger")


class Caller:
    """Someone sending requests: a WebTest client (with its session cookie, if any), the
    token header API requests carry, and the CSRF token of the session."""

    def __init__(
        self,
        name: str,
        app: webtest.TestApp,
        token: dict[str, str] | None = None,
        csrf: str | None = None,
    ) -> None:
        self.name = name
        self.app = app
        self.token = token or {}
        self.csrf = csrf

    def __repr__(self) -> str:
        return f"<caller {self.name}>"


class ServerErrors(logging.Handler):
    """Keeps the tracebacks the app logs for unexpected errors (its 500s)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.tracebacks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.tracebacks.append("".join(traceback.format_exception(*record.exc_info)))


class NoCookies(CookieJar):
    """A cookie jar that neither sends nor keeps cookies."""

    def add_cookie_header(self, request: Any) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class World:
    """The content, people and callers every example starts from."""

    def __init__(
        self,
        connection: Connection,
        app: Router,
        callers: dict[str, Caller],
        ids: dict[str, Any],
    ) -> None:
        self.connection = connection
        self.app = app
        self.callers = callers
        self.ids = ids
        self.baseline = self.state()
        self.login_baseline = self.state(ignore_login_attempts=True)
        self.examples = 0
        self.errors = ServerErrors()

    def __repr__(self) -> str:
        return "<the property tests' world>"

    def caller(self, name: str) -> Caller:
        """The caller called ``name`` (anonymous, reader, editor, admin)."""
        return self.callers[name]

    @contextmanager
    def example(self) -> Iterator[None]:
        """Run one example in a savepoint, rolled back afterwards with the callers' cookies."""
        self.examples += 1
        self.errors.tracebacks.clear()
        cookies = {name: list(caller.app.cookiejar) for name, caller in self.callers.items()}
        savepoint = self.connection.begin_nested()
        try:
            yield
        finally:
            if savepoint.is_active:
                savepoint.rollback()
            for name, caller in self.callers.items():
                caller.app.cookiejar.clear()
                for cookie in cookies[name]:
                    caller.app.cookiejar.set_cookie(cookie)

    def send(
        self,
        caller: Caller,
        method: str,
        url: str,
        *,
        api: bool,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> webtest.TestResponse:
        """Send one request as ``caller``; API requests carry its token, or the CSRF header
        of its session when it has no token (forms carry their own CSRF field)."""
        sent: dict[str, str] = {}
        if api:
            sent.update(caller.token)
            if not caller.token and caller.csrf:
                sent["X-CSRF-Token"] = caller.csrf
        if content_type is not None:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        app = caller.app
        path = url.split("?", 1)[0]
        if not _utf8(unquote_to_bytes(path)):
            # WebTest's cookie jar decodes the path as UTF-8: send the cookies by hand.
            app = webtest.TestApp(self.app, extra_environ=app.extra_environ, cookiejar=NoCookies())
            cookies = "; ".join(f"{c.name}={c.value}" for c in caller.app.cookiejar)
            if cookies:
                sent.setdefault("Cookie", cookies)
        return app.request(
            SITE + url, method=method, headers=sent, body=body or b"", expect_errors=True
        )

    def state(self, *, ignore_login_attempts: bool = False) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table (but counters and when-last-used columns), in key order."""
        return database_state(self.connection, ignore_login_attempts=ignore_login_attempts)

    def check(
        self, response: webtest.TestResponse, *, api: bool, ignore_login_attempts: bool = False
    ) -> None:
        """See :func:`check_answer`."""
        check_answer(self, response, api=api, ignore_login_attempts=ignore_login_attempts)


def database_state(
    connection: Connection, *, ignore_login_attempts: bool = False
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of Charter's tables (and add-ons' that share its metadata), comparable."""
    state = {}
    for table in Base.metadata.sorted_tables:
        if table.name in UNTRACKED_TABLES:
            continue
        volatile = VOLATILE_COLUMNS.get(table.name, set())
        columns = [c for c in table.columns if c.name not in volatile]
        query = select(*columns).order_by(*(table.primary_key.columns or columns))
        if ignore_login_attempts and table.name == "audit_log":
            query = query.where(table.c.action.not_in(LOGIN_ACTIONS))
        state[table.name] = [tuple(row) for row in connection.execute(query)]
    return state


def state_difference(before: dict[str, list], after: dict[str, list]) -> str:
    """What changed between two states, table by table, for a failure message."""
    lines = []
    for table in sorted(set(before) | set(after)):
        old, new = set(before.get(table, [])), set(after.get(table, []))
        for row in sorted(old - new, key=repr)[:5]:
            lines.append(f"{table}: - {row!r:.300}")
        for row in sorted(new - old, key=repr)[:5]:
            lines.append(f"{table}: + {row!r:.300}")
    return "\n".join(lines)


def describe(response: webtest.TestResponse) -> str:
    """The answer, shortened, for a failure message."""
    request = response.request
    # The raw path and query: decoding them may be what fails.
    url = request.environ.get("PATH_INFO", "") + "?" + request.environ.get("QUERY_STRING", "")
    return (
        f"{request.method} {url[:300]!r} -> {response.status} "
        f"{response.content_type}\n{response.text[:1500]}"
    )


def check_answer(
    world: World,
    response: webtest.TestResponse,
    *,
    api: bool,
    ignore_login_attempts: bool = False,
) -> None:
    """What every answer to hostile input must be: no 5xx; a refusal as a problem document
    (API) or the error page or re-shown form (HTML); and a refusal (or a read) changed
    nothing."""
    status = response.status_int
    assert status < 500, describe(response) + "\n" + "\n".join(world.errors.tracebacks)[-4000:]
    if response.request.method == "HEAD":
        assert not response.body, describe(response)
    elif status >= 400:
        if api or response.content_type == PROBLEM_JSON:
            check_problem(response)
        else:
            check_error_page(response)
    if status >= 400 or response.request.method in ("GET", "HEAD"):
        assert_unchanged(world, response, ignore_login_attempts=ignore_login_attempts)


def assert_unchanged(world: World, context: Any, *, ignore_login_attempts: bool = False) -> None:
    """The database holds what it held when the world was built (``context``, a response or
    text, explains a failure)."""
    before = world.login_baseline if ignore_login_attempts else world.baseline
    after = world.state(ignore_login_attempts=ignore_login_attempts)
    if after != before:
        shown = context if isinstance(context, str) else describe(context)
        raise AssertionError(f"{shown}\nchanged:\n{state_difference(before, after)}")


def check_problem(response: webtest.TestResponse) -> dict[str, Any]:
    """A problem document: its type, status, a title and a detail; invalid input names each
    bad field by a JSON Pointer."""
    assert response.content_type == PROBLEM_JSON, describe(response)
    problem = json.loads(response.body)
    assert problem["status"] == response.status_int, describe(response)
    for key in ("type", "title", "detail"):
        assert isinstance(problem.get(key), str), describe(response)
        assert problem[key], describe(response)
    if problem["type"] == INVALID_INPUT:
        errors = problem.get("errors")
        assert errors, describe(response)
        for error in errors:
            assert error["pointer"] == "" or error["pointer"].startswith("/"), describe(response)
            assert error["detail"], describe(response)
    return problem


def check_error_page(response: webtest.TestResponse) -> None:
    """An HTML refusal: the error page, or the form again with the reason shown."""
    assert response.content_type == "text/html", describe(response)
    page = response.html
    assert any(page.select_one(selector) for selector in HTML_REFUSALS), describe(response)


# -- the world ------------------------------------------------------------------


@pytest.fixture(scope="module")
def property_connection(charter_engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that lasts for the module, rolled back at its end."""
    connection = charter_engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


def _client(app: Router, connection: Connection) -> webtest.TestApp:
    return webtest.TestApp(
        app, extra_environ={TEST_CONNECTION_ENVIRON_KEY: connection, "HTTP_HOST": "example.com"}
    )


def _csrf_token(app: webtest.TestApp) -> str:
    page = app.get("/account")
    return page.html.select_one("input[name=csrf_token]")["value"]


@pytest.fixture(scope="module")
def world(charter_app: Router, property_connection: Connection) -> World:
    """/docs (guide, team/people, team/archive, notes.txt), /target, /private; a reader
    (staff), an editor of /docs and /target, an administrator; a group ``board``."""
    session = Session(
        bind=property_connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,  # the accounts are read after the commit
    )
    content = ContentService(session, types=types_of(charter_app.registry))
    sharing = SharingService(session)
    root = content.create_root("Charter Test")
    sharing.update(root, DEFAULT_ROOT_GRANTS)
    password_hash = hash_password(TEST_PASSWORD)
    users = {}
    for login in ("staff", "editor", "admin", "bo"):
        users[login] = User(
            login=login,
            email=f"{login}@example.com",
            full_name=login.title(),
            password_hash=password_hash,
        )
        session.add(users[login])
    board = Group(name="board", title="Board", members=[users["bo"]])
    session.add(board)
    session.flush()  # the accounts' ids name their principals
    sharing.set_global_roles(user_principal(users["admin"].id), [Role.ADMINISTRATOR.value])
    docs = content.add_folder(root, "docs", "Docs", "Shared documents.")
    guide = content.add_document(docs, "guide", "Guide", "# Guide\n\nHow to.")
    team = content.add_folder(docs, "team", "Team")
    content.add_document(team, "people", "People", "Who is who.")
    content.add_folder(team, "archive", "Archive")
    target = content.add_folder(root, "target", "Target")
    private = content.add_folder(root, "private", "Private")
    sharing.update(private, {"group:board": ["Reader"]}, inherit=False)
    editor = user_principal(users["editor"].id)
    for folder in (docs, target):
        sharing.update(folder, {editor: [Role.EDITOR.value]})
    tokens = TokenService(session)
    token_text = {}
    token_ids = {}
    for login in ("staff", "editor", "admin"):
        token, token_text[login] = tokens.create(users[login], "property tests", "read-write")
        token_ids[login] = token.id
    ids = {
        "user": users["staff"].id,
        "admin": users["admin"].id,
        "guide_uid": guide.uid,
        "team_uid": team.uid,
        "target_uid": target.uid,
        "private_uid": private.uid,
        "token": token_ids["admin"],
    }
    # A webhook endpoint (its outbox fills with the changes below); no DNS lookup here.
    hook = WebhookEndpoint(url="https://example.com/hook", secret=new_secret())
    session.add(hook)
    session.flush()  # its id
    ids["webhook"] = hook.id
    session.commit()  # releases the savepoint; the world stays in the module's transaction
    session.close()

    callers = {"anonymous": Caller("anonymous", _client(charter_app, property_connection))}
    for name, login in (("reader", "staff"), ("editor", "editor"), ("admin", "admin")):
        app = login_as(_client(charter_app, property_connection), users[login])
        callers[name] = Caller(
            name,
            app,
            {"Authorization": f"Bearer {token_text[login]}"},
            _csrf_token(app),
        )
    admin = callers["admin"]
    etag = admin.app.post(
        "/api/v1/content/docs",
        b"Minutes of the meeting.\n",
        headers={**admin.token, "Slug": "notes.txt", "Content-Type": "text/plain"},
        status=201,
    ).headers["ETag"]
    # Published, as the rest of /docs: a new upload starts private, hidden from the reader.
    for transition in ("submit", "publish"):
        etag = admin.app.post(
            f"/api/v1/content/docs/notes.txt/@workflow/{transition}",
            headers={**admin.token, "If-Match": etag},
            status=200,
        ).headers["ETag"]
    # Versions 1 and 2 of /docs/team/people; /docs/old in the trash.
    admin.app.patch(
        "/api/v1/content/docs/team/people",
        json.dumps({"title": "Who is who"}),
        headers={**admin.token, "If-Match": '"1"', "Content-Type": "application/json"},
        status=200,
    )
    admin.app.post(
        "/api/v1/content/docs",
        json.dumps({"@type": "Document", "name": "old", "title": "Old"}),
        headers={**admin.token, "Content-Type": "application/json"},
        status=201,
    )
    admin.app.delete(
        "/api/v1/content/docs/old", headers={**admin.token, "If-Match": '"1"'}, status=204
    )
    with Session(bind=property_connection) as reading:
        trash = Base.metadata.tables["trash_entries"]
        ids["entry"] = reading.scalar(select(trash.c.id))
        ids["message"] = reading.scalar(select(func.min(WebhookMessage.id)))
        ids["session"] = reading.scalar(
            select(Base.metadata.tables["user_sessions"].c.id).where(
                Base.metadata.tables["user_sessions"].c.user_id == users["admin"].id
            )
        )
    return World(property_connection, charter_app, callers, ids)


@pytest.fixture(scope="module")
def server_errors(world: World) -> Iterator[ServerErrors]:
    """The app's logged tracebacks, kept for the failure messages of 500s."""
    logger = logging.getLogger("charter")
    logger.addHandler(world.errors)
    yield world.errors
    logger.removeHandler(world.errors)


@pytest.fixture
def counted(
    world: World, server_errors: ServerErrors, request: pytest.FixtureRequest
) -> Iterator[World]:
    """The world, counting the examples this test runs (summed up by the charter plugin)."""
    start = world.examples
    yield world
    request.node.user_properties.append(("property_examples", world.examples - start))
