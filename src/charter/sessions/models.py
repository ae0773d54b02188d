"""The server-side record of a logged-in session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from charter.db.meta import MYSQL_TABLE_OPTIONS, Base, Identifier, JSONText, UTCDateTime

# What is kept of the client's User-Agent header and address, in characters.
USER_AGENT_LENGTH = 500
ADDRESS_LENGTH = 64


class UserSession(Base):
    """A session someone began by logging in; the cookie holds a key whose SHA-256 is here.

    The row ends the session when it is deleted (logout, a new password,
    deactivation, an administrator) or when ``expires`` has passed.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # last_seen plus the idle timeout; indexed for purging what has expired.
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH), default=None)
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_LENGTH), default="")
    # The session's own values: its CSRF token and flash messages.
    data: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
