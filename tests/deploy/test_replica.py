"""A read replica that really replicates: two MariaDB servers, binlog replication, real lag.

The test starts its own pair on loopback ports, whatever ``CHARTER_TEST_DB``
names: a primary (``server-id=1``, binary log) and a replica
(``server-id=2``, ``read_only``) replicating from it, each on a data folder
made by ``mariadb-install-db``. Charter runs on a live waitress server with
``sqlalchemy.url`` on the primary and ``sqlalchemy.replica.url`` on the
replica. Stopping the replica's SQL thread freezes it, so what the replica
serves is told apart from what the primary serves by its content.

It runs in the MariaDB run of CI (``CHARTER_TEST_DB`` a MySQL URL), where
the MariaDB server binaries are installed; elsewhere it is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mysql.connector
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from charter.db.replica import WROTE_COOKIE
from charter.db.session import REPLICA_KEY
from charter.testing.live import LiveServer, LiveUser, NodeState
from tests.deploy.conftest import free_port, stop

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
DATABASE = "charter"
REPLICATION_PASSWORD = "replica-test-password"
WINDOW_SECONDS = 2
# How long a committed change may take to reach the replica before the test gives up.
CATCH_UP_SECONDS = 20

pytestmark = pytest.mark.skipif(
    make_url(os.environ.get("CHARTER_TEST_DB") or "sqlite://").get_backend_name()
    not in {"mysql", "mariadb"},
    reason="the replica test runs in the MariaDB run (CHARTER_TEST_DB=mysql+...)",
)


@dataclass
class MariaDB:
    """One mariadbd on a loopback port, with a data folder of its own."""

    folder: Path
    port: int
    process: subprocess.Popen

    def url(self) -> str:
        """The SQLAlchemy URL of Charter's database on this server."""
        return f"mysql+mysqlconnector://root@127.0.0.1:{self.port}/{DATABASE}"

    def run(self, *statements: str) -> list[tuple]:
        """Run ``statements`` as root (autocommit); the last one's rows."""
        connection = mysql.connector.connect(
            host="127.0.0.1", port=self.port, user="root", autocommit=True
        )
        try:
            cursor = connection.cursor()
            rows: list[tuple] = []
            for statement in statements:
                cursor.execute(statement)
                rows = cursor.fetchall() if cursor.with_rows else []
            return rows
        finally:
            connection.close()


def install(folder: Path) -> subprocess.Popen:
    """``mariadb-install-db`` into ``folder``, started (several run at once)."""
    return subprocess.Popen(
        [
            INSTALL_DB,
            "--no-defaults",
            f"--datadir={folder}",
            f"--user={_user()}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder.parent / f"{folder.name}-install.log").open("wb"),
    )


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def start(folder: Path, *options: str) -> MariaDB:
    """mariadbd on ``folder`` and a free loopback port, waiting until it answers."""
    port = free_port()
    log = folder.parent / f"{folder.name}.log"
    process = subprocess.Popen(
        [
            MARIADBD,
            "--no-defaults",
            f"--datadir={folder}",
            f"--user={_user()}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={folder.parent / (folder.name + '.sock')}",
            f"--pid-file={folder.parent / (folder.name + '.pid')}",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--log-error=" + str(log),
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = MariaDB(folder, port, process)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {process.returncode}:\n{log.read_text()}")
        try:
            server.run("SELECT 1")
            return server
        except mysql.connector.Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@dataclass
class Pair:
    """A primary and its replica."""

    primary: MariaDB
    replica: MariaDB

    def wait_for_catch_up(self) -> float:
        """Seconds until the replica has applied everything the primary has logged."""
        started = time.monotonic()
        file, position = self.primary.run("SHOW MASTER STATUS")[0][:2]
        # MASTER_POS_WAIT returns once the replica's SQL thread has applied up to there.
        waited = self.replica.run(
            f"SELECT MASTER_POS_WAIT('{file}', {position}, {CATCH_UP_SECONDS})"
        )[0][0]
        # NULL: replication is not running; -1: timed out.
        assert waited is not None, "replication is not running"
        assert waited >= 0, "the replica did not catch up"
        return time.monotonic() - started


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """A primary with a binary log and a replica replicating from it, both empty but for
    the ``charter`` database; stopped and their folders removed at the end."""
    for binary in (MARIADBD, INSTALL_DB):
        if not os.path.exists(binary):
            pytest.fail(f"{binary} is missing: the MariaDB run needs the mariadb-server package")
    root = tmp_path_factory.mktemp("replication")
    installs = [install(root / name) for name in ("primary", "replica")]
    for process in installs:
        assert process.wait(60) == 0, (root / "primary-install.log").read_text()[-2000:]
    servers: list[MariaDB] = []
    try:
        primary = start(
            root / "primary", "--server-id=1", "--log-bin=binlog", "--binlog-format=ROW"
        )
        servers.append(primary)
        replica = start(root / "replica", "--server-id=2", "--read-only", "--skip-slave-start")
        servers.append(replica)
        primary.run(
            f"CREATE USER 'replication'@'127.0.0.1' IDENTIFIED BY '{REPLICATION_PASSWORD}'",
            "GRANT REPLICATION SLAVE ON *.* TO 'replication'@'127.0.0.1'",
        )
        file, position = primary.run("SHOW MASTER STATUS")[0][:2]
        replica.run(
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, "
            f"MASTER_USER='replication', MASTER_PASSWORD='{REPLICATION_PASSWORD}', "
            f"MASTER_LOG_FILE='{file}', MASTER_LOG_POS={position}, MASTER_USE_GTID=no",
            "START SLAVE",
        )
        primary.run(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        yield Pair(primary, replica)
    finally:
        for server in servers:
            stop(server.process)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def charter_live_settings(charter_settings, pair):
    """The live server on the pair: writes and fresh reads on the primary, the rest on the
    replica, a window of WINDOW_SECONDS."""
    return {
        **charter_settings,
        "sqlalchemy.url": pair.primary.url(),
        "sqlalchemy.replica.url": pair.replica.url(),
        "charter.replica.read_your_writes_seconds": str(WINDOW_SECONDS),
        "charter.db.pool_size": "4",
    }


def title(live: LiveServer, node: NodeState, user: LiveUser, **headers: str) -> str:
    answer = live.request("GET", node.api_path, user=user, headers=headers)
    assert answer.status == 200, str(answer)
    return answer.json["title"]


def reads_come_from_the_replica_except_for_a_recent_writer(live, live_folder, pair):
    """A stale replica serves others; the writer reads its write on the primary in the window."""
    writer = live.make_user(roles={live_folder.path: ["Editor"]})
    reader = live.make_user(roles={live_folder.path: ["Reader"]})
    document = live.add_document(live_folder.path, "minutes", "Monday")
    lag = pair.wait_for_catch_up()
    print(f"\nreplica caught up with the set-up in {lag * 1000:.0f} ms")

    # Freeze the replica: it keeps receiving the binary log but applies nothing.
    pair.replica.run("STOP SLAVE SQL_THREAD")
    try:
        changed = live.request(
            "PATCH",
            document.api_path,
            user=writer,
            json_body={"title": "Tuesday"},
            headers={"If-Match": f'"{document.version}"'},
        )
        assert changed.status == 200, str(changed)
        written = time.monotonic()
        assert WROTE_COOKIE in changed.headers.get("set-cookie", "")

        # The write is on the primary only.
        assert pair.primary.run(f"SELECT title FROM {DATABASE}.nodes WHERE id = {document.id}") == [
            ("Tuesday",)
        ]
        assert pair.replica.run(f"SELECT title FROM {DATABASE}.nodes WHERE id = {document.id}") == [
            ("Monday",)
        ]
        # Someone else reads the replica, stale; the writer, with a token and no
        # cookie, reads its own write from the primary within the window.
        assert title(live, document, reader) == "Monday"
        assert title(live, document, writer) == "Tuesday"
        # A browser that kept the cookie, anonymous or not, is sent to the primary too.
        cookie = changed.headers["set-cookie"].split(";")[0]
        assert title(live, document, reader, Cookie=cookie) == "Tuesday"
        assert time.monotonic() - written < WINDOW_SECONDS, "too slow to test the window"

        time.sleep(WINDOW_SECONDS - (time.monotonic() - written) + 0.2)
        # After the window the writer reads the (still frozen) replica as well.
        assert title(live, document, writer) == "Monday"
        assert title(live, document, reader) == "Monday"
    finally:
        pair.replica.run("START SLAVE SQL_THREAD")

    lag = pair.wait_for_catch_up()
    print(f"replica applied the held-back change {lag * 1000:.0f} ms after its SQL thread started")
    assert title(live, document, reader) == "Tuesday"
    assert live.server_errors == []


def the_replica_refuses_writes(live):
    """The replica engine's connections are read only, whatever the account may do."""
    replica = live.registry[REPLICA_KEY]

    with replica.engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text("UPDATE nodes SET title = 'x' WHERE id = -1"))

    # 1792: "Cannot execute statement in a READ ONLY transaction".
    assert refused.value.orig.errno == 1792


def measured_lag_of_one_committed_write(live, live_folder, pair):
    """Milliseconds from a write's answer until the replica has applied it."""
    writer = live.make_user(roles={live_folder.path: ["Editor"]})
    samples = []
    for number in range(5):
        answer = live.request(
            "POST",
            live_folder.api_path,
            user=writer,
            json_body={"@type": "Document", "name": f"lag-{number}", "title": "Lag"},
        )
        assert answer.status == 201, str(answer)
        samples.append(pair.wait_for_catch_up())
    print(f"\nreplica lag after one write: {', '.join(f'{s * 1000:.1f}' for s in samples)} ms")
    assert max(samples) < CATCH_UP_SECONDS


def reads_fall_back_to_the_primary_when_the_replica_is_down(live, live_folder, pair):
    """Stopping the replica server costs its readers a retry, not an error."""
    reader = live.make_user(roles={live_folder.path: ["Reader"]})
    document = live.add_document(live_folder.path, "notes", "Up")
    pair.wait_for_catch_up()
    assert title(live, document, reader) == "Up"

    stop(pair.replica.process)
    started = time.monotonic()
    answers = [title(live, document, reader) for _ in range(3)]
    took = time.monotonic() - started

    assert answers == ["Up"] * 3
    print(f"\n3 reads with the replica down took {took * 1000:.0f} ms")
    assert live.server_errors == []


def test_a_replicating_pair(live, live_folder, pair):
    # One test, so that pytest-xdist never starts a pair per worker; the
    # replica goes down last.
    reads_come_from_the_replica_except_for_a_recent_writer(live, live_folder, pair)
    the_replica_refuses_writes(live)
    measured_lag_of_one_committed_write(live, live_folder, pair)
    reads_fall_back_to_the_primary_when_the_replica_is_down(live, live_folder, pair)
