"""Migration 0002 keeps a site made under 0001 working: readable by staff, run by ``admin``.

Each test builds its own database, migrates it to 0001, writes rows the way
revision 0001 stored them (raw SQL: today's models already expect 0002's
columns), then upgrades to head and checks the data step's result.
"""

import datetime as dt
import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from alembic import command
from charter.db.migrations import alembic_config, current_revisions, head_revisions, upgrade
from charter.security.identity import identity_for_user
from charter.security.principals import AUTHENTICATED
from charter.security.roles import Role

CREATED = dt.datetime(2026, 1, 2, 3, 4, 5)


def old_hash(path):
    """``path_hash`` as revisions before 0012 stored it: the SHA-256 in hex."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()


def upgrade_to(connection, revision):
    """Run the migrations up to ``revision`` on ``connection``."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def downgrade_to(connection, revision):
    """Run the downgrades back to ``revision`` on ``connection``."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def add_user(connection, login):
    """Insert an account as revision 0001 stored it; returns its id."""
    connection.execute(
        text(
            "INSERT INTO users (login, email, full_name, active, password_hash, created) "
            "VALUES (:login, :email, :name, :active, :hash, :created)"
        ),
        {
            "login": login,
            "email": f"{login}@example.com",
            "name": login.title(),
            "active": True,
            "hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "created": CREATED,
        },
    )
    return connection.scalar(text("SELECT id FROM users WHERE login = :login"), {"login": login})


def add_folder(connection, parent_id, name, path, depth):
    """Insert a folder as revision 0001 stored it; returns its id."""
    connection.execute(
        text(
            "INSERT INTO nodes (uid, type, parent_id, name, path, path_hash, depth, position, "
            "title, description, created, modified, version) VALUES (:uid, 'Folder', "
            ":parent_id, :name, :path, :path_hash, :depth, 0, :title, '', :created, "
            ":created, 1)"
        ),
        {
            "uid": old_hash(path)[:32],
            "parent_id": parent_id,
            "name": name,
            "path": path,
            "path_hash": old_hash(path),
            "depth": depth,
            "title": name.title() or "Home",
            "created": CREATED,
        },
    )
    return connection.scalar(text("SELECT id FROM nodes WHERE path = :path"), {"path": path})


def rows(connection, query):
    """The rows of ``query`` as a sorted list of tuples."""
    return sorted(tuple(row) for row in connection.execute(text(query)))


@pytest.fixture
def site_under_0001(scratch_engine):
    """A database at 0001 holding a root, a child, a grandchild, ``admin`` and ``ann``.

    Returns the ids by name.
    """
    with scratch_engine.begin() as connection:
        upgrade_to(connection, "0001")
        assert current_revisions(connection) == {"0001"}
        ids = {"admin": add_user(connection, "admin"), "ann": add_user(connection, "ann")}
        ids["root"] = add_folder(connection, None, "", "/", 0)
        ids["child"] = add_folder(connection, ids["root"], "projects", "/projects", 1)
        ids["grandchild"] = add_folder(connection, ids["child"], "alpha", "/projects/alpha", 2)
    return ids


def test_the_root_grants_reader_to_every_logged_in_person(scratch_engine, site_under_0001):
    with scratch_engine.begin() as connection:
        upgrade(connection)

    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == head_revisions()
        assert rows(connection, "SELECT node_id, principal, role FROM local_roles") == [
            (site_under_0001["root"], AUTHENTICATED, "Reader")
        ]


def test_every_node_lists_system_authenticated_as_a_viewer(scratch_engine, site_under_0001):
    with scratch_engine.begin() as connection:
        upgrade(connection)

    with scratch_engine.connect() as connection:
        assert rows(connection, "SELECT node_id, principal FROM node_viewers") == sorted(
            (site_under_0001[name], AUTHENTICATED) for name in ("root", "child", "grandchild")
        )
        assert rows(connection, "SELECT inherit_roles FROM nodes") == [(True,)] * 3


def test_admin_becomes_a_site_administrator_and_nobody_else(scratch_engine, site_under_0001):
    with scratch_engine.begin() as connection:
        upgrade(connection)

    with scratch_engine.connect() as connection:
        assert rows(connection, "SELECT principal, role FROM global_roles") == [
            (f"user:{site_under_0001['admin']}", "Administrator")
        ]
        session = Session(bind=connection)
        admin = identity_for_user(session, site_under_0001["admin"])
        ann = identity_for_user(session, site_under_0001["ann"])
        session.close()
    assert admin.global_roles == {Role.ADMINISTRATOR}
    assert ann.global_roles == frozenset()


def test_an_empty_database_gets_no_grants(scratch_engine):
    with scratch_engine.begin() as connection:
        upgrade_to(connection, "0001")
    with scratch_engine.begin() as connection:
        upgrade(connection)

    with scratch_engine.connect() as connection:
        for table in ("local_roles", "node_viewers", "global_roles"):
            assert rows(connection, f"SELECT * FROM {table}") == [], table


def test_a_site_without_an_admin_account_gets_no_site_administrator(scratch_engine):
    with scratch_engine.begin() as connection:
        upgrade_to(connection, "0001")
        add_user(connection, "ann")
        root = add_folder(connection, None, "", "/", 0)
    with scratch_engine.begin() as connection:
        upgrade(connection)

    with scratch_engine.connect() as connection:
        assert rows(connection, "SELECT principal, role FROM global_roles") == []
        assert rows(connection, "SELECT node_id, principal FROM node_viewers") == [
            (root, AUTHENTICATED)
        ]


def test_going_back_to_0001_keeps_the_content_and_the_accounts(scratch_engine, site_under_0001):
    with scratch_engine.begin() as connection:
        upgrade(connection)
    with scratch_engine.begin() as connection:
        downgrade_to(connection, "0001")

    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == {"0001"}
        assert rows(connection, "SELECT path FROM nodes") == [
            ("/",),
            ("/projects",),
            ("/projects/alpha",),
        ]
        assert rows(connection, "SELECT login FROM users") == [("admin",), ("ann",)]
