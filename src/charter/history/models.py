"""Revisions of nodes' content and redirects from the paths nodes left."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from charter.db.meta import (
    MYSQL_TABLE_OPTIONS,
    Base,
    Identifier,
    JSONText,
    UTCDateTime,
    exact_text,
    utcnow,
)
from charter.tree.models import Node
from charter.tree.paths import PathHash

MAX_COMMENT_LENGTH = 500


class Revision(Base):
    """An immutable snapshot of a node's content fields after one change.

    ``number`` counts the node's revisions from 1 (its creation); ``fields``
    holds the type's schema fields as JSON, and for a file the blob it
    refers to (by hash, never a copy of the bytes), also in ``blob_sha256``
    so that blob garbage collection keeps it.
    """

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("node_id", "number", name="uq_revisions_node_id_number"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_login: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(String(MAX_COMMENT_LENGTH), default="")
    fields: Mapped[dict[str, Any]] = mapped_column(JSONText)
    blob_sha256: Mapped[str | None] = mapped_column(String(64), index=True)

    # Set when recording, so a new node and its first revision go in one flush.
    node: Mapped[Node] = relationship()


class Redirect(Base):
    """A path a node left by a rename or move, answered with a redirect to where it is now.

    Pointing at the node, not at its new path, collapses chains: A moved to
    B then C redirects A straight to C. Paths below the old one follow.
    """

    __tablename__ = "redirects"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    old_path: Mapped[str] = mapped_column(exact_text())
    old_path_hash: Mapped[bytes] = mapped_column(PathHash, unique=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
