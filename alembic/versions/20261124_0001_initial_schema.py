"""Initial schema: users, the node tree and documents.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Types are spelled out here rather than imported from the models, so this
# migration keeps creating the same schema whatever the models become.
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
    op.create_table(
        "users",
        sa.Column("id", ID, nullable=False),
        sa.Column("login", exact_string(100), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("last_login", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("login", name="uq_users_login"),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "nodes",
        sa.Column("id", ID, nullable=False),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("name", exact_string(100), nullable=False),
        sa.Column("path", exact_text(), nullable=False),
        sa.Column("path_hash", sa.String(64), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("modified", TIMESTAMP, nullable=False),
        sa.Column("modified_by_id", ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["nodes.id"], name="fk_nodes_parent_id_nodes"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_nodes_owner_id_users"),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name="fk_nodes_created_by_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["modified_by_id"], ["users.id"], name="fk_nodes_modified_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_nodes"),
        sa.UniqueConstraint("parent_id", "name", name="uq_nodes_parent_id_name"),
        sa.UniqueConstraint("path_hash", name="uq_nodes_path_hash"),
        sa.UniqueConstraint("uid", name="uq_nodes_uid"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_nodes_parent_id_position_id", "nodes", ["parent_id", "position", "id"])
    op.create_index("ix_nodes_path", "nodes", ["path"], mysql_length=255)
    op.create_table(
        "documents",
        sa.Column("id", ID, nullable=False),
        sa.Column("body", LONG_TEXT, nullable=False),
        sa.Column("body_html", LONG_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["id"], ["nodes.id"], name="fk_documents_id_nodes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        **MYSQL_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("documents")
    op.drop_index("ix_nodes_path", table_name="nodes")
    op.drop_index("ix_nodes_parent_id_position_id", table_name="nodes")
    op.drop_table("nodes")
    op.drop_table("users")
