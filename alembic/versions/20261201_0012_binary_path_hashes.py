"""Path hashes as the 32 bytes of their SHA-256 instead of 64 hex digits.

``nodes.path_hash`` and ``redirects.old_path_hash`` become BINARY(32) on
MySQL/MariaDB and bytea on PostgreSQL: the unique index every resolve probes
takes half the room, so more of a large tree's index stays in the buffer pool.
Each existing hash is converted from its hex digits, so every path stays
resolvable. SQLite keeps the declared VARCHAR(64) (its columns take any value;
a rebuild of ``nodes`` with foreign keys on would delete every subtype row) and
holds the digest as a blob.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DIGEST = sa.LargeBinary(32).with_variant(mysql.BINARY(32), "mysql", "mariadb")
HEX = sa.String(64)
# (table, column, its unique constraint)
HASHES = [
    ("nodes", "path_hash", "uq_nodes_path_hash"),
    ("redirects", "old_path_hash", "uq_redirects_old_path_hash"),
]
# SQL turning a column's hex digits into bytes, and back.
TO_BYTES = {"mysql": "UNHEX({})", "postgresql": "decode({}, 'hex')"}
TO_HEX = {"mysql": "LOWER(HEX({}))", "postgresql": "encode({}, 'hex')", "sqlite": "lower(hex({}))"}
SQLITE_BATCH = 10_000


def _dialect() -> str:
    name = op.get_bind().dialect.name
    return "mysql" if name == "mariadb" else name


def _replace(table: str, column: str, constraint: str, new_type, expression: str) -> None:
    """Put ``expression`` (of the old column) into a new column of ``new_type`` under the old
    name, with the same unique constraint."""
    staged = f"{column}_new"
    op.add_column(table, sa.Column(staged, new_type, nullable=True))
    op.execute(f"UPDATE {table} SET {staged} = {expression.format(column)}")  # noqa: S608
    op.drop_constraint(constraint, table, type_="unique")
    op.drop_column(table, column)
    op.alter_column(table, staged, new_column_name=column, existing_type=new_type, nullable=False)
    op.create_unique_constraint(constraint, table, [column])


def _sqlite_to_bytes(table: str, column: str) -> None:
    """SQLite 3.40 has no unhex(): convert the rows in batches through Python."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id"), sa.column(column))
    last = 0
    while True:
        batch = bind.execute(
            sa.select(rows.c.id, rows.c[column])
            .where(rows.c.id > last)
            .order_by(rows.c.id)
            .limit(SQLITE_BATCH)
        ).all()
        if not batch:
            return
        bind.execute(
            sa.update(rows)
            .where(rows.c.id == sa.bindparam("row_id"))
            .values({column: sa.bindparam("digest")}),
            [{"row_id": row_id, "digest": bytes.fromhex(value)} for row_id, value in batch],
        )
        last = batch[-1][0]


def upgrade() -> None:
    dialect = _dialect()
    for table, column, constraint in HASHES:
        if dialect == "sqlite":
            _sqlite_to_bytes(table, column)
        else:
            _replace(table, column, constraint, DIGEST, TO_BYTES[dialect])


def downgrade() -> None:
    dialect = _dialect()
    for table, column, constraint in HASHES:
        if dialect == "sqlite":
            op.execute(f"UPDATE {table} SET {column} = {TO_HEX['sqlite'].format(column)}")  # noqa: S608
        else:
            _replace(table, column, constraint, HEX, TO_HEX[dialect])
