"""Events: the ``events`` table, a joined-table subtype of the core's ``nodes``.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

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
# UTC without an offset, with microseconds (charter.db.meta.UTCDateTime).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", ID, nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("location", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"], ["nodes.id"], name="fk_events_id_nodes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_events_ends_at", "events", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_events_ends_at", table_name="events")
    op.drop_table("events")
