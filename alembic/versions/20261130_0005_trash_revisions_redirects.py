"""Nothing is lost: the trash, revisions of content, redirects after moves, legal holds.

Sites created before this revision keep all their content; their nodes
have no revisions until they next change (their current state is their
latest version).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision = "0005"
down_revision = "0004"
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
    op.add_column(
        "nodes", sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "trash_entries",
        sa.Column("id", ID, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("name", exact_string(100), nullable=False),
        sa.Column("original_path", exact_text(), nullable=False),
        sa.Column("original_parent_id", ID, nullable=True),
        sa.Column("original_position", sa.Integer(), nullable=False),
        sa.Column("deleted_by_id", ID, nullable=True),
        sa.Column("deleted_by_login", sa.String(100), nullable=True),
        sa.Column("deleted_at", TIMESTAMP, nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name="fk_trash_entries_node_id_nodes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["original_parent_id"],
            ["nodes.id"],
            name="fk_trash_entries_original_parent_id_nodes",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"],
            ["users.id"],
            name="fk_trash_entries_deleted_by_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_trash_entries"),
        sa.UniqueConstraint("node_id", name="uq_trash_entries_node_id"),
        sqlite_autoincrement=True,
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_trash_entries_deleted_at_id", "trash_entries", ["deleted_at", "id"])
    op.create_index("ix_trash_entries_deleted_by_id", "trash_entries", ["deleted_by_id"])
    op.create_index(
        "ix_trash_entries_original_parent_id", "trash_entries", ["original_parent_id"]
    )
    op.create_table(
        "trash_entry_principals",
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("principal", exact_string(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["trash_entries.id"],
            name="fk_trash_entry_principals_entry_id_trash_entries",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "principal", name="pk_trash_entry_principals"),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        "ix_trash_entry_principals_principal_entry_id",
        "trash_entry_principals",
        ["principal", "entry_id"],
    )
    op.create_table(
        "revisions",
        sa.Column("id", ID, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("author_login", sa.String(100), nullable=True),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.Column("fields", LONG_TEXT, nullable=False),
        sa.Column("blob_sha256", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name="fk_revisions_node_id_nodes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name="fk_revisions_author_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_revisions"),
        sa.UniqueConstraint("node_id", "number", name="uq_revisions_node_id_number"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_revisions_blob_sha256", "revisions", ["blob_sha256"])
    op.create_table(
        "redirects",
        sa.Column("id", ID, nullable=False),
        sa.Column("old_path", exact_text(), nullable=False),
        sa.Column("old_path_hash", sa.String(64), nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name="fk_redirects_node_id_nodes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_redirects"),
        sa.UniqueConstraint("old_path_hash", name="uq_redirects_old_path_hash"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_redirects_node_id", "redirects", ["node_id"])


def downgrade() -> None:
    op.drop_table("redirects")
    op.drop_table("revisions")
    op.drop_table("trash_entry_principals")
    op.drop_table("trash_entries")
    op.drop_column("nodes", "legal_hold")
