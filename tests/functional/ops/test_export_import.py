"""``charter-export`` and ``charter-import``: a subtree moved to another site gives the same API
output for every item (uids, bodies, bytes); every refusal leaves the target as it was; a
hostile export folder is refused with one line."""

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyramid.paster import get_app
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.accounts.services import TokenService
from charter.audit.service import Actor
from charter.content.registry import types_of
from charter.content.services import ContentService, Uploads
from charter.ops import export as export_service
from charter.ops import transfer
from charter.ops.transfer import CHECKSUMS, MANIFEST
from charter.scripts import export, importing, init
from charter.scripts.environment import app_environment
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.databases import drop_database, recreate_database
from charter.testing.strategies import invalid_utf8, over_limit_text
from charter.tree.names import name_problem
from charter.workflow.services import WorkflowService

CLI = Actor(login="cli")
# What an import makes anew: the version counter of its own history.
VOLATILE = {"version"}
FILE_BYTES = b"%PDF-1.4 not really a pdf\n" + bytes(range(256)) * 40
NEW_BYTES = b"%PDF-1.4 the second scan\n" + bytes(range(256)) * 30


@pytest.fixture
def source_ini(write_ini, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-export-tests")
    path = write_ini(f"charter.blobs.path = {tmp_path / 'blobs'}")
    assert init.main([path]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def target(source_ini, scratch_database_url, tmp_path, capsys):
    """A second, initialised site: its own database and blob folder."""
    url = make_url(scratch_database_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(database=str(tmp_path / "target.sqlite"))
    else:
        url = url.set(database=f"{url.database}_target")
    recreate_database(url)
    text_url = url.render_as_string(hide_password=False)
    source = Path(source_ini).read_text(encoding="utf-8")
    path = tmp_path / "target.ini"
    path.write_text(
        source.replace(scratch_database_url.replace("%", "%%"), text_url.replace("%", "%%"))
        .replace(str(tmp_path / "blobs"), str(tmp_path / "target-blobs"))
        .replace("CLI Test Site", "Target Site"),
        encoding="utf-8",
    )
    assert init.main([str(path)]) == 0
    capsys.readouterr()
    yield str(path), text_url
    drop_database(url)


def add_user(session, login):
    user = User(login=login, email=f"{login}@example.com", password_hash="x", full_name=login)
    session.add(user)
    session.flush()  # the grant below names the new id
    return user


def build_subtree(ini):
    """/transfer: folders, a document edited twice (by jane and bob) and published (by bob), a
    file whose bytes jane replaced, local roles, roles blocked below, an item in the trash;
    accounts jane (on both sites) and bob."""
    with app_environment(ini) as env:
        request = env["request"]
        with request.tm:
            session = request.dbsession
            types = types_of(request.registry)
            uploads = Uploads(request.blobs, request.tm, 10_000_000)
            content = ContentService(session, types, CLI, audit=request.audit, uploads=uploads)
            workflow = WorkflowService(session, types, CLI, audit=request.audit)
            sharing = SharingService(session, request.audit)
            jane, bob = add_user(session, "jane"), add_user(session, "bob")
            as_jane, as_bob = (
                ContentService(
                    session, types, Actor(user.id, user.login), audit=request.audit, uploads=uploads
                )
                for user in (jane, bob)
            )
            root = content.tree.root()
            top = content.create(
                root, "Folder", {"title": "Transfer", "description": "All of them"}, "transfer"
            )
            plan = content.create(top, "Document", {"title": "Plan", "body": "# v1"}, "plan")
            as_jane.update(plan, {"body": "# v2\n\n*more*"}, plan.version, "second")
            as_bob.update(plan, {"title": "The plan"}, plan.version, "third")
            workflow.advance(plan, "pending")
            WorkflowService(session, types, Actor(bob.id, "bob"), audit=request.audit).advance(
                plan, "published", "looks good"
            )
            sub = content.create(top, "Folder", {"title": "Sub"}, "sub")
            notes = content.upload(sub, io.BytesIO(FILE_BYTES), "notes.pdf", title="Notes")
            as_jane.replace(notes, io.BytesIO(NEW_BYTES), None, notes.version, "new scan")
            content.create(sub, "Document", {"title": "Draft", "body": "draft"}, "draft")
            old = content.create(top, "Document", {"title": "Old", "body": "gone"}, "old")
            content.delete(old)
            sharing.update(top, {user_principal(jane.id): ["Editor"]}, actor=CLI)
            sharing.update(
                sub,
                {user_principal(bob.id): ["Reader"], "system.Authenticated": ["Reader"]},
                inherit=False,
                actor=CLI,
            )


def add_jane(ini):
    with app_environment(ini) as env, env["request"].tm:
        add_user(env["request"].dbsession, "jane")


def api_client(ini, url):
    """WebTest on the site of ``ini``, with a read-write token of its administrator."""
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        admin = session.scalars(select(User).where(User.login == "admin")).one()
        _, token = TokenService(session).create(admin, "export tests", scope="read-write")
    engine.dispose()
    app = webtest.TestApp(get_app(ini), extra_environ={"HTTP_HOST": "example.com"})
    app.authorization = ("Bearer", token)
    return app


def live_paths(url, below="/transfer"):
    engine = create_engine(url)
    with engine.connect() as connection:
        paths = sorted(
            p
            for p in connection.scalars(text("SELECT path FROM nodes"))
            if p == below or p.startswith(below + "/")
        )
    engine.dispose()
    return paths


def site_state(url, blobs):
    """What a refused import must not change: every row count that content writes touch,
    and the stored blobs."""
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {
            table: connection.scalar(select(func.count()).select_from(text(table)))
            for table in (
                "nodes",
                "local_roles",
                "audit_log",
                "revisions",
                "workflow_history",
                "files",
                "changes",
            )
        }
    engine.dispose()
    stored = sorted(p.name for p in Path(blobs).rglob("*") if p.is_file() and len(p.name) == 64)
    return counts, stored


def stable(body):
    """A node's API JSON without what an import makes anew."""
    kept = {key: value for key, value in body.items() if key not in VOLATILE}
    if "items" in kept:
        kept["items"] = [stable(item) for item in kept["items"]]
    return kept


def sharing_of(app, path):
    entries = app.get(f"/api/v1/content{path}/@sharing").json["entries"]
    return sorted((entry["title"], tuple(entry["roles"])) for entry in entries)


@pytest.fixture
def exported(source_ini, scratch_database_url, tmp_path, capsys, monkeypatch):
    build_subtree(source_ini)
    # Batches of two: the keyset pages cross depths and sibling positions.
    monkeypatch.setattr(export_service, "BATCH", 2)
    folder = tmp_path / "export"
    assert export.main([source_ini, "/transfer", str(folder)]) == 0
    # The file's bytes now and before jane replaced them.
    assert "Exported 5 item(s) from /transfer and 2 file(s)" in capsys.readouterr().out
    return folder


def test_round_trip_gives_the_same_items_uids_bodies_and_bytes(
    source_ini, target, exported, scratch_database_url, capsys
):
    target_ini, target_url = target
    add_jane(target_ini)
    manifest = json.loads((exported / MANIFEST).read_text())
    assert (manifest["format"], manifest["version"], manifest["root"]) == (
        "charter-export",
        2,
        "/transfer",
    )
    assert manifest["nodes"] == 5
    assert manifest["blobs"]["count"] == 2
    assert manifest["site"] == {"title": "CLI Test Site"}

    assert importing.main([target_ini, str(exported), "/"]) == 0
    captured = capsys.readouterr()
    assert (
        "Imported 5 item(s) (1 file(s), 8 revision(s), 2 workflow step(s)) as /transfer"
        in captured.out
    )
    # bob has no account on the target: his grant is reported and left out.
    assert "account 'bob'" in captured.err

    source = api_client(source_ini, scratch_database_url)
    copy = api_client(target_ini, target_url)
    paths = live_paths(scratch_database_url)
    assert paths == live_paths(target_url)
    assert "/transfer/old" not in paths
    assert len(paths) == 5
    for path in paths:
        url = f"/api/v1/content{path}"
        # Dates, uids, fields, states: all but the version counter.
        assert stable(copy.get(url).json) == stable(source.get(url).json), path
        # Every revision (number, date, author, comment, fields) and the workflow history.
        assert copy.get(f"{url}/@history").json == source.get(f"{url}/@history").json, path
        assert copy.get(f"{url}/@workflow").json == source.get(f"{url}/@workflow").json, path
    download = "/api/v1/content/transfer/sub/notes.pdf/@download"
    assert copy.get(download).body == source.get(download).body == NEW_BYTES
    first = "/api/v1/content/transfer/sub/notes.pdf/@history/1/@download"
    assert copy.get(first).body == source.get(first).body == FILE_BYTES
    assert copy.get("/api/v1/content/transfer/plan").json["state"] == "published"
    assert sharing_of(copy, "/transfer") == sharing_of(source, "/transfer")
    kept = [entry for entry in sharing_of(source, "/transfer/sub") if entry[0] != "bob"]
    assert len(kept) == 1
    assert sharing_of(copy, "/transfer/sub") == kept
    assert copy.get("/api/v1/content/transfer/sub/@sharing").json["inherit"] is False
    history = copy.get("/api/v1/content/transfer/plan/@history").json
    assert [item["author"] for item in history["items"]] == ["bob", "jane", "cli"]
    assert "Imported from" not in json.dumps(history)


def authors(url, path):
    """Who signed each revision and workflow step of the item at ``path``: (account id's
    login or None, the login kept as text)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        node = connection.scalar(text("SELECT id FROM nodes WHERE path = :p"), {"p": path})
        rows = [
            *connection.execute(
                text(
                    "SELECT u.login, r.author_login FROM revisions r "
                    "LEFT JOIN users u ON u.id = r.author_id WHERE r.node_id = :n ORDER BY r.number"
                ),
                {"n": node},
            ),
            *connection.execute(
                text(
                    "SELECT u.login, w.actor_login FROM workflow_history w "
                    "LEFT JOIN users u ON u.id = w.actor_id WHERE w.node_id = :n ORDER BY w.id"
                ),
                {"n": node},
            ),
        ]
    engine.dispose()
    return [tuple(row) for row in rows]


def test_authors_are_matched_by_login_and_a_missing_one_stays_as_text(
    target, exported, scratch_database_url, capsys
):
    target_ini, target_url = target
    add_jane(target_ini)
    assert importing.main([target_ini, str(exported), "/"]) == 0
    capsys.readouterr()
    assert authors(scratch_database_url, "/transfer/plan") == [
        (None, "cli"),
        ("jane", "jane"),
        ("bob", "bob"),
        (None, "cli"),
        ("bob", "bob"),
    ]
    # jane is linked to the target's own account; bob, absent there, stays a login.
    assert authors(target_url, "/transfer/plan") == [
        (None, "cli"),
        ("jane", "jane"),
        (None, "bob"),
        (None, "cli"),
        (None, "bob"),
    ]


def downgrade_to_version_1(folder):
    """Make ``folder`` what this release's predecessor wrote: format version 1, items without
    history, creator or last editor."""
    for number, path in enumerate(sorted((folder / "nodes").iterdir()), start=1):
        document = json.loads(path.read_text())
        for key in ("created_by", "modified_by", "history"):
            del document[key]
        rewrite(folder, number, json.dumps(document).encode("utf-8"))
    shutil.rmtree(folder / "history")
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["version"] = 1
    (folder / MANIFEST).write_text(json.dumps(manifest))


def test_an_export_of_format_version_1_is_still_imported(
    source_ini, target, exported, scratch_database_url, capsys
):
    target_ini, target_url = target
    downgrade_to_version_1(exported)
    assert importing.main([target_ini, str(exported), "/"]) == 0
    assert "Imported 5 item(s) (1 file(s)) as /transfer" in capsys.readouterr().out
    source = api_client(source_ini, scratch_database_url)
    copy = api_client(target_ini, target_url)
    for path in live_paths(scratch_database_url):
        url = f"/api/v1/content{path}"
        assert stable(copy.get(url).json) == stable(source.get(url).json), path
    # Version 1 carried no history: each item starts one, saying where it came from.
    history = copy.get("/api/v1/content/transfer/plan/@history").json
    assert len(history["items"]) == 1
    assert "Imported from /transfer of CLI Test Site" in json.dumps(history)
    steps = copy.get("/api/v1/content/transfer/plan/@workflow").json["history"]
    assert [(step["to"], step["actor"]) for step in steps] == [
        ("published", "cli"),
        ("pending", "cli"),
    ]


def test_new_uids_gives_every_item_a_new_uid(
    source_ini, target, exported, scratch_database_url, capsys
):
    target_ini, target_url = target
    assert importing.main([target_ini, str(exported), "/", "--new-uids", "--name", "copy"]) == 0
    assert "as /copy" in capsys.readouterr().out
    source = api_client(source_ini, scratch_database_url)
    copy = api_client(target_ini, target_url)
    for path in live_paths(scratch_database_url):
        original = source.get(f"/api/v1/content{path}").json
        made = copy.get(f"/api/v1/content/copy{path.removeprefix('/transfer')}").json
        assert made["uid"] != original["uid"]
        assert made["title"] == original["title"]


BUILD_EVENT = """
import sys
from charter.audit.service import Actor
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.scripts.environment import app_environment

with app_environment(sys.argv[1]) as env, env["request"].tm:
    request = env["request"]
    types = types_of(request.registry)
    content = ContentService(request.dbsession, types, Actor(login="cli"), audit=request.audit)
    folder = content.create(content.tree.root(), "Folder", {"title": "Dates"}, "dates")
    fields = {"title": "Launch", "start": "2027-01-15T09:00", "end": "2027-01-15T17:30",
              "time_zone": "Europe/Berlin", "location": "Room 1"}
    content.create(folder, "Event", fields, "launch")
"""


def with_events(ini):
    """A copy of the site's ini loading charter-events, its schema migrated (in another
    process: once imported, the add-on's model would join every later test's queries)."""
    path = Path(ini).with_suffix(".events.ini")
    path.write_text(
        Path(ini)
        .read_text()
        .replace("[app:main]\n", "[app:main]\ncharter.addons = charter-events\n")
    )
    python(["-m", "charter.scripts.migrate", str(path)])
    return str(path)


def python(args):
    subprocess.run([sys.executable, *args], check=True, capture_output=True)


def test_an_addon_type_round_trips_through_its_schema(source_ini, target, tmp_path):
    source, copy = with_events(source_ini), with_events(target[0])
    python(["-c", BUILD_EVENT, source])
    python(["-m", "charter.scripts.export", source, "/dates", str(tmp_path / "first")])
    python(["-m", "charter.scripts.importing", copy, str(tmp_path / "first"), "/"])
    python(["-m", "charter.scripts.export", copy, "/dates", str(tmp_path / "again")])

    def documents(folder):
        return [
            {k: v for k, v in json.loads(path.read_text()).items() if k not in VOLATILE}
            for path in sorted((folder / "nodes").iterdir())
        ]

    first = documents(tmp_path / "first")
    assert first[1]["@type"] == "Event"
    assert first[1]["fields"]["location"] == "Room 1"
    assert first[1]["fields"]["time_zone"] == "Europe/Berlin"
    assert documents(tmp_path / "again") == first


def refused(target_ini, target_url, tmp_path, args, message, capsys):
    before = site_state(target_url, tmp_path / "target-blobs")
    assert importing.main([target_ini, *args]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "nothing was imported" in err, err
    assert site_state(target_url, tmp_path / "target-blobs") == before


def test_an_existing_uid_is_refused_and_changes_nothing(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    assert importing.main([target_ini, str(exported), "/"]) == 0
    capsys.readouterr()
    refused(
        target_ini,
        target_url,
        tmp_path,
        [str(exported), "/", "--name", "again"],
        "already exists here",
        capsys,
    )


def test_a_missing_target_is_refused(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    refused(target_ini, target_url, tmp_path, [str(exported), "/nowhere"], "no folder at", capsys)


def test_a_taken_name_is_refused_and_changes_nothing(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    assert importing.main([target_ini, str(exported), "/", "--new-uids"]) == 0
    capsys.readouterr()
    refused(
        target_ini,
        target_url,
        tmp_path,
        [str(exported), "/", "--new-uids"],
        "already holds an item named 'transfer'",
        capsys,
    )


def test_an_unknown_format_version_is_refused(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    manifest = json.loads((exported / MANIFEST).read_text())
    manifest["version"] = 99
    (exported / MANIFEST).write_text(json.dumps(manifest))
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], "version 99", capsys)


def test_a_blob_that_does_not_match_its_checksum_is_refused(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    blob = next(p for p in (exported / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"tampered")
    refused(
        target_ini,
        target_url,
        tmp_path,
        [str(exported), "/"],
        "does not match its checksum",
        capsys,
    )


def test_a_changed_node_document_is_refused(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    document = exported / "nodes" / "00000002.json"
    document.write_bytes(document.read_bytes().replace(b"The plan", b"The scam"))
    refused(
        target_ini,
        target_url,
        tmp_path,
        [str(exported), "/"],
        "does not match its checksum",
        capsys,
    )


# -- hostile export folders ----------------------------------------------------------------


def rewrite(folder, number, data):
    """Put ``data`` in node document ``number`` with checksums that match it, as an attacker
    who knows the format would."""
    name = f"nodes/{number:08d}.json"
    (folder / name).write_bytes(data)
    lines = (folder / CHECKSUMS).read_text().splitlines()
    lines[number - 1] = f"{hashlib.sha256(data).hexdigest()}  {name}"
    (folder / CHECKSUMS).write_text("\n".join(lines) + "\n")
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["checksums"][CHECKSUMS] = hashlib.sha256((folder / CHECKSUMS).read_bytes()).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(manifest))


HOSTILE = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
bad_names = st.one_of(
    st.sampled_from(["../x", "..", "a/b", "@@view", ""]),
    st.text(max_size=120).filter(lambda name: name_problem(name) is not None),
)
bad_fields = st.one_of(
    st.tuples(st.just("name"), bad_names),
    st.tuples(st.just("title"), over_limit_text(500)),
    st.tuples(st.just("title"), st.just("")),
    st.tuples(st.just("@type"), st.text(max_size=70).filter(lambda t: t != "Document")),
    st.tuples(st.just("uid"), st.text(max_size=40)),
    st.tuples(st.just("parent"), st.text(max_size=40)),
    st.tuples(st.just("fields"), st.dictionaries(st.text(max_size=8), st.integers(), min_size=1)),
)


@HOSTILE
@given(change=bad_fields)
def test_a_hostile_field_is_refused_cleanly(target, exported, tmp_path, capsys, change):
    target_ini, target_url = target
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    shutil.copytree(exported, folder, dirs_exist_ok=True)
    # The third item (after a folder and a document are made): what was made goes too.
    document = json.loads((folder / "nodes" / "00000003.json").read_text())
    key, value = change
    document[key] = value
    rewrite(folder, 3, json.dumps(document).encode("utf-8"))
    refused(target_ini, target_url, tmp_path, [str(folder), "/"], "", capsys)


@HOSTILE
@given(data=invalid_utf8())
def test_a_node_document_that_is_not_utf8_is_refused(target, exported, tmp_path, capsys, data):
    target_ini, target_url = target
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    shutil.copytree(exported, folder, dirs_exist_ok=True)
    rewrite(folder, 2, b'{"@type": "Document", "title": "' + data + b'"}')
    refused(target_ini, target_url, tmp_path, [str(folder), "/"], "not UTF-8", capsys)


@HOSTILE
@given(name=st.one_of(st.text(max_size=30), st.integers(), st.none()))
def test_a_manifest_of_another_format_is_refused(target, exported, tmp_path, capsys, name):
    target_ini, target_url = target
    if name == "charter-export":
        return
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    shutil.copytree(exported, folder, dirs_exist_ok=True)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["format"] = name
    (folder / MANIFEST).write_text(json.dumps(manifest))
    refused(target_ini, target_url, tmp_path, [str(folder), "/"], "is not 'charter-export'", capsys)


# -- hostile history files (format version 2) ---------------------------------------------

PLAN, NOTES = 2, 4  # the node documents of /transfer/plan and /transfer/sub/notes.pdf


def history_lines(folder, number):
    return [
        json.loads(line)
        for line in (folder / "history" / f"{number:08d}.jsonl").read_text().splitlines()
    ]


def rewrite_history(folder, number, data, counts=None):
    """Put ``data`` in the history file of node document ``number``, with the checksum (and
    by default the counts) its node document then needs, as an attacker would."""
    (folder / "history" / f"{number:08d}.jsonl").write_bytes(data)
    document = json.loads((folder / "nodes" / f"{number:08d}.json").read_text())
    if counts is not None:
        document["history"]["revisions"], document["history"]["workflow_steps"] = counts
    document["history"]["sha256"] = hashlib.sha256(data).hexdigest()
    rewrite(folder, number, json.dumps(document).encode("utf-8"))


def encode_lines(entries):
    return b"".join(json.dumps(entry).encode("utf-8") + b"\n" for entry in entries)


def hostile_copy(exported, tmp_path):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    shutil.copytree(exported, folder, dirs_exist_ok=True)
    return folder


bad_dates = st.one_of(
    st.text(max_size=50),
    st.sampled_from(
        ["2026-01-02T03:04:05", "0999-12-31T23:59:59+00:00", "2026-13-01T00:00:00+00:00"]
    ),
    st.integers(),
    st.none(),
)
bad_logins = st.one_of(
    over_limit_text(100), st.sampled_from(["a\x00b", "two\nlines", "\ud800"]), st.integers()
)
bad_comments = st.one_of(over_limit_text(500), st.sampled_from(["tab\there", "\x00", "\udfff"]))
# Fields a document's snapshot cannot hold: unknown ones, a body that is not text, not a dict.
bad_snapshots = st.one_of(
    st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda k: k not in {"title", "description", "body"}),
        st.integers(),
        min_size=1,
    ),
    st.sampled_from([{"body": 5}, {"body": None}, {"body": ["x"]}]),
    st.lists(st.integers(), max_size=2),
    st.text(max_size=5),
)
bad_revision_changes = st.one_of(
    st.tuples(
        st.just("number"),
        st.one_of(
            st.integers(max_value=1),  # not after revision 1
            st.integers(min_value=2**31),
            st.sampled_from(["2", True, 2.0, None]),
        ),
    ),
    st.tuples(st.just("created"), bad_dates),
    st.tuples(st.just("author"), bad_logins),
    st.tuples(st.just("comment"), bad_comments),
    st.tuples(st.just("fields"), bad_snapshots),
    st.tuples(
        st.just("@kind"), st.text(max_size=20).filter(lambda k: k not in {"revision", "step"})
    ),
    st.tuples(st.just("extra"), st.integers()),
)
bad_step_changes = st.one_of(
    st.tuples(st.just("at"), bad_dates),
    st.tuples(st.just("actor"), bad_logins),
    st.tuples(st.just("comment"), bad_comments),
    st.tuples(
        st.sampled_from(["workflow", "transition", "to_state", "from_state"]),
        st.one_of(over_limit_text(64), st.sampled_from(["a\nb", "\x00", 7, ["x"]])),
    ),
    st.tuples(st.just("extra"), st.integers()),
)


@HOSTILE
@given(change=bad_revision_changes)
def test_a_hostile_revision_is_refused_cleanly(target, exported, tmp_path, capsys, change):
    target_ini, target_url = target
    folder = hostile_copy(exported, tmp_path)
    entries = history_lines(folder, PLAN)
    key, value = change
    entries[1][key] = value  # revision 2, after revision 1 is made
    rewrite_history(folder, PLAN, encode_lines(entries))
    refused(target_ini, target_url, tmp_path, [str(folder), "/"], "00000002.json", capsys)


@HOSTILE
@given(change=bad_step_changes)
def test_a_hostile_workflow_step_is_refused_cleanly(target, exported, tmp_path, capsys, change):
    target_ini, target_url = target
    folder = hostile_copy(exported, tmp_path)
    entries = history_lines(folder, PLAN)
    key, value = change
    entries[-1][key] = value
    rewrite_history(folder, PLAN, encode_lines(entries))
    refused(target_ini, target_url, tmp_path, [str(folder), "/"], "00000002.json", capsys)


@HOSTILE
@given(
    change=st.one_of(
        st.tuples(
            st.just("sha256"),
            st.one_of(
                st.sampled_from(["../../../../etc/passwd", "/etc/passwd", "0" * 63, "A" * 64]),
                st.text(max_size=70),
                st.integers(),
            ),
        ),
        st.tuples(st.just("size"), st.sampled_from([-1, "5", True, 1.5, None])),
        st.tuples(st.sampled_from(["filename", "mime_type"]), st.one_of(over_limit_text(255))),
    )
)
def test_a_file_revision_naming_hostile_bytes_is_refused(
    target, exported, tmp_path, capsys, change
):
    target_ini, target_url = target
    folder = hostile_copy(exported, tmp_path)
    entries = history_lines(folder, NOTES)
    key, value = change
    entries[0]["fields"][key] = value
    rewrite_history(folder, NOTES, encode_lines(entries))
    refused(target_ini, target_url, tmp_path, [str(folder), "/"], "00000004.json", capsys)


def test_a_file_revision_whose_bytes_are_not_in_the_export_is_refused(
    target, exported, tmp_path, capsys
):
    target_ini, target_url = target
    entries = history_lines(exported, NOTES)
    entries[0]["fields"]["sha256"] = hashlib.sha256(b"not exported").hexdigest()
    rewrite_history(exported, NOTES, encode_lines(entries))
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], "is missing", capsys)


def test_earlier_bytes_that_do_not_match_their_checksum_are_refused(
    target, exported, tmp_path, capsys
):
    target_ini, target_url = target
    first = history_lines(exported, NOTES)[0]["fields"]["sha256"]
    blob = exported / "blobs" / first[:2] / first[2:4] / first
    blob.write_bytes(blob.read_bytes() + b"tampered")
    refused(
        target_ini,
        target_url,
        tmp_path,
        [str(exported), "/"],
        "does not match its checksum",
        capsys,
    )


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        # Changed, its node document not told: the checksum no longer matches.
        (
            lambda path: path.write_bytes(path.read_bytes().replace(b"second", b"sekond")),
            "checksum",
        ),
        (lambda path: path.unlink(), "is missing"),
    ],
)
def test_a_changed_or_missing_history_file_is_refused(
    target, exported, tmp_path, capsys, tamper, message
):
    target_ini, target_url = target
    tamper(exported / "history" / "00000002.jsonl")
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], message, capsys)


@pytest.mark.parametrize(
    ("data", "counts", "message"),
    [
        (b"[" * 100_000 + b"\n", None, "nests its JSON too deeply"),
        (b'{"@kind": "revision"\n', None, "is not JSON"),
        (b"\xff\xfe\n", None, "not UTF-8"),
        (b"[1, 2]\n", None, "line 1"),
        (None, (3, 1), "holds 3 revision(s) and 2 workflow step(s)"),
        ("steps first", None, "revisions come before steps"),
        ("revisions twice", (6, 2), "is not after"),
    ],
)
def test_a_malformed_history_file_is_refused(
    target, exported, tmp_path, capsys, data, counts, message
):
    target_ini, target_url = target
    entries = history_lines(exported, PLAN)
    if data is None:
        data = encode_lines(entries)
    elif data == "steps first":
        data = encode_lines(entries[3:] + entries[:3])
    elif data == "revisions twice":
        data = encode_lines(entries[:3] + entries[:3] + entries[3:])
    rewrite_history(exported, PLAN, data, counts)
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], message, capsys)


def test_a_history_line_past_the_size_limit_is_refused(
    target, exported, tmp_path, capsys, monkeypatch
):
    target_ini, target_url = target
    monkeypatch.setattr(transfer, "MAX_DOCUMENT_BYTES", 4096)
    entries = history_lines(exported, PLAN)
    entries[0]["fields"]["body"] = "x" * 5000
    rewrite_history(exported, PLAN, encode_lines(entries))
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], "larger than 4096", capsys)


def test_a_uid_twice_in_the_export_is_refused(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    first = json.loads((exported / "nodes" / "00000001.json").read_text())
    document = json.loads((exported / "nodes" / "00000005.json").read_text())
    document["uid"] = first["uid"]
    rewrite(exported, 5, json.dumps(document).encode("utf-8"))
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], "twice in the export", capsys)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"[" * 100_000, "nests its JSON too deeply"), (b'{"@type": 1', "is not JSON")],
)
def test_a_node_document_that_is_not_json_is_refused(
    target, exported, tmp_path, capsys, data, message
):
    target_ini, target_url = target
    rewrite(exported, 2, data)
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], message, capsys)


def test_a_manifest_saying_true_for_its_version_is_refused(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    manifest = json.loads((exported / MANIFEST).read_text())
    manifest["version"] = True
    (exported / MANIFEST).write_text(json.dumps(manifest))
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], "version True", capsys)


def test_a_checksum_file_naming_other_paths_is_refused(target, exported, tmp_path, capsys):
    target_ini, target_url = target
    lines = (exported / CHECKSUMS).read_text().splitlines()
    lines[1] = lines[1].split()[0] + "  ../../etc/passwd"
    (exported / CHECKSUMS).write_text("\n".join(lines) + "\n")
    manifest = json.loads((exported / MANIFEST).read_text())
    manifest["checksums"][CHECKSUMS] = hashlib.sha256(
        (exported / CHECKSUMS).read_bytes()
    ).hexdigest()
    (exported / MANIFEST).write_text(json.dumps(manifest))
    refused(target_ini, target_url, tmp_path, [str(exported), "/"], "line 2", capsys)


def test_export_refuses_a_missing_path_and_a_folder_in_use(source_ini, tmp_path, capsys):
    assert export.main([source_ini, "/nowhere", str(tmp_path / "out")]) == 2
    assert "no item at /nowhere" in capsys.readouterr().err
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("")
    assert export.main([source_ini, "/", str(tmp_path / "used")]) == 2
    assert "not empty" in capsys.readouterr().err
