"""The identity generation: one number that every committed change to who a caller is moves on.

Database triggers (alembic 0013) add one to ``identity_generation.value`` in
the same transaction as any change to an account's login, name, password or
active flag, a token's hash, owner, scope, expiry or revocation, a group's
name, a membership or a site-wide role, and any deletion of those rows.
Processes keep the identities they loaded together with the value read in
the same statement (charter.security.identity_cache) and use one only while
the value a request reads with its lineage (charter.tree.services) is the same.

It lives here, beside the engine and sessions, because both the tree's
lineage query and the security package's identity query read it.
"""

from __future__ import annotations

import functools

from sqlalchemy import BigInteger, Integer, ScalarSelect, select
from sqlalchemy.orm import Mapped, mapped_column

from charter.db.meta import MYSQL_TABLE_OPTIONS, Base

# The table's one row.
IDENTITY_GENERATION_ROW = 1
# The request attribute traversal sets to the generation it read with the lineage on the
# primary database (a replica's may lag behind it).
GENERATION_ATTRIBUTE = "identity_generation"


class IdentityGeneration(Base):
    """The table of one row holding the current generation."""

    __tablename__ = "identity_generation"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


@functools.cache
def identity_generation_value() -> ScalarSelect:
    """The current generation as a scalar subquery, to read in a statement a request makes
    anyway (the lineage, the token's identity) rather than in one of its own."""
    return (
        select(IdentityGeneration.value)
        .where(IdentityGeneration.id == IDENTITY_GENERATION_ROW)
        .scalar_subquery()
    )
