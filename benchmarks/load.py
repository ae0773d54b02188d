"""Load: 16 clients of mixed reads and writes for 60 s, then a check of what was committed.

Charter runs under waitress with 4 threads in its own process (``serve.py``),
as in production. Each client is a person with their own read-write API token
and Editor role on ``/load``; it reads documents and folders, changes
documents with ``If-Match``, creates, deletes and moves documents and moves
folders, all on the same small tree, so that the clients keep running into
each other. Losing a race is an answer the API documents (404, 409, 412);
a 5xx never is. DESIGN.md's budget: 0 server errors under 16 concurrent
clients of mixed reads and writes, on every database. Afterwards the tree
must be consistent and the audit log must hold one entry per successful write.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchlib import (
    charter_engine,
    database_url,
    describe_server,
    fresh_database,
    percentile,
    print_table,
    remove_database,
    shown,
    verdict,
)
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from throughput import served

from charter.accounts.models import User
from charter.accounts.passwords import hash_password
from charter.accounts.services import TokenService
from charter.audit.models import AuditEntry
from charter.content.services import ContentService
from charter.security.principals import user_principal
from charter.security.roles import DEFAULT_ROOT_GRANTS
from charter.security.sharing import SharingService
from charter.testing.live import read_nodes, traceback_excerpt, tree_problems

API = "/api/v1/content"
AREAS = 4
BOXES_PER_AREA = 2
DOCUMENTS_PER_FOLDER = 8
CLIENT_TIMEOUT_S = 60
# What a node renamed or moved away leaves at its old path (GET, other methods).
REDIRECTS = frozenset({301, 308})
MAX_REDIRECTS = 5
# Characters of each line of the server's traceback shown (SQL parameters run long).
LOG_LINE_WIDTH = 240
PROBLEMS_SHOWN = 3
# The share of each operation in a client's choices (reads about half).
OPERATIONS: dict[str, int] = {
    "read document": 35,
    "read folder": 15,
    "patch document": 16,
    "create document": 12,
    "delete document": 8,
    "move document": 9,
    "move folder": 5,
}
# What each operation may answer when it loses a race; anything else is unexpected.
# (A node moved away answers its old path with a redirect, which the client
# follows; one deleted, with 404.)
EXPECTED: dict[str, frozenset[int]] = {
    "read document": frozenset({200, 301, 404}),
    "read folder": frozenset({200, 301, 404}),
    "find by uid": frozenset({303, 404}),
    "patch document": frozenset({200, 308, 404, 412}),
    "create document": frozenset({201, 308, 404, 409}),
    "delete document": frozenset({204, 308, 404, 412}),
    # 400: the destination folder was moved away meanwhile.
    "move document": frozenset({200, 308, 400, 404, 409}),
    "move folder": frozenset({200, 308, 404, 409}),
}
# The audit entry each successful write must leave.
AUDITED = {
    ("create document", 201): "content.added",
    ("patch document", 200): "content.modified",
    ("delete document", 204): "content.trashed",
    ("move document", 200): "content.moved",
    ("move folder", 200): "content.moved",
}


@dataclass(frozen=True)
class LoadOptions:
    """How many clients, for how long."""

    clients: int
    duration_s: int
    seed: int = 2026


@dataclass
class Known:
    """What the clients believe about the tree: paths and versions by uid."""

    documents: dict[str, list[Any]] = field(default_factory=dict)  # uid -> [path, version]
    boxes: dict[str, str] = field(default_factory=dict)  # uid -> path
    areas: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pick_document(self, rng: random.Random) -> tuple[str, str, int] | None:
        """A random document: uid, path, version."""
        with self.lock:
            if not self.documents:
                return None
            uid = rng.choice(list(self.documents))
            path, version = self.documents[uid]
            return uid, path, version

    def pick_box(self, rng: random.Random) -> tuple[str, str]:
        """A random folder below an area: uid, path."""
        with self.lock:
            uid = rng.choice(list(self.boxes))
            return uid, self.boxes[uid]

    def pick_folder(self, rng: random.Random) -> str:
        """The path of an area or of a folder below one."""
        with self.lock:
            return rng.choice(self.areas + list(self.boxes.values()))

    def saw(self, node: dict[str, Any]) -> None:
        """Remember a node's path and version from its JSON."""
        with self.lock:
            if node["@type"] == "Folder":
                if node["uid"] in self.boxes:
                    self.boxes[node["uid"]] = node["path"]
            else:
                self.documents[node["uid"]] = [node["path"], node["version"]]

    def moved(self, uid: str, path: str) -> None:
        """Remember that ``uid`` is now at ``path`` (version unknown until read)."""
        with self.lock:
            if uid in self.documents:
                self.documents[uid][0] = path
            elif uid in self.boxes:
                self.boxes[uid] = path

    def versioned(self, uid: str, version: int) -> None:
        """Remember the version a 412 named as current."""
        with self.lock:
            if uid in self.documents:
                self.documents[uid][1] = version

    def forget(self, uid: str) -> None:
        """The node is gone."""
        with self.lock:
            self.documents.pop(uid, None)


@dataclass
class Tally:
    """What the clients saw: answers, latencies, writes that succeeded."""

    statuses: Counter = field(default_factory=Counter)  # (operation, status) -> count
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    audited: Counter = field(default_factory=Counter)  # (action, uid) -> count
    created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    socket_errors: int = 0
    samples: list[str] = field(default_factory=list)  # a few unexpected answers
    client_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, status: int, millis: float, body: bytes) -> None:
        """Count one answer."""
        with self.lock:
            self.statuses[(operation, status)] += 1
            self.latencies_ms.setdefault(operation, []).append(millis)
            if status not in EXPECTED[operation] and len(self.samples) < 5:
                self.samples.append(f"{operation} -> {status} {body[:300]!r}")

    def client_error(self, text: str) -> None:
        """An answer the client could not make sense of (a missing key, bad JSON)."""
        with self.lock:
            self.client_errors.append(text)

    def wrote(self, operation: str, status: int, uid: str) -> None:
        """A write that succeeded must leave one audit entry."""
        with self.lock:
            self.audited[(AUDITED[(operation, status)], uid)] += 1
            if operation == "create document":
                self.created.add(uid)
            elif operation == "delete document":
                self.deleted.add(uid)


class Client:
    """One person working through the API on a keep-alive connection until the deadline."""

    def __init__(
        self,
        number: int,
        base_url: str,
        token: str,
        known: Known,
        tally: Tally,
        seed: int,
    ) -> None:
        address = re.match(r"http://([^:/]+):(\d+)", base_url)
        if address is None:
            raise ValueError(base_url)
        self.host, self.port = address[1], int(address[2])
        self.base_url = base_url
        self.number = number
        self.headers = {"Authorization": f"Bearer {token}"}
        self.known = known
        self.tally = tally
        self.rng = random.Random(seed * 1000 + number)
        self.counter = 0
        self.connection: http.client.HTTPConnection | None = None
        self.actions: dict[str, Callable[[], None]] = {
            "read document": self.read_document,
            "read folder": self.read_folder,
            "patch document": self.patch_document,
            "create document": self.create_document,
            "delete document": self.delete_document,
            "move document": self.move_document,
            "move folder": self.move_folder,
        }

    def run(self, deadline: float) -> None:
        """Choose and perform operations until ``deadline`` (time.monotonic)."""
        names, weights = list(OPERATIONS), list(OPERATIONS.values())
        while time.monotonic() < deadline:
            try:
                self.actions[self.rng.choices(names, weights)[0]]()
            except Exception as error:  # an answer the client could not read: reported
                self.tally.client_error(f"{type(error).__name__}: {error}")
        if self.connection is not None:
            self.connection.close()

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """Send a request, following the redirects a moved node leaves (301, 308) as
        ``curl -L`` does; (status, headers, parsed JSON or None) of the last answer."""
        for _ in range(MAX_REDIRECTS):
            status, answer_headers, parsed = self.send(operation, method, path, body, headers)
            if status not in REDIRECTS or "location" not in answer_headers:
                break
            path = answer_headers["location"].removeprefix(self.base_url)
        return status, answer_headers, parsed

    def send(
        self,
        operation: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """Send one request; (status, headers, parsed JSON or None). Status 0: no answer."""
        all_headers = {**self.headers, **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=CLIENT_TIMEOUT_S
                )
            self.connection.request(method, path, body=data, headers=all_headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            with self.tally.lock:
                self.tally.socket_errors += 1
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return 0, {}, None
        millis = (time.perf_counter() - started) * 1000
        self.tally.record(operation, response.status, millis, raw)
        parsed = None
        if raw and "json" in (response.getheader("Content-Type") or ""):
            parsed = json.loads(raw)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed

    def unique(self, prefix: str) -> str:
        """A name or title no other request uses, so every write really changes something."""
        self.counter += 1
        return f"{prefix}-{self.number}-{self.counter}"

    def lost(self, uid: str) -> None:
        """A node answered 404 at its known path: look it up by uid (it may have moved)."""
        status, headers, _ = self.call("find by uid", "GET", f"/api/v1/nodes/{uid}")
        if status == 303:
            location = headers["location"].removeprefix(self.base_url).removeprefix(API)
            self.known.moved(uid, location or "/")
        elif status == 404:
            self.known.forget(uid)

    def stale(self, uid: str, status: int, problem: dict[str, Any]) -> None:
        """A write found the node changed (412 with ``current_version``), deleted (412
        without it) or gone from its known path (404)."""
        if status == 412 and "current_version" in problem:
            self.known.versioned(uid, problem["current_version"])
        elif status == 412:
            self.known.forget(uid)
        else:
            self.lost(uid)

    def read_document(self) -> None:
        """GET a document's JSON."""
        picked = self.known.pick_document(self.rng)
        if picked is None:
            return
        uid, path, _ = picked
        status, _, body = self.call("read document", "GET", API + path)
        if status == 200:
            self.known.saw(body)
        elif status == 404:
            self.lost(uid)

    def read_folder(self) -> None:
        """GET the first page of a folder."""
        status, _, body = self.call("read folder", "GET", API + self.known.pick_folder(self.rng))
        if status == 200:
            for item in body["items"]:
                if item["@type"] != "Folder":
                    self.known.saw(item)

    def patch_document(self) -> None:
        """Change a document's title with If-Match."""
        picked = self.known.pick_document(self.rng)
        if picked is None:
            return
        uid, path, version = picked
        status, _, body = self.call(
            "patch document",
            "PATCH",
            API + path,
            {"title": self.unique("Edited")},
            {"If-Match": f'"{version}"'},
        )
        if status == 200:
            self.tally.wrote("patch document", status, uid)
            self.known.saw(body)
        elif status in {404, 412}:
            self.stale(uid, status, body)

    def create_document(self) -> None:
        """POST a document, named from its title half the time."""
        folder = self.known.pick_folder(self.rng)
        fields: dict[str, Any] = {"@type": "Document", "title": "Note", "body": "Load test."}
        if self.rng.random() < 0.5:
            fields["name"] = self.unique("doc")
        status, _, body = self.call("create document", "POST", API + folder, fields)
        if status == 201:
            self.tally.wrote("create document", status, body["uid"])
            self.known.saw(body)

    def delete_document(self) -> None:
        """DELETE a document with If-Match."""
        picked = self.known.pick_document(self.rng)
        if picked is None:
            return
        uid, path, version = picked
        status, _, body = self.call(
            "delete document", "DELETE", API + path, headers={"If-Match": f'"{version}"'}
        )
        if status == 204:
            self.tally.wrote("delete document", status, uid)
            self.known.forget(uid)
        elif status in {404, 412}:
            self.stale(uid, status, body)

    def move_document(self) -> None:
        """Move a document into another folder, under a new name (so it always moves)."""
        picked = self.known.pick_document(self.rng)
        if picked is None:
            return
        uid, path, _ = picked
        self._move("move document", uid, path, self.known.pick_folder(self.rng))

    def move_folder(self) -> None:
        """Move a folder (with what it holds) into another area, under a new name."""
        uid, path = self.known.pick_box(self.rng)
        self._move("move folder", uid, path, self.rng.choice(self.known.areas))

    def _move(self, operation: str, uid: str, path: str, destination: str) -> None:
        status, _, body = self.call(
            operation,
            "POST",
            f"{API}{path}/@move",
            {"destination": destination, "name": self.unique("moved")},
        )
        if status == 200:
            self.tally.wrote(operation, status, uid)
            self.known.moved(uid, body["path"])
        elif status == 404:
            self.lost(uid)


@dataclass(frozen=True)
class Site:
    """The seeded tree and the clients' tokens."""

    tokens: list[str]
    known: Known
    node_count: int


def seed_site(url: URL, clients: int) -> Site:
    """A migrated site with ``/load``: areas holding folders and documents, and one
    account per client (Editor of ``/load``, with a read-write API token)."""
    fresh_database(url)
    engine = charter_engine(url)
    known = Known()
    try:
        with Session(engine) as session, session.begin():
            content = ContentService(session)
            root = content.create_root("Charter load test")
            SharingService(session).update(root, DEFAULT_ROOT_GRANTS)
            load = content.add_folder(root, "load", "Load")
            nodes, boxes = [root, load], []
            for area_number in range(AREAS):
                area = content.add_folder(load, f"area-{area_number}", f"Area {area_number}")
                known.areas.append(area.path)
                folders = [area]
                for box_number in range(BOXES_PER_AREA):
                    box = content.add_folder(area, f"box-{box_number}", f"Box {box_number}")
                    folders.append(box)
                    boxes.append(box)
                nodes += folders
                for folder in folders:
                    for number in range(DOCUMENTS_PER_FOLDER):
                        document = content.add_document(
                            folder, f"doc-{number}", f"Document {number}", "Seeded."
                        )
                        nodes.append(document)
            # Argon2 takes a good fraction of a second: one hash serves every account.
            password_hash = hash_password("load-test-password")
            users = []
            for number in range(clients):
                user = User(
                    login=f"load-{number}",
                    email=f"load-{number}@example.com",
                    full_name=f"Load client {number}",
                    password_hash=password_hash,
                )
                session.add(user)
                users.append(user)
            session.flush()  # ids for the grants and tokens below
            SharingService(session).update(
                load, {user_principal(user.id): ["Editor"] for user in users}
            )
            tokens = [
                TokenService(session).create(user, "load test", scope="read-write")[1]
                for user in users
            ]
            session.flush()  # uids, paths and versions are read below
            for node in nodes:
                if node.type == "Document":
                    known.documents[node.uid] = [node.path, node.version]
            known.boxes.update((box.uid, box.path) for box in boxes)
            node_count = len(nodes)
    finally:
        engine.dispose()
    return Site(tokens, known, node_count)


def audit_mark(engine: Engine) -> int:
    """The newest audit entry's id."""
    with engine.connect() as connection:
        return connection.execute(select(func.coalesce(func.max(AuditEntry.id), 0))).scalar()


def content_entries(engine: Engine, after: int) -> Counter:
    """(action, uid) of every content entry newer than ``after``."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntry.action, AuditEntry.details).where(
                AuditEntry.id > after, AuditEntry.action.like("content.%")
            )
        )
        return Counter((action, details.get("uid")) for action, details in rows)


def drive(base_url: str, site: Site, options: LoadOptions) -> tuple[Tally, float]:
    """Run every client until the time is up; the tally and the seconds it took."""
    tally = Tally()
    clients = [
        Client(number, base_url, token, site.known, tally, options.seed)
        for number, token in enumerate(site.tokens)
    ]
    deadline = time.monotonic() + options.duration_s
    started = time.monotonic()
    threads = [
        # Daemons: an interrupted run (Ctrl+C) ends without waiting for the deadline.
        threading.Thread(
            target=client.run,
            args=(deadline,),
            name=f"load-client-{client.number}",
            daemon=True,
        )
        for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.monotonic() - started


def check_committed(engine: Engine, site: Site, tally: Tally, mark: int) -> dict[str, list[str]]:
    """What the database holds that contradicts what the clients were told, by kind."""
    nodes = read_nodes(engine)
    # Deleted nodes may stay as rows in the trash, outside the live tree under /.
    uids = {node.uid for node in nodes if node.path.startswith("/")}
    gone = [f"{uid}: deleted (204) but still in the tree" for uid in sorted(tally.deleted & uids)]
    gone += [
        f"{uid}: created (201), never deleted, but not in the tree"
        for uid in sorted(tally.created - tally.deleted - uids)
    ]
    expected_count = site.node_count + len(tally.created) - len(tally.deleted)
    if len(uids) != expected_count:
        gone.append(
            f"{len(uids)} nodes, expected {expected_count} ({site.node_count} seeded "
            f"+ {len(tally.created)} created - {len(tally.deleted)} deleted)"
        )
    entries = content_entries(engine, mark)
    audit = [
        f"{entries[key]} '{key[0]}' entries for {key[1]}, {tally.audited[key]} successful write(s)"
        for key in sorted(set(entries) | set(tally.audited))
        if entries[key] != tally.audited[key]
    ]
    return {
        "tree (paths, depths, hashes, parents)": tree_problems(nodes),
        "created and deleted nodes": gone,
        "audit log (one entry per successful write)": audit,
    }


def first_server_error(log_path: Path) -> str | None:
    """The first error the server logged: its message, Charter's frames, the exception."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    found = re.search(r"^ERROR:.*$", text, re.MULTILINE)
    if found is None:
        return None
    following = re.search(r"^(?:ERROR|WARNING|INFO):", text[found.end() :], re.MULTILINE)
    end = found.end() + following.start() if following else len(text)
    return traceback_excerpt(text[found.start() : end])


# Issue 12: a process serving the mixed load grows by less than this after warm-up.
MAX_RSS_GROWTH_MB = 20


class MemoryWatch:
    """Samples a process's resident memory (``VmRSS``) twice a second while the load runs.

    The figure that counts is the growth from the end of the warm-up (the
    first third of the run, at most 10 s: caches, pools and imports fill up)
    to the end of the run.
    """

    def __init__(self, pid: int, warmup_s: float) -> None:
        self.pid = pid
        self.warmup_s = warmup_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read(time.monotonic())

    def _sample(self) -> None:
        started = time.monotonic()
        self._read(started)
        while not self._stop.wait(0.5):
            self._read(started)

    def _read(self, started: float) -> None:
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            self.samples.append((time.monotonic() - started, int(found[1]) / 1024))

    def figures(self) -> tuple[float, float, float] | None:
        """(MiB after warm-up, MiB at the end, peak MiB), or None without samples."""
        warm = [rss for at, rss in self.samples if at >= self.warmup_s]
        if not warm:
            return None
        return warm[0], self.samples[-1][1], max(rss for _, rss in self.samples)


def run_one(url: URL, options: LoadOptions, threads: int, keep: bool, work_folder: Path) -> bool:
    """Load one database; print its figures; return whether it met the budget."""
    log_path = work_folder / f"load-server-{url.get_backend_name()}.log"
    try:
        site = seed_site(url, options.clients)
        engine = charter_engine(url)
        try:
            print(f"  database: {shown(url)} ({describe_server(engine)})", flush=True)
            mark = audit_mark(engine)
            with log_path.open("w") as log, served("charter", threads, log, url) as base_url:
                warmup_s = min(10.0, options.duration_s / 3)
                with MemoryWatch(base_url.pid, warmup_s) as memory:
                    tally, elapsed = drive(base_url, site, options)
            problems = check_committed(engine, site, tally, mark)
        finally:
            engine.dispose()
    finally:
        if not keep:
            remove_database(url)
    return report(tally, elapsed, problems, log_path) & report_memory(memory)


def report_memory(memory: MemoryWatch) -> bool:
    """Print the server's memory figures; True when it grew less than the budget."""
    figures = memory.figures()
    if figures is None:
        print("  memory: no samples of the server's resident memory: FAIL")
        return False
    warm, end, peak = figures
    growth = end - warm
    passed = growth < MAX_RSS_GROWTH_MB
    print(
        f"  server memory (RSS): {warm:.1f} MiB after {memory.warmup_s:.0f} s of warm-up, "
        f"{end:.1f} MiB at the end (peak {peak:.1f}): grew {growth:+.1f} MiB "
        f"(budget < {MAX_RSS_GROWTH_MB}): {verdict(passed)}"
    )
    LAST_MEMORY_GROWTH.append(growth)
    return passed


# The growth and the errors (unexpected statuses, 5xx among them, and socket
# errors) each run measured, for run.py's summary table.
LAST_MEMORY_GROWTH: list[float] = []
LAST_ERRORS: list[int] = []


def report(tally: Tally, elapsed: float, problems: dict[str, list[str]], log_path: Path) -> bool:
    """Print the figures of one run; True when it passed."""
    rows = []
    for operation in [*OPERATIONS, "find by uid"]:
        statuses = sorted(
            (status, count) for (name, status), count in tally.statuses.items() if name == operation
        )
        millis = sorted(tally.latencies_ms.get(operation, []))
        if not millis:
            continue
        rows.append(
            [
                operation,
                f"{len(millis):,}",
                ", ".join(f"{status}: {count}" for status, count in statuses),
                f"{percentile(millis, 50):.1f}",
                f"{percentile(millis, 99):.1f}",
            ]
        )
    print_table(["operation", "requests", "statuses", "p50 ms", "p99 ms"], rows)
    every = sorted(value for values in tally.latencies_ms.values() for value in values)
    requests = len(every)
    server_errors = sum(count for (_, status), count in tally.statuses.items() if status >= 500)
    unexpected = sum(
        count
        for (operation, status), count in tally.statuses.items()
        if status not in EXPECTED[operation]
    )
    writes = sum(tally.audited.values())
    print(
        f"  {requests:,} requests in {elapsed:.1f} s = {requests / elapsed:,.1f} req/s; "
        f"p50 {percentile(every, 50) if every else 0:.1f} ms, "
        f"p99 {percentile(every, 99) if every else 0:.1f} ms; {writes:,} successful writes"
    )
    print(
        f"  5xx: {server_errors}; other unexpected statuses: {unexpected - server_errors}; "
        f"socket errors: {tally.socket_errors}; answers the clients could not read: "
        f"{len(tally.client_errors)}"
    )
    for text in tally.client_errors[:PROBLEMS_SHOWN]:
        print(f"    e.g. {text[:LOG_LINE_WIDTH]}")
    for sample in tally.samples:
        print(f"    e.g. {sample}")
    error = first_server_error(log_path) if server_errors else None
    if error:
        print("  first error in the server's log:")
        for line in error.splitlines():
            print(f"    {line[:LOG_LINE_WIDTH]}")
    print("  consistency afterwards:")
    for kind, found in problems.items():
        print(f"    {kind}: {'consistent' if not found else f'{len(found)} problem(s)'}")
        for problem in found[:PROBLEMS_SHOWN]:
            print(f"      {problem[:LOG_LINE_WIDTH]}")
    consistent = not any(problems.values())
    passed = (
        server_errors == 0
        and unexpected == 0
        and not tally.socket_errors
        and not tally.client_errors
        and consistent
    )
    print(f"  0 server errors and a consistent database: {verdict(passed)}")
    LAST_ERRORS.append(unexpected + tally.socket_errors + len(tally.client_errors))
    return passed


def run_load(
    base_urls: list[str | None],
    options: LoadOptions,
    threads: int,
    keep: bool,
    work_folder: Path,
) -> bool:
    """Run the load test on each database (None: a temporary SQLite file); True if all pass."""
    print(
        f"== Load: {options.clients} clients, {options.duration_s} s of mixed reads and "
        f"writes, waitress with {threads} threads =="
    )
    results = []
    for base_url in base_urls:
        url = database_url(base_url, "load", work_folder)
        results.append(run_one(url, options, threads, keep, work_folder))
        if keep:
            print(f"  kept: {shown(url)}")
    print()
    return all(results)
