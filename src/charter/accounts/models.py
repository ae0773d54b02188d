"""People who use Charter, the groups they belong to, and their API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from charter.db.meta import MYSQL_TABLE_OPTIONS, Base, Identifier, UTCDateTime, exact_string, utcnow

group_members = Table(
    "group_members",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_group_members_user_id", "user_id"),
    **MYSQL_TABLE_OPTIONS,
)


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

    groups: Mapped[list[Group]] = relationship(
        secondary=group_members, back_populates="members", order_by="Group.name"
    )

    def __repr__(self) -> str:
        return f"<User {self.login!r}>"


class Group(Base):
    """A named set of accounts that roles can be granted to at once."""

    __tablename__ = "groups"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    name: Mapped[str] = mapped_column(exact_string(100), unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=group_members, back_populates="groups", order_by=User.login
    )

    def __repr__(self) -> str:
        return f"<Group {self.name!r}>"


class ApiToken(Base):
    """A named credential for the JSON API; only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in listings to tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship()
