"""Revision 0007 keeps the entries written before it, and reads their node out of them."""

import json

from sqlalchemy import text

from alembic import command
from charter.db.migrations import alembic_config


def migrate(connection, revision):
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def test_entries_written_before_0007_survive_it_with_their_node(scratch_engine):
    uid = "c" * 32
    with scratch_engine.begin() as connection:
        migrate(connection, "0006")
        connection.execute(
            text(
                "INSERT INTO audit_log"
                " (at, actor_id, actor_login, address, action, target, details)"
                " VALUES ('2026-11-01 10:00:00', 1, 'ann', '192.0.2.1', :action, :target, :details)"
            ),
            [
                {
                    "action": "content.added",
                    "target": "/docs/a",
                    "details": json.dumps({"uid": uid}),
                },
                {"action": "login.succeeded", "target": "user:1", "details": "{}"},
            ],
        )
    with scratch_engine.begin() as connection:
        migrate(connection, "0007")
    with scratch_engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT action, actor_login, target, node_uid, node_path FROM audit_log ORDER BY id"
            )
        ).all()

    assert [tuple(row) for row in rows] == [
        ("content.added", "ann", "/docs/a", uid, "/docs/a"),
        ("login.succeeded", "ann", "user:1", None, None),
    ]
