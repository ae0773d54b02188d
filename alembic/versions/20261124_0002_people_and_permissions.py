"""People and permissions: groups, API tokens, roles, viewers, rate limits, audit log.

Sites initialised before this revision keep working as before: the root
grants Reader to every authenticated user, each node lists that principal as
a viewer, and the ``admin`` account becomes a site Administrator.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision = "0002"
down_revision = "0001"
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


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", exact_string(100), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_groups"),
        sa.UniqueConstraint("name", name="uq_groups_name"),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name="fk_group_members_group_id_groups", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_group_members_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_group_members"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_group_members_user_id", "group_members", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("expires", TIMESTAMP, nullable=True),
        sa.Column("last_used", TIMESTAMP, nullable=True),
        sa.Column("revoked", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "global_roles",
        sa.Column("id", ID, nullable=False),
        sa.Column("principal", exact_string(120), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_global_roles"),
        sa.UniqueConstraint("principal", "role", name="uq_global_roles_principal_role"),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "local_roles",
        sa.Column("id", ID, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("principal", exact_string(120), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name="fk_local_roles_node_id_nodes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_local_roles"),
        sa.UniqueConstraint(
            "node_id", "principal", "role", name="uq_local_roles_node_principal_role"
        ),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_local_roles_principal", "local_roles", ["principal"])
    op.create_table(
        "node_viewers",
        sa.Column("node_id", ID, nullable=False),
        sa.Column("principal", exact_string(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name="fk_node_viewers_node_id_nodes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("node_id", "principal", name="pk_node_viewers"),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        "ix_node_viewers_principal_node_id", "node_viewers", ["principal", "node_id"]
    )
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", exact_string(200), nullable=False),
        sa.Column("window_start", TIMESTAMP, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_rate_limit_counters"),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("actor_login", sa.String(100), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("details", LONG_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    # A plain ADD COLUMN (no table rebuild on SQLite, whose rebuild would trip
    # over the foreign keys pointing at nodes); existing nodes inherit.
    op.add_column(
        "nodes",
        sa.Column("inherit_roles", sa.Boolean(), nullable=False, server_default=sa.true()),
    )

    keep_existing_sites_readable()


def keep_existing_sites_readable() -> None:
    """Give a site created under revision 0001 the default policy charter-init now sets."""
    op.execute(
        "INSERT INTO local_roles (node_id, principal, role) "
        "SELECT id, 'system.Authenticated', 'Reader' FROM nodes WHERE parent_id IS NULL"
    )
    op.execute(
        "INSERT INTO node_viewers (node_id, principal) "
        "SELECT id, 'system.Authenticated' FROM nodes"
        " WHERE EXISTS (SELECT 1 FROM local_roles)"
    )
    op.execute(
        "INSERT INTO global_roles (principal, role) "
        f"SELECT {_user_principal('id')}, 'Administrator' FROM users WHERE login = 'admin'"
    )


def _user_principal(column: str) -> str:
    if op.get_bind().dialect.name in {"mysql", "mariadb"}:
        return f"CONCAT('user:', CAST({column} AS CHAR))"
    return f"'user:' || CAST({column} AS VARCHAR(20))"


def downgrade() -> None:
    op.drop_column("nodes", "inherit_roles")
    op.drop_table("audit_log")
    op.drop_table("rate_limit_counters")
    op.drop_table("node_viewers")
    op.drop_table("local_roles")
    op.drop_table("global_roles")
    op.drop_table("api_tokens")
    op.drop_table("group_members")
    op.drop_table("groups")
