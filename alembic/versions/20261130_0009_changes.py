"""Idempotent writes, the change feed and the webhook outbox.

``change_counter`` holds one row whose lock orders the feed by commit; the
feed starts empty (sites created earlier have no history in it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MYSQL_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
LONG_BINARY = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def exact_string(length):
    return (
        sa.String(length)
        .with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def exact_text():
    return (
        sa.Text()
        .with_variant(mysql.TEXT(collation="utf8mb4_bin"), "mysql", "mariadb")
        .with_variant(postgresql.TEXT(collation="C"), "postgresql")
    )


def upgrade() -> None:
    counter = op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("pruned_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_counter"),
        **MYSQL_OPTIONS,
    )
    op.bulk_insert(counter, [{"id": 1, "last_seq": 0, "pruned_seq": 0}])
    op.create_table(
        "changes",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("tombstone", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("node_uid", sa.String(32), nullable=False),
        sa.Column("node_type", sa.String(64), nullable=False),
        sa.Column("path", exact_text(), nullable=False),
        sa.Column("old_path", exact_text(), nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("actor_login", sa.String(100), nullable=True),
        sa.Column("details", LONG_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_changes"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_changes_node_uid_seq", "changes", ["node_uid", "seq"])
    op.create_index("ix_changes_at", "changes", ["at"])
    op.create_table(
        "change_audience",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("principal", exact_string(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["changes.seq"], name="fk_change_audience_seq_changes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seq", "principal", name="pk_change_audience"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_change_audience_principal_seq", "change_audience", ["principal", "seq"])
    op.create_table(
        "idempotency_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", exact_string(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("claim", sa.String(32), nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("expires", TIMESTAMP, nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", LONG_TEXT, nullable=True),
        sa.Column("body", LONG_BINARY, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_idempotency_keys_expires", "idempotency_keys", ["expires"])
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", ID, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("event_types", LONG_TEXT, nullable=False),
        sa.Column("subtree", exact_text(), nullable=True),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("previous_secret", sa.String(100), nullable=True),
        sa.Column("previous_secret_until", TIMESTAMP, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(500), nullable=True),
        sa.Column("failing_since", TIMESTAMP, nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name="fk_webhook_endpoints_owner_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "webhook_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payload", LONG_TEXT, nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("first_attempt_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name="fk_webhook_messages_endpoint_id_webhook_endpoints",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_messages"),
        sa.UniqueConstraint("msg_id", name="uq_webhook_messages_msg_id"),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        "ix_webhook_messages_state_next_attempt",
        "webhook_messages",
        ["state", "next_attempt_at"],
    )
    op.create_index("ix_webhook_messages_endpoint_id_id", "webhook_messages", ["endpoint_id", "id"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.String(1000), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["webhook_messages.id"],
            name="fk_webhook_attempts_message_id_webhook_messages",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name="fk_webhook_attempts_endpoint_id_webhook_endpoints",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_webhook_attempts_endpoint_id_id", "webhook_attempts", ["endpoint_id", "id"])


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_messages")
    op.drop_table("webhook_endpoints")
    op.drop_table("idempotency_keys")
    op.drop_table("change_audience")
    op.drop_table("changes")
    op.drop_table("change_counter")
