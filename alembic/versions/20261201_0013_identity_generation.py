"""The identity generation: one number every change to who a caller is moves on.

A table of one row, and triggers that add one to it in the same transaction
as any change an identity is made of: an account's login, full name, active
flag or password; a token's hash, owner, scope, expiry or revocation; a
group's name; a membership; a site-wide role; and the deletion of any of
those rows. A process keeps the identity behind an API token together with
the number it read, and uses it only while requests still read the same
number (charter.security.identity_cache), so a revocation, a deactivation or
a password change counts at once in every process.

A token's last-used time, a login's time and an account's e-mail address are
not part of an identity: their updates leave the number alone.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import sqlalchemy as sa

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BUMP = "UPDATE identity_generation SET value = value + 1 WHERE id = 1"
PG_FUNCTION = "identity_generation_bump"
# (table, short name, columns whose change moves the number on; None: every insert counts)
WATCHED = [
    ("users", "users", ("login", "full_name", "active", "password_hash")),
    ("api_tokens", "tokens", ("token_hash", "user_id", "scope", "expires", "revoked")),
    ("groups", "groups", ("name",)),
    ("group_members", "members", None),
    ("global_roles", "roles", None),
]


def _dialect() -> str:
    name = op.get_bind().dialect.name
    return "mysql" if name == "mariadb" else name


def _triggers(dialect: str) -> list[tuple[str, str]]:
    """(trigger name, its CREATE statement) for every watched table and event."""
    quote = "`{}`" if dialect == "mysql" else '"{}"'
    made = []
    for table, short, columns in WATCHED:
        quoted = quote.format(table)
        events = ["DELETE", "UPDATE"] if columns else ["INSERT", "UPDATE", "DELETE"]
        for event in events:
            name = f"identity_generation_{short}_{event.lower()}"
            watched = columns if event == "UPDATE" else None
            made.append((name, _create(dialect, name, quoted, event, watched)))
    return made


def _create(
    dialect: str, name: str, table: str, event: str, columns: tuple[str, ...] | None
) -> str:
    if dialect == "mysql":
        body = f"{BUMP};"
        if columns:
            same = " AND ".join(f"OLD.{column} <=> NEW.{column}" for column in columns)
            body = f"IF NOT ({same}) THEN {BUMP}; END IF;"
        return f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END"
    if dialect == "postgresql":
        when = ""
        if columns:
            changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
            when = f"WHEN ({changed}) "
        return (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when}"
            f"EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    when = ""
    if columns:
        when = "WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns) + " "
    return f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when}BEGIN {BUMP}; END"


def upgrade() -> None:
    op.create_table(
        "identity_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_generation")),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.execute("INSERT INTO identity_generation (id, value) VALUES (1, 1)")
    dialect = _dialect()
    if dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
    for _, statement in _triggers(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = _dialect()
    for name, _ in _triggers(dialect):
        if dialect == "postgresql":
            table = next(t for t, short, _ in WATCHED if name.split("_")[2] == short)
            op.execute(f'DROP TRIGGER {name} ON "{table}"')
        else:
            op.execute(f"DROP TRIGGER {name}")
    if dialect == "postgresql":
        op.execute(f"DROP FUNCTION {PG_FUNCTION}()")
    op.drop_table("identity_generation")
