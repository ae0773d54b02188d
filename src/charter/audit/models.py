"""The append-only audit log: one row per write, whoever made it and through whatever interface."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from charter.db.meta import (
    MYSQL_TABLE_OPTIONS,
    Base,
    Identifier,
    JSONText,
    UTCDateTime,
    exact_text,
    utcnow,
)

# Column sizes, shared with the service that clips what it records to fit.
MAX_TARGET_LENGTH = 255
MAX_LOGIN_LENGTH = 100
MAX_ADDRESS_LENGTH = 64
MAX_USER_AGENT_LENGTH = 255
MAX_REQUEST_ID_LENGTH = 64
MAX_ACTION_LENGTH = 64
MAX_TITLE_LENGTH = 500
UID_LENGTH = 32


class AuditEntry(Base):
    """One write: who did what, to what, when, from where and in which request.

    Rows are only ever inserted (database triggers refuse UPDATE and DELETE,
    charter.audit.triggers). The actor's login and the node's path and title
    are copied, so the entry stays readable whatever later happens to the
    account or the node (renamed, moved, purged). Pages are read newest first
    by (``at``, ``id``); every index ends with those two columns so that each
    filter is one index range read in order.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at_id", "at", "id"),
        Index("ix_audit_log_action_at_id", "action", "at", "id"),
        Index("ix_audit_log_actor_login_at_id", "actor_login", "at", "id"),
        Index("ix_audit_log_node_uid_at_id", "node_uid", "at", "id"),
        # A subtree is a range over the path snapshot; MySQL indexes a prefix of TEXT.
        Index("ix_audit_log_node_path", "node_path", mysql_length=255),
        # SQLite would reuse the ids of pruned entries without AUTOINCREMENT.
        {**MYSQL_TABLE_OPTIONS, "sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Identifier, default=None)
    actor_login: Mapped[str | None] = mapped_column(String(MAX_LOGIN_LENGTH), default=None)
    # The API token the actor used, if any (its id; the token itself may be gone).
    token_id: Mapped[int | None] = mapped_column(Identifier, default=None)
    address: Mapped[str | None] = mapped_column(String(MAX_ADDRESS_LENGTH), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(MAX_USER_AGENT_LENGTH), default=None)
    request_id: Mapped[str | None] = mapped_column(String(MAX_REQUEST_ID_LENGTH), default=None)
    action: Mapped[str] = mapped_column(String(MAX_ACTION_LENGTH))
    target: Mapped[str] = mapped_column(String(MAX_TARGET_LENGTH), default="")
    # The node the entry is about, as it was then.
    node_uid: Mapped[str | None] = mapped_column(String(UID_LENGTH), default=None)
    node_path: Mapped[str | None] = mapped_column(exact_text(), default=None)
    node_title: Mapped[str | None] = mapped_column(String(MAX_TITLE_LENGTH), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
