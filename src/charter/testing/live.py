"""A live Charter server for tests of real, concurrent, committed requests.

The other fixtures run each test inside one transaction that is rolled back,
which cannot show what happens when requests race each other. Here the real
app (``charter.make_configurator(settings).make_wsgi_app()``) is served by
waitress with 4 worker threads, as in production, on a database of its own
(the worker's test database name plus ``_live``) where every request commits.
A module's tests share one server; each test works in a fresh folder of its
own, so tests do not see each other's data.
"""

from __future__ import annotations

import functools
import http.client
import json
import logging
import re
import secrets
import threading
import traceback
import urllib.parse
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from waitress import wasyncore
from waitress.server import create_server

from charter import make_configurator
from charter.accounts.models import User
from charter.accounts.passwords import hash_password
from charter.accounts.services import TokenService
from charter.addons import addon_settings, addon_version_locations
from charter.api.problems import PROBLEM_JSON
from charter.audit.models import AuditEntry
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.db.engine import make_engine
from charter.db.migrations import upgrade
from charter.security.principals import user_principal
from charter.security.roles import DEFAULT_ROOT_GRANTS
from charter.security.sharing import SharingService
from charter.settings import parse_settings
from charter.testing.content import reviewed_types
from charter.testing.databases import drop_database, recreate_database
from charter.tree.models import Node
from charter.tree.paths import ROOT_PATH, child_path, descendants_range, hash_path
from charter.tree.services import TreeService

# Worker threads of the live server: production.ini's waitress setting.
LIVE_THREADS = 4
LIVE_PASSWORD = "live server password 0123"  # noqa: S105 - the live accounts' password
# Seconds a client waits for an answer; generous, as SQLite writers queue up.
CLIENT_TIMEOUT_S = 120
SERVER_STOP_TIMEOUT_S = 10
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_HTML_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


@dataclass(frozen=True)
class LiveUser:
    """An account on the live server, with a read-write API token."""

    id: int
    login: str
    token: str
    password: str = LIVE_PASSWORD

    @property
    def principal(self) -> str:
        """``user:<id>``, as sharing names it."""
        return user_principal(self.id)


@dataclass(frozen=True)
class LiveRequest:
    """One HTTP request, ready to send (as often as wanted)."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None


@dataclass(frozen=True)
class LiveResponse:
    """What the server answered: status, headers (names in lower case) and body."""

    request: LiveRequest
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def problem(self) -> dict[str, Any]:
        """The problem+json body, after checking it is one that names this status."""
        assert self.content_type == PROBLEM_JSON, f"not a problem document: {self}"
        body = self.json
        assert body.get("status") == self.status, f"problem of another status: {self}"
        for key in ("type", "title", "detail"):
            assert key in body, f"problem without {key!r}: {self}"
        return body

    def __str__(self) -> str:
        text = self.body.decode("utf-8", "replace")
        title = _HTML_TITLE.search(text) if self.content_type == "text/html" else None
        shown = f"(page titled {title[1].strip()!r})" if title else text[:300]
        return f"{self.request.method} {self.request.path} -> {self.status} {shown}"


@dataclass(frozen=True)
class NodeState:
    """A node's committed row, as a test checks it."""

    id: int
    uid: str
    type: str
    parent_id: int | None
    name: str
    path: str
    path_hash: bytes
    depth: int
    position: int
    version: int
    title: str

    @property
    def api_path(self) -> str:
        """The node's API URL path."""
        return "/api/v1/content" + ("" if self.path == "/" else self.path)


@dataclass(frozen=True)
class AuditRecord:
    """A committed audit log entry."""

    id: int
    action: str
    actor_login: str | None
    target: str
    details: dict[str, Any]


@dataclass(frozen=True)
class WebSession:
    """A browser-like session: its cookie and the CSRF token its forms carry."""

    cookie: str
    csrf_token: str


def tree_problems(nodes: Iterable[NodeState], top: NodeState | None = None) -> list[str]:
    """What is wrong with the tree these rows form (at or below ``top``); empty when nothing.

    Each node's path is its parent's path, a slash and its name, its depth
    its parent's plus one and its ``path_hash`` the hash of its path; every
    chain of parents ends at the root, without a cycle. Only the live tree
    is checked: rows whose path lies outside ``/`` (the trash) are not in it.
    """
    by_id = {node.id: node for node in nodes}
    live_ids = {node.id for node in by_id.values() if node.path.startswith(ROOT_PATH)}
    if top is not None:
        low, _ = descendants_range(top.path)
        region = {i for i, n in by_id.items() if n.id == top.id or n.path.startswith(low)}
        # A node whose path says it left the region while its parents keep it
        # there (or the reverse) must be checked too: follow the parent links.
        children: dict[int | None, list[int]] = {}
        for node in by_id.values():
            children.setdefault(node.parent_id, []).append(node.id)
        pending = [top.id]
        while pending:
            node_id = pending.pop()
            for child in children.get(node_id, []):
                if child not in region:
                    region.add(child)
                    pending.append(child)
        checked = [by_id[i] for i in sorted(region & live_ids)]
    else:
        checked = [by_id[i] for i in sorted(live_ids)]
    problems = []
    for node in checked:
        if node.path_hash != hash_path(node.path):
            problems.append(f"{node.path} (id {node.id}): path_hash is not the hash of its path")
        if node.parent_id is None:
            if node.path != "/" or node.depth != 0:
                problems.append(f"{node.path} (id {node.id}): a parentless node that is not /")
            continue
        parent = by_id.get(node.parent_id)
        if parent is None:
            problems.append(f"{node.path} (id {node.id}): its parent {node.parent_id} is gone")
            continue
        if node.path != child_path(parent.path, node.name):
            problems.append(
                f"{node.path} (id {node.id}): named {node.name!r} in {parent.path}, "
                f"so its path should be {child_path(parent.path, node.name)}"
            )
        if node.depth != parent.depth + 1:
            problems.append(
                f"{node.path} (id {node.id}): depth {node.depth} under a parent of depth "
                f"{parent.depth}"
            )
        seen = {node.id}
        ancestor = parent
        while ancestor is not None and ancestor.parent_id is not None:
            if ancestor.id in seen:
                problems.append(f"{node.path} (id {node.id}): its parents form a cycle")
                break
            seen.add(ancestor.id)
            ancestor = by_id.get(ancestor.parent_id)
    return problems


def _node_columns() -> tuple:
    return (
        Node.id,
        Node.uid,
        Node.type,
        Node.parent_id,
        Node.name,
        Node.path,
        Node.path_hash,
        Node.depth,
        Node.position,
        Node.version,
        Node.title,
    )


def read_nodes(engine: Engine) -> list[NodeState]:
    """Every committed node of the tree."""
    with engine.connect() as connection:
        return [NodeState(*row) for row in connection.execute(select(*_node_columns()))]


class _ErrorLog(logging.Handler):
    """Keeps the tracebacks the server logs, so a failing test can show them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.entries: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.entries.append(text)


class LiveServer:
    """Charter served by waitress from a background thread, on its own committed database.

    ``url`` is the base URL; the methods create accounts and content in
    committed transactions, send requests (``race`` sends several at once)
    and read back what was committed.
    """

    def __init__(self, settings: dict[str, Any], threads: int = LIVE_THREADS) -> None:
        self.settings = settings
        parsed = parse_settings(settings, environ={}, extra_settings=addon_settings(settings))
        # The test's own engine: setting up data and reading it back.
        self.engine = make_engine(parsed)
        with self.engine.begin() as connection:
            upgrade(connection, addon_version_locations(parsed))
        config = make_configurator(self.settings, environ={})
        self.registry = config.registry
        self._initialise_site()
        self._errors = _ErrorLog()
        self._server = create_server(
            config.make_wsgi_app(), host="127.0.0.1", port=0, threads=threads
        )
        self.host, self.port = "127.0.0.1", self._server.effective_port
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.run, name="charter-live-server")

    def start(self) -> None:
        """Start answering requests."""
        logging.getLogger().addHandler(self._errors)
        # waitress warns whenever a request waits for a free thread: expected here.
        queue_log = logging.getLogger("waitress.queue")
        self._queue_log_level = queue_log.level
        queue_log.setLevel(logging.ERROR)
        self._thread.start()

    def stop(self) -> None:
        """Close every socket, end the server's threads and the database connections."""
        # The sockets belong to the loop thread, so the loop closes them itself;
        # an empty socket map then ends its loop.
        try:
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
        except OSError:
            # The trigger's pipe is gone (once seen: EBADF); close the sockets
            # from here instead, which ends the loop just the same.
            wasyncore.close_all(self._server._map)
        self._thread.join(SERVER_STOP_TIMEOUT_S)
        self._server.task_dispatcher.shutdown(timeout=SERVER_STOP_TIMEOUT_S)
        logging.getLogger().removeHandler(self._errors)
        logging.getLogger("waitress.queue").setLevel(self._queue_log_level)
        self.registry["charter.db.engine"].dispose()
        self.engine.dispose()
        if self._thread.is_alive():
            raise RuntimeError("the live server did not stop")

    # -- what the server logged --------------------------------------------

    @property
    def server_errors(self) -> list[str]:
        """Errors (with tracebacks) the server logged since ``forget_server_errors``."""
        return list(self._errors.entries)

    def forget_server_errors(self) -> None:
        """Start a new list of logged errors (each test does, through the ``live`` fixture)."""
        self._errors.entries.clear()

    # -- setting up, in committed transactions -----------------------------

    def _initialise_site(self) -> None:
        """The root folder with the default grants, as charter-init makes it (once)."""
        with Session(self.engine) as session, session.begin():
            if TreeService(session).has_root():
                return
            root = self._content(session).create_root("Charter Test")
            SharingService(session).update(root, DEFAULT_ROOT_GRANTS)

    def _content(self, session: Session) -> ContentService:
        # What the harness adds is published, as on a site in use (see reviewed_types);
        # what the tests add through requests starts private.
        return ContentService(session, types=reviewed_types(types_of(self.registry)))

    @functools.cached_property
    def _password_hash(self) -> str:
        # Argon2 takes a good fraction of a second: hash the shared password once.
        return hash_password(LIVE_PASSWORD)

    def make_user(
        self,
        login: str | None = None,
        *,
        global_roles: Collection[str] = (),
        roles: Mapping[str, Collection[str]] | None = None,
    ) -> LiveUser:
        """A committed account (password ``LIVE_PASSWORD``) with a read-write API token.

        ``global_roles`` are site-wide roles; ``roles`` maps node paths to the
        local roles it gets there: ``roles={folder.path: ["Editor"]}``.
        """
        login = login or f"live-{secrets.token_hex(5)}"
        with Session(self.engine) as session, session.begin():
            user = User(
                login=login,
                email=f"{login}@example.com",
                full_name=login.title(),
                password_hash=self._password_hash,
            )
            session.add(user)
            session.flush()  # the id names the account in grants and the token
            sharing = SharingService(session)
            if global_roles:
                sharing.set_global_roles(user_principal(user.id), global_roles)
            for path, node_roles in (roles or {}).items():
                sharing.update(self._resolve(session, path), {user_principal(user.id): node_roles})
            _, token = TokenService(session).create(user, "live tests", scope="read-write")
            return LiveUser(user.id, login, token)

    def add_folder(self, parent: str, name: str, title: str | None = None) -> NodeState:
        """A committed folder ``name`` inside the folder at path ``parent``."""
        return self._add(parent, "Folder", name, {"title": title or name.title()})

    def add_document(
        self, parent: str, name: str, title: str | None = None, body: str = ""
    ) -> NodeState:
        """A committed Markdown document ``name`` inside the folder at path ``parent``."""
        return self._add(parent, "Document", name, {"title": title or name.title(), "body": body})

    def add_documents(self, parent: str, names: Iterable[str]) -> list[NodeState]:
        """Several documents in one transaction (faster than one by one)."""
        with Session(self.engine) as session, session.begin():
            folder = self._resolve(session, parent)
            content = self._content(session)
            nodes = [
                content.create(folder, "Document", {"title": name.title()}, name) for name in names
            ]
            session.flush()  # ids and positions are read below
            paths = [node.path for node in nodes]
        return [self._existing(path) for path in paths]

    def _add(self, parent: str, type_name: str, name: str, fields: dict[str, Any]) -> NodeState:
        with Session(self.engine) as session, session.begin():
            node = self._content(session).create(
                self._resolve(session, parent), type_name, fields, name
            )
            path = node.path
        return self._existing(path)

    def _resolve(self, session: Session, path: str) -> Node:
        segments = [segment for segment in path.split("/") if segment]
        resolution = TreeService(session).resolve(segments)
        if resolution.remainder:
            raise LookupError(f"no node at {path}")
        return resolution.context

    # -- talking to the server ---------------------------------------------

    def prepare(
        self,
        method: str,
        path: str,
        *,
        user: LiveUser | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> LiveRequest:
        """A request as ``user`` (by API token; anonymous when None), with a JSON or form body."""
        all_headers = dict(headers or {})
        body = None
        if user is not None:
            all_headers["Authorization"] = f"Bearer {user.token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return LiveRequest(method, path, tuple(all_headers.items()), body)

    def request(self, method: str, path: str, **options: Any) -> LiveResponse:
        """Send one request (see ``prepare`` for the options) and read the whole answer."""
        return self.send(self.prepare(method, path, **options))

    def send(self, request: LiveRequest) -> LiveResponse:
        """Send a prepared request on a new connection."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=CLIENT_TIMEOUT_S)
        try:
            return _exchange(connection, request)
        finally:
            connection.close()

    def race(self, requests: Sequence[LiveRequest]) -> list[LiveResponse]:
        """Send all ``requests`` at the same moment; their answers, in the same order.

        Each goes from its own thread on its own connection, opened before a
        barrier releases them all together.
        """
        barrier = threading.Barrier(len(requests), timeout=CLIENT_TIMEOUT_S)
        answers: list[LiveResponse | BaseException | None] = [None] * len(requests)

        def send(index: int, request: LiveRequest) -> None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=CLIENT_TIMEOUT_S)
            try:
                connection.connect()
                barrier.wait()
                answers[index] = _exchange(connection, request)
            except BaseException as exc:  # handed to the test's thread below
                answers[index] = exc
            finally:
                connection.close()

        threads = [
            threading.Thread(target=send, args=(index, request), name=f"live-client-{index}")
            for index, request in enumerate(requests)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        return answers  # type: ignore[return-value]

    def web_session(self) -> WebSession:
        """Open the login page as a browser does: a session cookie and its CSRF token."""
        response = self.request("GET", "/login")
        cookie = SimpleCookie()
        for header in response.headers.get("set-cookie", "").split("\n"):
            if header:
                cookie.load(header)
        token = _CSRF_FIELD.search(response.body.decode())
        if response.status != 200 or token is None or not cookie:
            raise RuntimeError(f"the login page gave no session: {response}")
        return WebSession(
            "; ".join(f"{name}={morsel.value}" for name, morsel in cookie.items()), token[1]
        )

    def assert_statuses(
        self, responses: Iterable[LiveResponse], allowed: Collection[int]
    ) -> dict[int, int]:
        """Every answer has one of the ``allowed`` statuses, and none is a 5xx; errors under
        ``/api/`` are problem documents. Returns how many of each status came back."""
        responses = list(responses)
        counts: dict[int, int] = {}
        for response in responses:
            counts[response.status] = counts.get(response.status, 0) + 1
        unexpected = [r for r in responses if r.status not in allowed or r.status >= 500]
        if unexpected:
            raise AssertionError(
                self.explain(f"statuses {counts}, allowed {sorted(allowed)}", unexpected)
            )
        for response in responses:
            if response.status >= 400 and response.request.path.startswith("/api/"):
                response.problem()
        return counts

    def explain(self, summary: str, responses: Iterable[LiveResponse] = ()) -> str:
        """A failure message: ``summary``, a few of the answers, and what the server logged."""
        lines = [summary, *(f"  {response}" for response in list(responses)[:5])]
        errors = self.server_errors
        if errors:
            lines.append(f"The server logged {len(errors)} error(s); the first:")
            lines.append(traceback_excerpt(errors[0]))
        return "\n".join(lines)

    # -- reading what was committed ----------------------------------------

    def node(self, path: str) -> NodeState | None:
        """The committed node at ``path``, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(*_node_columns()).where(Node.path_hash == hash_path(path))
            ).one_or_none()
        return None if row is None else NodeState(*row)

    def _existing(self, path: str) -> NodeState:
        node = self.node(path)
        if node is None:
            raise LookupError(f"no node at {path}")
        return node

    def node_by_uid(self, uid: str) -> NodeState | None:
        """The committed node with ``uid``, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(*_node_columns()).where(Node.uid == uid)).one_or_none()
        return None if row is None else NodeState(*row)

    def children(self, folder: NodeState) -> list[NodeState]:
        """The committed children of ``folder`` in the live tree, in order."""
        low, high = descendants_range(folder.path)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*_node_columns())
                .where(Node.parent_id == folder.id, Node.path > low, Node.path < high)
                .order_by(Node.position, Node.id)
            )
            return [NodeState(*row) for row in rows]

    def subtree(self, path: str) -> list[NodeState]:
        """The committed node at ``path`` and every node whose path lies below it."""
        low, high = descendants_range(path)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*_node_columns())
                .where((Node.path == path) | ((Node.path > low) & (Node.path < high)))
                .order_by(Node.path)
            )
            return [NodeState(*row) for row in rows]

    def tree_problems(self, top: NodeState | None = None) -> list[str]:
        """What is inconsistent in the committed tree at or below ``top`` (``tree_problems``)."""
        return tree_problems(read_nodes(self.engine), top)

    def audit_mark(self) -> int:
        """The newest audit entry's id now: pass it as ``after`` to see only later entries."""
        with self.engine.connect() as connection:
            return connection.execute(select(func.coalesce(func.max(AuditEntry.id), 0))).scalar()

    def audit_entries(
        self,
        action: str | None = None,
        *,
        after: int = 0,
        target: str | None = None,
        under: str | None = None,
    ) -> list[AuditRecord]:
        """Committed audit entries newer than ``after``, oldest first; ``action`` keeps one
        kind, ``target`` one exact target, ``under`` targets at or below a node path."""
        query = select(
            AuditEntry.id,
            AuditEntry.action,
            AuditEntry.actor_login,
            AuditEntry.target,
            AuditEntry.details,
        ).where(AuditEntry.id > after)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        if target is not None:
            query = query.where(AuditEntry.target == target)
        if under is not None:
            low, high = descendants_range(under)
            query = query.where(
                (AuditEntry.target == under)
                | ((AuditEntry.target > low) & (AuditEntry.target < high))
            )
        with self.engine.connect() as connection:
            return [AuditRecord(*row) for row in connection.execute(query.order_by(AuditEntry.id))]


def traceback_excerpt(logged: str) -> str:
    """A logged error cut down to its message, Charter's own frames and the exception."""
    lines = logged.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("Traceback (most recent")]
    if not starts:
        return logged[:4000]
    # The last traceback is the one raised; its frames are indented, the
    # exception's own lines that follow are not.
    end = next(
        (n for n in range(starts[-1] + 1, len(lines)) if lines[n][:1] not in {"", " "}),
        len(lines),
    )
    kept = lines[:1]
    for number in range(starts[-1] + 1, end):
        if lines[number].lstrip().startswith("File ") and "/charter/" in lines[number]:
            kept += lines[number : number + 2]
    kept += [line for line in lines[end:] if not line.startswith("(Background")]
    return "\n".join(kept)[:4000]


def _exchange(connection: http.client.HTTPConnection, request: LiveRequest) -> LiveResponse:
    connection.request(
        request.method, request.path, body=request.body, headers=dict(request.headers)
    )
    response = connection.getresponse()
    body = response.read()
    headers: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]}\n{value}" if key in headers else value
    return LiveResponse(request, response.status, headers, body)


def _test_folder_name(test_name: str) -> str:
    """A folder name for a test: its name in lower-case letters, digits and dashes, made unique."""
    stem = re.sub(r"[^a-z0-9]+", "-", test_name.lower()).strip("-")[:60].strip("-")
    return f"{stem or 'test'}-{secrets.token_hex(3)}"


@pytest.fixture(scope="session")
def charter_live_database_url(
    charter_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The live server's database: the worker's test database name plus ``_live`` (a
    SQLite file of its own otherwise), created empty and dropped at the end."""
    with empty_database(charter_database_url, "live", tmp_path_factory) as url:
        yield url


@contextmanager
def empty_database(
    charter_database_url: str, suffix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database beside the worker's test database (its name plus ``_<suffix>``, or a
    SQLite file of its own), created empty and dropped on leaving."""
    url = make_url(charter_database_url)
    if url.get_backend_name() == "sqlite":
        folder = Path(tmp_path_factory.mktemp(suffix))
        url = make_url(f"sqlite:///{folder / f'{suffix}.sqlite'}")
    else:
        url = url.set(database=f"{url.database}_{suffix}")
    recreate_database(url)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(url)


@pytest.fixture(scope="module")
def charter_live_settings(
    charter_settings: dict[str, Any], charter_live_database_url: str
) -> dict[str, Any]:
    """The live server's settings: ``charter_settings`` on the live database, with a
    connection per thread. Override it in a test module to change a setting there."""
    return {
        **charter_settings,
        "sqlalchemy.url": charter_live_database_url,
        "charter.db.pool_size": str(LIVE_THREADS),
    }


@pytest.fixture(scope="module")
def live_server(charter_live_settings: dict[str, Any]) -> Iterator[LiveServer]:
    """Charter on waitress (4 threads) in a background thread, shared by a module's tests."""
    server = LiveServer(charter_live_settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live(live_server: LiveServer) -> LiveServer:
    """The module's live server, its list of logged errors emptied for this test."""
    live_server.forget_server_errors()
    return live_server


@pytest.fixture
def live_folder(live: LiveServer, request: pytest.FixtureRequest) -> NodeState:
    """A fresh, committed folder in the live server's root for this test to work in."""
    return live.add_folder("/", _test_folder_name(request.node.name))
