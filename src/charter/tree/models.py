"""The tree: one ``nodes`` row per item, subtypes in joined tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    ForeignKey,
    FromClause,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    or_,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from charter.db.meta import (
    MYSQL_TABLE_OPTIONS,
    Base,
    Identifier,
    UTCDateTime,
    exact_string,
    exact_text,
    utcnow,
)
from charter.tree.names import MAX_NAME_LENGTH
from charter.tree.paths import PathHash


def new_uid() -> str:
    """A fresh, never reused identifier (random UUID, 32 hex digits)."""
    return uuid.uuid4().hex


class Node(Base):
    """An item of the tree: folder, document, file or an add-on's type.

    ``path`` is the materialized name path and ``path_hash`` its indexed
    SHA-256 digest, 32 bytes (charter.tree.paths); ``version`` grows with every change and is
    the entity tag clients send back when they update.
    """

    __tablename__ = "nodes"
    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_nodes_parent_id_name"),
        Index("ix_nodes_parent_id_position_id", "parent_id", "position", "id"),
        # Range scans over a path prefix (a folder's whole subtree); MySQL can
        # index only a prefix of a TEXT column, 255 characters is plenty to
        # narrow the scan.
        Index("ix_nodes_path", "path", mysql_length=255),
        # The dashboard's lists (charter.tree.recent, charter.workflow.worklists): newest
        # changes, a person's drafts, the review queue, each read in order up to a LIMIT.
        Index("ix_nodes_modified_id", "modified", "id"),
        Index("ix_nodes_owner_id_modified", "owner_id", "modified"),
        Index("ix_nodes_workflow_state_modified", "workflow_state", "modified"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    type: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"))
    name: Mapped[str] = mapped_column(exact_string(MAX_NAME_LENGTH))
    path: Mapped[str] = mapped_column(exact_text())
    path_hash: Mapped[bytes] = mapped_column(PathHash, unique=True)
    depth: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    modified: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # False: local roles granted above this node do not apply here or below.
    inherit_roles: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Set by an Administrator: the node cannot be purged from the trash while it is on.
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The node's state in its type's workflow (charter.workflow); None: under no workflow.
    workflow_state: Mapped[str | None] = mapped_column(String(64), default=None)

    local_roles: Mapped[list[LocalRole]] = relationship(
        back_populates="node", cascade="all, delete-orphan", order_by="LocalRole.id"
    )

    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_on": "type"}

    # Whether the type holds children (a folder) or not (a document).
    is_container: ClassVar[bool] = False
    # Pyramid's location protocol; traversal sets __parent__ on the lineage.
    __parent__: Node | None = None

    @property
    def __name__(self) -> str:  # type: ignore[override]
        return self.name

    @property
    def type_name(self) -> str:
        """The registered name of this node's type (``@type`` in JSON)."""
        return self.type

    def apply_fields(self, fields: dict[str, Any]) -> None:
        """Set validated fields (a type whose fields need more than assignment overrides this)."""
        for name, value in fields.items():
            setattr(self, name, value)

    def content_fields(self) -> dict[str, Any]:
        """The type's own fields, as they appear in its JSON beside the common keys."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"


class LocalRole(Base):
    """A role granted to a principal on one node (and, unless blocked, below it)."""

    __tablename__ = "local_roles"
    __table_args__ = (
        UniqueConstraint("node_id", "principal", "role", name="uq_local_roles_node_principal_role"),
        Index("ix_local_roles_principal", "principal"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    principal: Mapped[str] = mapped_column(exact_string(120))
    role: Mapped[str] = mapped_column(String(32))

    node: Mapped[Node] = relationship(back_populates="local_roles")


class NodeViewer(Base):
    """A role a principal holds on a node, through grants on it or its ancestors.

    Derived from the local roles on the node's lineage (charter.tree.viewers)
    so that listings filter in SQL instead of checking each row in Python:
    which of these roles may view the node in its workflow state is decided
    in the query (charter.tree.visibility), not stored here.
    """

    __tablename__ = "node_viewers"
    __table_args__ = (
        Index("ix_node_viewers_principal_node_id", "principal", "node_id"),
        MYSQL_TABLE_OPTIONS,
    )

    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True
    )
    principal: Mapped[str] = mapped_column(exact_string(120), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


def subtype_tables() -> FromClause:
    """``nodes`` outer-joined to every subtype table, each only for the rows of its types.

    The FROM of a polymorphic load (``with_polymorphic(Node, "*", selectable=...)``) that
    looks up a row in ``documents`` for a document only, not for each folder of a lineage
    too: on a tree larger than the database's cache, every probe of a subtype table for a
    row it cannot hold can cost a page read. Built when called, so it knows every type
    mapped by then (an add-on's too).
    """
    nodes = Node.__table__
    joined: FromClause = nodes
    for mapper in Node.__mapper__.self_and_descendants:
        if mapper.inherits is None or mapper.local_table is mapper.inherits.local_table:
            continue  # the nodes table itself, or a type without a table of its own
        types = sorted(
            sub.polymorphic_identity
            for sub in mapper.self_and_descendants
            if sub.polymorphic_identity is not None
        )
        # Equalities, not IN: a literal IN list is an expanding parameter that SQLAlchemy
        # splices into the SQL again on every execution.
        of_its_types = or_(*(nodes.c.type == name for name in types))
        joined = joined.outerjoin(mapper.local_table, and_(mapper.inherit_condition, of_its_types))
    return joined
