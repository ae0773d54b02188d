"""Files: uploaded bytes live in the blob store, their details in ``files``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MYSQL_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", ID, nullable=False),
        sa.Column("blob_sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(255), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(["id"], ["nodes.id"], name="fk_files_id_nodes", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_files_blob_sha256", "files", ["blob_sha256"])


def downgrade() -> None:
    op.drop_table("files")
