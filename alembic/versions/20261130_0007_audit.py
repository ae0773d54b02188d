"""A complete audit log: actor, request, node snapshot; append-only triggers.

Existing entries are kept: the entries about a node (those whose details
name its ``uid``) get its uid and path as columns, read from their details.
Then triggers refuse every UPDATE and DELETE on the table (and TRUNCATE on
PostgreSQL); only ``charter-audit prune`` gets past them (charter.audit.triggers).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REFUSAL = "audit_log is append-only"

NEW_COLUMNS = (
    ("token_id", ID),
    ("user_agent", sa.String(255)),
    ("request_id", sa.String(64)),
    ("node_uid", sa.String(32)),
    (
        "node_path",
        sa.Text()
        .with_variant(mysql.TEXT(collation="utf8mb4_bin"), "mysql", "mariadb")
        .with_variant(postgresql.TEXT(collation="C"), "postgresql"),
    ),
    ("node_title", sa.String(500)),
)

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END",
)
MYSQL_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW "  # noqa: S608
    f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}: UPDATE refused'",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW "
    "BEGIN "
    "IF @charter_audit_prune_before IS NULL OR OLD.at >= @charter_audit_prune_before THEN "
    f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}: DELETE refused'; "
    "END IF; "
    "END",
)
POSTGRESQL_TRIGGERS = (
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE cutoff text := current_setting('charter.audit_prune_before', true); "
    "BEGIN "
    "IF TG_OP = 'DELETE' AND coalesce(cutoff, '') <> '' THEN "
    "IF OLD.at < cutoff::timestamp THEN RETURN OLD; END IF; "
    "END IF; "
    f"RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP USING ERRCODE = 'P0001'; "
    "END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)
DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ),
    "mysql": (
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_append_only()",
    ),
}


def _dialect() -> str:
    name = op.get_bind().dialect.name
    return "mysql" if name == "mariadb" else name


def _json_text(key: str) -> str:
    """SQL reading the string ``key`` of the JSON text in ``details``."""
    dialect = _dialect()
    if dialect == "postgresql":
        return f"(details::json ->> '{key}')"
    if dialect == "mysql":
        return f"JSON_UNQUOTE(JSON_EXTRACT(details, '$.{key}'))"
    return f"json_extract(details, '$.{key}')"


def upgrade() -> None:
    for name, type_ in NEW_COLUMNS:
        op.add_column("audit_log", sa.Column(name, type_, nullable=True))
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.create_index("ix_audit_log_at_id", "audit_log", ["at", "id"])
    op.create_index("ix_audit_log_action_at_id", "audit_log", ["action", "at", "id"])
    op.create_index("ix_audit_log_actor_login_at_id", "audit_log", ["actor_login", "at", "id"])
    op.create_index("ix_audit_log_node_uid_at_id", "audit_log", ["node_uid", "at", "id"])
    op.create_index("ix_audit_log_node_path", "audit_log", ["node_path"], mysql_length=255)

    # Entries written before: those about a node named its uid in their details,
    # and its path as their target (or, when too long for it, in details.target).
    uid = _json_text("uid")
    full_target = _json_text("target")
    op.execute(
        f"UPDATE audit_log SET node_uid = {uid}, "  # noqa: S608 - our own SQL
        f"node_path = COALESCE({full_target}, target) "
        f"WHERE target LIKE '/%' AND {uid} IS NOT NULL AND LENGTH({uid}) = 32"
    )

    dialect = _dialect()
    if dialect == "sqlite":
        # AUTOINCREMENT: SQLite would otherwise hand the ids of pruned entries out again
        # (max + 1), and an id must name one entry for good. Only a rebuild adds it.
        with op.batch_alter_table(
            "audit_log", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    triggers = {"sqlite": SQLITE_TRIGGERS, "mysql": MYSQL_TRIGGERS}.get(
        dialect, POSTGRESQL_TRIGGERS
    )
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_TRIGGERS[_dialect()]:
        op.execute(statement)
    op.drop_index("ix_audit_log_node_path", table_name="audit_log")
    op.drop_index("ix_audit_log_node_uid_at_id", table_name="audit_log")
    op.drop_index("ix_audit_log_actor_login_at_id", table_name="audit_log")
    op.drop_index("ix_audit_log_action_at_id", table_name="audit_log")
    op.drop_index("ix_audit_log_at_id", table_name="audit_log")
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    for name, _ in reversed(NEW_COLUMNS):
        op.drop_column("audit_log", name)
