"""Indexes for the home page's dashboard: the latest changes, a person's drafts, the review
queue, each read newest (or oldest) first with a LIMIT instead of sorting the whole tree.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_nodes_modified_id", "nodes", ["modified", "id"])
    op.create_index("ix_nodes_owner_id_modified", "nodes", ["owner_id", "modified"])
    op.create_index("ix_nodes_workflow_state_modified", "nodes", ["workflow_state", "modified"])


def downgrade() -> None:
    op.drop_index("ix_nodes_workflow_state_modified", table_name="nodes")
    if op.get_bind().dialect.name in {"mysql", "mariadb"}:
        # MySQL let the owner's foreign key use the new index and dropped the one it had
        # made for it (named after the constraint); it comes back before the new one goes.
        op.create_index("fk_nodes_owner_id_users", "nodes", ["owner_id"])
    op.drop_index("ix_nodes_owner_id_modified", table_name="nodes")
    op.drop_index("ix_nodes_modified_id", table_name="nodes")
