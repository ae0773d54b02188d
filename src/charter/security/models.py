"""Site-wide role grants and the counters behind login rate limits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from charter.db.meta import MYSQL_TABLE_OPTIONS, Base, Identifier, UTCDateTime, exact_string


class GlobalRole(Base):
    """A role granted to a principal everywhere, even below a node that blocks inheritance."""

    __tablename__ = "global_roles"
    __table_args__ = (
        UniqueConstraint("principal", "role", name="uq_global_roles_principal_role"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    principal: Mapped[str] = mapped_column(exact_string(120))
    role: Mapped[str] = mapped_column(String(32))


class RateLimitCounter(Base):
    """How many attempts a key (an account, an address) made in its current window."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    key: Mapped[str] = mapped_column(exact_string(200), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)
