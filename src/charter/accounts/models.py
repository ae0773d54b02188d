"""People who use Charter."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from charter.db.meta import MYSQL_TABLE_OPTIONS, Base, Identifier, UTCDateTime, exact_string, utcnow


class User(Base):
    """An account: someone who logs in to the web UI or calls the API."""

    __tablename__ = "users"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    login: Mapped[str] = mapped_column(exact_string(100), unique=True)
    email: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    def __repr__(self) -> str:
        return f"<User {self.login!r}>"
