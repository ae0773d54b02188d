"""Publication workflow: a state per node and the workflow history.

Sites created before this revision keep what everyone sees: every folder,
document and file becomes ``published`` (the default workflow's state that
every reader sees); nodes of other types get no state (no workflow). New
nodes start in their workflow's initial state. ``node_viewers`` now keeps
the role each principal holds on each node (recomputed here from the local
grants, once), so that which roles see which state is decided by the query.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MYSQL_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# The types of the default workflow, as they were when this revision was written.
CORE_TYPES = ("Folder", "Document", "File")
ROOT_PATH = "/"


def exact_string(length):
    return (
        sa.String(length)
        .with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def _create_node_viewers() -> None:
    op.create_table(
        "node_viewers",
        sa.Column("node_id", ID, nullable=False),
        sa.Column("principal", exact_string(120), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name="fk_node_viewers_node_id_nodes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("node_id", "principal", "role", name="pk_node_viewers"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_node_viewers_principal_node_id", "node_viewers", ["principal", "node_id"])


def _fill_node_viewers(with_role: bool = True) -> None:
    """Every (node, principal, role) the local grants give: one INSERT ... SELECT, the
    statement charter.tree.viewers.refresh_subtree runs for the whole tree."""
    nodes = sa.table(
        "nodes",
        sa.column("id", ID),
        sa.column("path", sa.Text()),
        sa.column("depth", sa.Integer()),
        sa.column("inherit_roles", sa.Boolean()),
    )
    local_roles = sa.table(
        "local_roles",
        sa.column("node_id", ID),
        sa.column("principal", sa.String(120)),
        sa.column("role", sa.String(32)),
    )
    columns = ["node_id", "principal", "role"] if with_role else ["node_id", "principal"]
    viewers = sa.table("node_viewers", *(sa.column(name) for name in columns))
    granted_on = nodes.alias("granted_on")
    viewed = nodes.alias("viewed")
    blocker = nodes.alias("blocker")

    def ancestor_or_self(ancestor, node):
        is_root = ancestor.c.depth == 0
        low = sa.case((is_root, sa.literal(ROOT_PATH)), else_=ancestor.c.path + "/")
        high = sa.case((is_root, sa.literal("0")), else_=ancestor.c.path + "0")
        return sa.or_(node.c.id == ancestor.c.id, sa.and_(node.c.path > low, node.c.path < high))

    cut_off = sa.exists().where(
        blocker.c.inherit_roles.is_(False),
        blocker.c.depth > granted_on.c.depth,
        blocker.c.depth <= viewed.c.depth,
        ancestor_or_self(blocker, viewed),
    )
    selected = [viewed.c.id, local_roles.c.principal]
    if with_role:
        selected.append(local_roles.c.role)
    pairs = (
        sa.select(*selected)
        .distinct()
        .select_from(local_roles)
        .join(granted_on, granted_on.c.id == local_roles.c.node_id)
        .join(viewed, ancestor_or_self(granted_on, viewed))
        .where(~cut_off)
    )
    op.execute(viewers.insert().from_select(columns, pairs))


def upgrade() -> None:
    op.add_column("nodes", sa.Column("workflow_state", sa.String(64), nullable=True))
    nodes = sa.table("nodes", sa.column("type", sa.String(64)), sa.column("workflow_state"))
    op.execute(
        nodes.update().where(nodes.c.type.in_(CORE_TYPES)).values(workflow_state="published")
    )
    # The viewers gain the role each principal holds: derived data, rebuilt from the grants.
    op.drop_table("node_viewers")
    _create_node_viewers()
    _fill_node_viewers()
    op.create_table(
        "workflow_history",
        sa.Column("id", ID, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("actor_login", sa.String(100), nullable=True),
        sa.Column("workflow", sa.String(64), nullable=False),
        sa.Column("transition", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(64), nullable=True),
        sa.Column("to_state", sa.String(64), nullable=False),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name="fk_workflow_history_node_id_nodes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name="fk_workflow_history_actor_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_workflow_history"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_workflow_history_node_id_id", "workflow_history", ["node_id", "id"])


def downgrade() -> None:
    op.drop_table("workflow_history")
    op.drop_table("node_viewers")
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
    op.create_index("ix_node_viewers_principal_node_id", "node_viewers", ["principal", "node_id"])
    _fill_node_viewers(with_role=False)
    op.drop_column("nodes", "workflow_state")
