"""Tables of the change feed, the webhook outbox and the idempotency keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from charter.db.meta import (
    MYSQL_TABLE_OPTIONS,
    Base,
    Identifier,
    JSONText,
    UTCDateTime,
    exact_string,
    exact_text,
    utcnow,
)

# A stored response body may be larger than MySQL's 64 KiB BLOB.
LONG_BINARY = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class ChangeCounter(Base):
    """The one row (id 1) whose lock orders the feed: ``last_seq`` is the sequence number of
    the newest committed change; ``pruned_seq`` the newest one retention removed."""

    __tablename__ = "change_counter"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Change(Base):
    """One entry of the change feed; ``seq`` is given at commit, in commit order.

    ``tombstone`` entries say the node is gone for their audience (trashed,
    purged, or no longer visible to them); a tombstone of a folder stands for
    its whole subtree.
    """

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_node_uid_seq", "node_uid", "seq"),
        Index("ix_changes_at", "at"),
        MYSQL_TABLE_OPTIONS,
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    tombstone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    node_uid: Mapped[str] = mapped_column(String(32))
    node_type: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(exact_text())
    old_path: Mapped[str | None] = mapped_column(exact_text(), default=None)
    title: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int | None] = mapped_column(Integer, default=None)
    actor_login: Mapped[str | None] = mapped_column(String(100), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class ChangeAudience(Base):
    """A principal that may see the change ``seq`` (who could view its node at the time)."""

    __tablename__ = "change_audience"
    __table_args__ = (
        Index("ix_change_audience_principal_seq", "principal", "seq"),
        MYSQL_TABLE_OPTIONS,
    )

    seq: Mapped[int] = mapped_column(
        ForeignKey("changes.seq", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    principal: Mapped[str] = mapped_column(exact_string(120), primary_key=True)


class IdempotencyKey(Base):
    """A caller's ``Idempotency-Key``: the request it came with and, once done, its response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope"),
        Index("ix_idempotency_keys_expires", "expires"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(exact_string(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    claim: Mapped[str] = mapped_column(String(32))
    # Until then a request holds the key; a crashed one's claim lapses after it.
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    headers: Mapped[list[Any] | None] = mapped_column(JSONText, default=None)
    body: Mapped[bytes | None] = mapped_column(LONG_BINARY, default=None)


class WebhookEndpoint(Base):
    """A URL that receives signed deliveries of the events it subscribed to."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    # Event types ("content.created"...); empty means every type.
    event_types: Mapped[list[str]] = mapped_column(JSONText, default=list)
    subtree: Mapped[str | None] = mapped_column(exact_text(), default=None)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_secret_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    failing_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class WebhookMessage(Base):
    """The outbox: one event to deliver to one endpoint, written in the transaction of the
    change; ``msg_id`` is its ``webhook-id`` (the same on every attempt)."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        Index("ix_webhook_messages_state_next_attempt", "state", "next_attempt_at"),
        Index("ix_webhook_messages_endpoint_id_id", "endpoint_id", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb"))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending, delivered or failed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class WebhookAttempt(Base):
    """One delivery attempt: the endpoint's answer (or the error), how long it took."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_endpoint_id_id", "endpoint_id", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("webhook_messages.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_excerpt: Mapped[str] = mapped_column(String(1000), default="")
    error: Mapped[str | None] = mapped_column(String(500), default=None)
