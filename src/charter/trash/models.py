"""What the trash keeps: one entry per deleted subtree, and who may restore or purge it.

The subtree's rows stay in ``nodes`` with their uids, versions, grants and
positions; only their paths move out of the live tree, under
``@trash/<entry id>`` (charter.trash.paths), where no traversal, listing or
name check finds them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

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


class TrashEntry(Base):
    """A deleted subtree: its top node, where it was, who deleted it and what it held.

    The title, type, uid and path are copied at deletion so the trash lists
    without reading the subtree.
    """

    __tablename__ = "trash_entries"
    __table_args__ = (
        Index("ix_trash_entries_deleted_at_id", "deleted_at", "id"),
        Index("ix_trash_entries_deleted_by_id", "deleted_by_id"),
        # Ids are never reused (SQLite would reuse a purged one), so a trash link or an
        # audit entry names one entry for good.
        {**MYSQL_TABLE_OPTIONS, "sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), unique=True)
    uid: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(exact_string(MAX_NAME_LENGTH))
    original_path: Mapped[str] = mapped_column(exact_text())
    # Null once that folder is purged; restoring then needs a target.
    original_parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("nodes.id", ondelete="SET NULL"), index=True
    )
    original_position: Mapped[int] = mapped_column(Integer)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_by_login: Mapped[str | None] = mapped_column(String(100))
    deleted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The nodes of the subtree, its top included, and the bytes of its files.
    item_count: Mapped[int] = mapped_column(Integer)
    file_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set by an Administrator: no purge, by hand or by retention, while it is on.
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TrashEntryPrincipal(Base):
    """A principal who could delete the subtree when it was deleted: they may see, restore
    and purge it (a snapshot, like the entry's title)."""

    __tablename__ = "trash_entry_principals"
    __table_args__ = (
        Index("ix_trash_entry_principals_principal_entry_id", "principal", "entry_id"),
        MYSQL_TABLE_OPTIONS,
    )

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("trash_entries.id", ondelete="CASCADE"), primary_key=True
    )
    principal: Mapped[str] = mapped_column(exact_string(120), primary_key=True)
