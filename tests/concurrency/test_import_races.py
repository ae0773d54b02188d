"""Two ``charter-import`` runs of one export at once, keeping uids, on a live database.

Each import is a process of its own, as two administrators would start them.
Exactly one makes the copy; the other ends with one line on stderr naming
the cause and exit status 2, no traceback, and writes nothing: the tree
holds one copy of every uid. With the barrier, both imports pass the check
of uids before either commits, so the database's unique key decides (the
race the check cannot see); without it, whichever starts later may already
be refused by the check.
"""

import os
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import create_engine, text

from charter.testing.live import empty_database

ITEMS = 30
# Seconds an import waits for the other one at the barrier, and for either to end.
BARRIER_TIMEOUT_S = 30
RUN_TIMEOUT_S = 180

BUILD = """
import sys
from charter.audit.service import Actor
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.scripts.environment import app_environment
from charter.workflow.services import WorkflowService

with app_environment(sys.argv[1]) as env, env["request"].tm:
    request = env["request"]
    types = types_of(request.registry)
    actor = Actor(login="cli")
    content = ContentService(request.dbsession, types, actor, audit=request.audit)
    top = content.create(content.tree.root(), "Folder", {"title": "Handbook"}, "handbook")
    for number in range(int(sys.argv[2])):
        page = content.create(top, "Document", {"title": f"Page {number}", "body": "v1"})
        content.update(page, {"body": "v2"}, page.version, "second")
    WorkflowService(request.dbsession, types, actor, audit=request.audit).advance(
        page, "published"
    )
"""

# charter-import, whose check of uids waits, once passed, until the other import passed its
# own: both then write the same uids.
RACER = """
import sys
import time
from pathlib import Path

from charter.ops import importer
from charter.scripts import importing

barrier, timeout, argv = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
check = importer._check_uids


def check_then_wait(session, folder):
    check(session, folder)
    (barrier / argv[-1]).touch()
    deadline = time.monotonic() + timeout
    while len(list(barrier.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)


importer._check_uids = check_then_wait
sys.exit(importing.main(argv))
"""


@pytest.fixture
def site(charter_database_url, tmp_path_factory, tmp_path):
    """An initialised, empty site on a database of its own (the ini, the URL, the export to
    import and the environment of the tools), and that export: /handbook (ITEMS documents,
    each with two revisions, one published) of another site."""
    environ = {**os.environ, "CHARTER_ADMIN_PASSWORD": "a-password-for-the-import-races"}
    environ.pop("CHARTER_DATABASE_URL", None)
    with (
        empty_database(charter_database_url, "export_source", tmp_path_factory) as source_url,
        empty_database(charter_database_url, "import_target", tmp_path_factory) as url,
    ):
        source, target = (
            write_ini(tmp_path, "source", source_url),
            write_ini(tmp_path, "target", url),
        )
        for ini in (source, target):
            run(["-m", "charter.scripts.init", ini], environ)
        run(["-c", BUILD, source, str(ITEMS)], environ)
        run(["-m", "charter.scripts.export", source, "/handbook", str(tmp_path / "export")])
        yield target, url, tmp_path / "export", environ


def write_ini(folder, name, url):
    """A site's ini file: its database, its own blob folder."""
    path = folder / f"{name}.ini"
    path.write_text(
        textwrap.dedent(
            """\
            [app:main]
            use = egg:charter
            sqlalchemy.url = {url}
            charter.session.secret = a-session-secret-of-at-least-32-characters
            charter.blobs.path = {blobs}
            """
        ).format(url=url.replace("%", "%%"), blobs=folder / f"{name}-blobs"),
        encoding="utf-8",
    )
    return str(path)


def run(args, environ=None):
    subprocess.run(
        [sys.executable, *args], check=True, capture_output=True, env=environ, timeout=RUN_TIMEOUT_S
    )


def race(site, tmp_path, barrier):
    """Start two imports of the export under the names ``a`` and ``b`` at once; their exit
    statuses and stderr, by name."""
    ini, _, export, environ = site
    (tmp_path / "barrier").mkdir()
    processes = {}
    for name in ("a", "b"):
        if barrier:
            prefix = ["-c", RACER, str(tmp_path / "barrier"), str(BARRIER_TIMEOUT_S)]
        else:
            prefix = ["-m", "charter.scripts.importing"]
        processes[name] = subprocess.Popen(
            [sys.executable, *prefix, ini, str(export), "/", "--name", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
            text=True,
        )
    results = {}
    for name, process in processes.items():
        out, err = process.communicate(timeout=RUN_TIMEOUT_S)
        results[name] = (process.returncode, out, err)
    return results


def copies(url):
    """The imported copies' top paths, the most copies of any uid, and the rows the copies
    own (items, revisions, workflow steps)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        tops = sorted(connection.scalars(text("SELECT path FROM nodes WHERE path IN ('/a', '/b')")))
        most = connection.scalar(
            text("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM nodes GROUP BY uid) per_uid")
        )
        below = "path = :top OR path LIKE :children"
        rows = {}
        for top in tops:
            params = {"top": top, "children": f"{top}/%"}
            ids = f"SELECT id FROM nodes WHERE {below}"
            rows[top] = tuple(
                connection.scalar(text(query), params)
                for query in (
                    f"SELECT COUNT(*) FROM nodes WHERE {below}",
                    f"SELECT COUNT(*) FROM revisions WHERE node_id IN ({ids})",
                    f"SELECT COUNT(*) FROM workflow_history WHERE node_id IN ({ids})",
                )
            )
    engine.dispose()
    return tops, most, rows


def assert_one_copy(site, results, messages):
    _, url, _, _ = site
    statuses = sorted(status for status, _, _ in results.values())
    assert statuses == [0, 2], results
    winner = next(name for name, (status, _, _) in results.items() if status == 0)
    loser_err = next(err for status, _, err in results.values() if status == 2)
    assert "Traceback" not in loser_err, loser_err
    lines = loser_err.strip().splitlines()
    assert len(lines) == 1, loser_err
    assert lines[0].startswith("charter-import: "), loser_err
    assert lines[0].endswith("; nothing was imported."), loser_err
    assert any(message in lines[0] for message in messages), loser_err
    tops, most, rows = copies(url)
    assert tops == [f"/{winner}"]
    assert most == 1
    # The folder and its pages; each page's two revisions and the folder's one; the last
    # page's two workflow steps (submitted, then published).
    assert rows == {f"/{winner}": (ITEMS + 1, 2 * ITEMS + 1, 2)}


def test_two_imports_past_the_uid_check_at_once_make_one_copy(site, tmp_path):
    if site[1].startswith("sqlite"):
        # A SQLite writer holds the database from its first statement: the second import's
        # check waits for the first's commit, so both can never pass it at once.
        pytest.skip("SQLite runs imports one after the other")
    results = race(site, tmp_path, barrier=True)
    assert_one_copy(site, results, ["was added here meanwhile (by another import?)"])


def test_two_imports_started_at_once_make_one_copy(site, tmp_path):
    results = race(site, tmp_path, barrier=False)
    assert_one_copy(
        site, results, ["was added here meanwhile (by another import?)", "already exists here"]
    )
