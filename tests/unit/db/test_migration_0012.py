"""Migration 0012 turns the hex path hashes of an existing site into 32-byte digests.

The site is written at 0011 the way that revision stored it (raw SQL, hashes
in hex), then upgraded: every path still resolves, a redirect from an old path
is still found, and going back to 0011 gives the hex hashes again.
"""

import datetime as dt
import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

import charter.models  # noqa: F401 - registers every table on the metadata
from alembic import command
from charter.db.migrations import alembic_config, current_revisions, head_revisions, upgrade
from charter.history.redirects import RedirectService
from charter.tree.paths import hash_path
from charter.tree.services import TreeService

THEN = dt.datetime(2026, 6, 1, 9, 30)
PATHS = ["/", "/guides", "/guides/install", "/guides/install/step-1"]


def migrate(connection, direction, revision):
    """Run the migrations up or down to ``revision`` on ``connection``."""
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, direction)(config, revision)


def hex_hash(path):
    """``path_hash`` as revisions before 0012 stored it."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()


def add_node(connection, path, parent_id):
    """A folder as revision 0011 stores it; its id."""
    name = path.rsplit("/", 1)[1]
    connection.execute(
        text(
            "INSERT INTO nodes (uid, type, parent_id, name, path, path_hash, depth, position, "
            "title, description, created, modified, version, inherit_roles, legal_hold) VALUES "
            "(:uid, 'Folder', :parent_id, :name, :path, :path_hash, :depth, 0, :title, '', "
            ":then, :then, 1, :yes, :no)"
        ),
        {
            "uid": hex_hash(path)[:32],
            "parent_id": parent_id,
            "name": name,
            "path": path,
            "path_hash": hex_hash(path),
            "depth": path.count("/") if path != "/" else 0,
            "title": name.title() or "Home",
            "then": THEN,
            "yes": True,
            "no": False,
        },
    )
    return connection.scalar(text("SELECT id FROM nodes WHERE path = :path"), {"path": path})


def hashes(connection, table, column):
    """{path: stored hash} of ``table``."""
    path = "path" if table == "nodes" else "old_path"
    return dict(connection.execute(text(f"SELECT {path}, {column} FROM {table}")).all())


@pytest.fixture
def site_under_0011(scratch_engine):
    """A site at 0011: a chain of folders, and a redirect from /manuals to /guides."""
    with scratch_engine.begin() as connection:
        migrate(connection, "upgrade", "0011")
        parent_id = None
        for path in PATHS:
            parent_id = add_node(connection, path, parent_id)
        guides = connection.scalar(text("SELECT id FROM nodes WHERE path = '/guides'"))
        connection.execute(
            text(
                "INSERT INTO redirects (old_path, old_path_hash, node_id, created) "
                "VALUES ('/manuals', :hash, :node_id, :then)"
            ),
            {"hash": hex_hash("/manuals"), "node_id": guides, "then": THEN},
        )


def test_upgrading_turns_every_hex_hash_into_the_digest_of_its_path(
    scratch_engine, site_under_0011
):
    with scratch_engine.begin() as connection:
        upgrade(connection)

    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == head_revisions()
        assert hashes(connection, "nodes", "path_hash") == {path: hash_path(path) for path in PATHS}
        assert hashes(connection, "redirects", "old_path_hash") == {
            "/manuals": hash_path("/manuals")
        }
        session = Session(bind=connection)
        resolution = TreeService(session).resolve(["guides", "install", "step-1", "view"])
        moved = RedirectService(session).find(["manuals", "install"], 0, None)
        session.close()
    assert [node.path for node in resolution.lineage] == PATHS
    assert resolution.remainder == ["view"]
    assert moved is not None
    assert moved.new_path == "/guides"


def test_going_back_to_0011_gives_the_hex_hashes_again(scratch_engine, site_under_0011):
    with scratch_engine.begin() as connection:
        upgrade(connection)
    with scratch_engine.begin() as connection:
        migrate(connection, "downgrade", "0011")

    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == {"0011"}
        assert hashes(connection, "nodes", "path_hash") == {path: hex_hash(path) for path in PATHS}
        assert hashes(connection, "redirects", "old_path_hash") == {
            "/manuals": hex_hash("/manuals")
        }
    with scratch_engine.begin() as connection:
        upgrade(connection)
    with scratch_engine.connect() as connection:
        assert hashes(connection, "nodes", "path_hash") == {path: hash_path(path) for path in PATHS}
