"""A site made before revisions were kept (schema 0004), upgraded: every node shows its current
state as version 1, and its first change keeps that state before the change."""

import datetime as dt
import hashlib
import io

import pytest
import transaction
import webtest
from sqlalchemy import text
from sqlalchemy.orm import Session

from alembic import command
from charter import make_configurator
from charter.accounts.models import User
from charter.accounts.services import TokenService
from charter.db.migrations import alembic_config, upgrade
from charter.history.revisions import BASELINE_COMMENT
from charter.scripts import blobs
from charter.security.roles import DEFAULT_ROOT_GRANTS
from charter.security.sharing import SharingService
from charter.testing.sessions import login_as
from charter.tree.models import Node

API = "/api/v1/content"
THEN = dt.datetime(2026, 6, 1, 9, 30)
OLD_BYTES = b"The report as it was before the upgrade.\n"
NEW_BYTES = b"The report after the upgrade.\n"


def old_hash(path):
    """``path_hash`` as revisions before 0012 stored it: the SHA-256 in hex."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()


def add_node(connection, type_, parent_id, name, path, depth, title):
    """A row of ``nodes`` as schema 0004 stores it; its id."""
    connection.execute(
        text(
            "INSERT INTO nodes (uid, type, parent_id, name, path, path_hash, depth, position, "
            "title, description, created, modified, version, inherit_roles) VALUES (:uid, :type, "
            ":parent_id, :name, :path, :path_hash, :depth, 0, :title, '', :then, :then, 1, :yes)"
        ),
        {
            "uid": old_hash(path)[:32],
            "type": type_,
            "parent_id": parent_id,
            "name": name,
            "path": path,
            "path_hash": old_hash(path),
            "depth": depth,
            "title": title,
            "then": THEN,
            "yes": True,
        },
    )
    return connection.scalar(text("SELECT id FROM nodes WHERE path = :path"), {"path": path})


@pytest.fixture
def blob_folder(tmp_path):
    return tmp_path / "blobs"


@pytest.fixture
def old_site(scratch_engine, scratch_database_url, blob_folder, charter_settings):
    """A site at schema 0004 (a root, /guide and /report.txt with its bytes), upgraded to
    head; the app over it and an Editor's token. Its requests commit."""
    with scratch_engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        root = add_node(connection, "Folder", None, "", "/", 0, "Old site")
        guide = add_node(connection, "Document", root, "guide", "/guide", 1, "Guide")
        connection.execute(
            text("INSERT INTO documents (id, body, body_html) VALUES (:id, :body, :html)"),
            {"id": guide, "body": "old\ntext", "html": "<p>old\ntext</p>"},
        )
        report = add_node(connection, "File", root, "report.txt", "/report.txt", 1, "Report")
        connection.execute(
            text(
                "INSERT INTO files (id, blob_sha256, size, mime_type, filename) "
                "VALUES (:id, :sha, :size, 'text/plain', 'report.txt')"
            ),
            {"id": report, "sha": hashlib.sha256(OLD_BYTES).hexdigest(), "size": len(OLD_BYTES)},
        )
    with scratch_engine.begin() as connection:
        upgrade(connection)
    settings = {
        **charter_settings,
        "sqlalchemy.url": scratch_database_url,
        "charter.blobs.path": str(blob_folder),
    }
    app_config = make_configurator(settings, environ={})
    store = app_config.registry["charter.blobs.store"]
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    store.write(io.BytesIO(OLD_BYTES), transaction_manager=manager)
    manager.commit()
    # Not expired at the commit: the test logs the account in with it.
    with Session(scratch_engine, expire_on_commit=False) as session, session.begin():
        user = User(login="eve", email="eve@example.com", full_name="Eve", password_hash="x")
        session.add(user)
        session.flush()  # the id names the account in the grant and the token
        root_node = session.get(Node, root)
        SharingService(session).update(
            root_node, {**DEFAULT_ROOT_GRANTS, f"user:{user.id}": ["Editor"]}
        )
        _, token = TokenService(session).create(user, "upgrade test", scope="read-write")
    app = webtest.TestApp(app_config.make_wsgi_app(), extra_environ={"HTTP_HOST": "example.com"})
    yield app, {"Authorization": f"Bearer {token}"}, settings, user
    app_config.registry["charter.db.engine"].dispose()


def test_an_old_document_shows_its_current_state_as_version_1(old_site):
    app, token, _, _ = old_site

    listing = app.get(f"{API}/guide/@history", headers=token).json
    (only,) = listing["items"]
    assert (only["number"], only["author"], only["comment"], only["current"]) == (
        1,
        None,
        BASELINE_COMMENT,
        True,
    )
    assert only["created"].startswith("2026-06-01T09:30:00")
    assert app.get(f"{API}/guide/@history/1", headers=token).json["fields"] == {
        "title": "Guide",
        "description": "",
        "body": "old\ntext",
    }


def test_its_first_change_keeps_the_old_state_which_can_be_restored(old_site):
    app, token, _, _ = old_site

    app.patch_json(f"{API}/guide", {"body": "new text"}, headers={**token, "If-Match": '"1"'})

    items = app.get(f"{API}/guide/@history", headers=token).json["items"]
    assert [(item["number"], item["author"], item["comment"]) for item in items] == [
        (2, "eve", ""),
        (1, None, BASELINE_COMMENT),
    ]
    diff = app.get(f"{API}/guide/@history/1/@diff/2", headers=token).json
    assert diff["fields"][2]["diff"].endswith("-old\n-text\n+new text")
    restored = app.post(f"{API}/guide/@history/1/@restore", headers={**token, "If-Match": '"2"'})
    assert restored.json["body"] == "old\ntext"


def test_an_old_files_bytes_stay_in_its_history_and_the_garbage_collector_keeps_them(
    old_site, tmp_path, monkeypatch, capsys
):
    app, token, settings, _ = old_site
    raw = {**token, "Content-Type": "application/octet-stream"}

    assert app.get(f"{API}/report.txt/@history/1/@download", headers=token).body == OLD_BYTES
    app.put(f"{API}/report.txt/@download", NEW_BYTES, headers={**raw, "If-Match": '"1"'})

    items = app.get(f"{API}/report.txt/@history", headers=token).json["items"]
    assert [item["number"] for item in items] == [2, 1]
    assert app.get(items[1]["download"], headers=token).body == OLD_BYTES
    ini = tmp_path / "site.ini"
    ini.write_text(
        "[app:main]\nuse = egg:charter\n"
        + "".join(f"{key} = {value}\n" for key, value in settings.items()).replace("%", "%%")
    )
    monkeypatch.delenv("CHARTER_DATABASE_URL", raising=False)
    assert blobs.main([str(ini), "gc", "--min-age-hours", "1"]) == 0
    assert "Nothing to remove" in capsys.readouterr().out
    assert app.get(items[1]["download"], headers=token).body == OLD_BYTES


def test_the_web_history_of_an_old_node(old_site):
    app, _, _, user = old_site
    login_as(app, user)

    page = app.get("/guide/@@history")
    version = page.click(linkid=None, href="@@history/1")

    assert [row["data-number"] for row in page.html.select("tr.revision-row")] == ["1"]
    assert BASELINE_COMMENT in page.text
    assert "by someone unknown" in page.text
    assert version.html.select_one("#restore-form") is None  # it is the current state
