"""Who is making a request: loaded in one query with a session record or an API token.

``identity_query`` and ``identity_from_rows`` are the building blocks: a
caller joins what identifies the request (a token here, a session record in
charter.sessions.store) into the one query.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, Select, String, bindparam, cast, literal, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from charter.accounts.models import ApiToken, Group, User, group_members
from charter.accounts.tokens import READ_SCOPE, token_digest
from charter.db.generation import identity_generation_value
from charter.db.meta import utcnow
from charter.security.models import GlobalRole
from charter.security.principals import AUTHENTICATED, EVERYONE, GROUP_PREFIX, USER_PREFIX
from charter.security.roles import Role

if TYPE_CHECKING:
    from charter.security.identity_cache import IdentityCache

# A token's last-used time is written at most this often, so that a busy
# integration does not turn every read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Identity:
    """An authenticated caller, with everything the security policy needs."""

    user_id: int
    login: str
    full_name: str
    principals: frozenset[str]
    global_roles: frozenset[Role]
    token_id: int | None = None
    token_scope: str | None = None

    @property
    def read_only(self) -> bool:
        """True for a request made with a ``read`` token."""
        return self.token_scope == READ_SCOPE


def identity_query(*extra_columns: Any) -> Select:
    """The rows of an active account's identity, one per group and role, with ``extra_columns``
    after the first five; join what picks the account and filter on it."""
    user_principal = literal(USER_PREFIX) + cast(User.id, String)
    group_principal = literal(GROUP_PREFIX) + Group.name
    return (
        select(
            User.id,
            User.login,
            User.full_name,
            Group.name,
            GlobalRole.role,
            *extra_columns,
        )
        .select_from(User)
        .outerjoin(group_members, group_members.c.user_id == User.id)
        .outerjoin(Group, Group.id == group_members.c.group_id)
        .outerjoin(
            GlobalRole,
            or_(
                GlobalRole.principal == user_principal,
                GlobalRole.principal == AUTHENTICATED,
                GlobalRole.principal == group_principal,
            ),
        )
        .where(User.active.is_(True))
    )


def identity_from_rows(
    rows: Sequence[Row], token_id: int | None = None, scope: str | None = None
) -> Identity | None:
    """The identity that rows of ``identity_query`` describe, or None when there are none."""
    if not rows:
        return None
    user_id, login, full_name = rows[0][:3]
    groups = {row[3] for row in rows if row[3] is not None}
    roles = {Role(row[4]) for row in rows if row[4] is not None}
    principals = {EVERYONE, AUTHENTICATED, f"{USER_PREFIX}{user_id}"}
    principals |= {f"{GROUP_PREFIX}{name}" for name in groups}
    return Identity(
        user_id=user_id,
        login=login,
        full_name=full_name,
        principals=frozenset(principals),
        global_roles=frozenset(roles),
        token_id=token_id,
        token_scope=scope,
    )


@functools.cache
def _user_statement() -> Select:
    # Built once: composing the joins costs more than running the query.
    return identity_query().where(User.id == bindparam("user_id"))


@functools.cache
def _token_statement() -> Select:
    # The generation comes with the rows, as of the same moment: what a cache keeps of them.
    return (
        identity_query(
            ApiToken.id,
            ApiToken.scope,
            ApiToken.last_used,
            ApiToken.expires,
            identity_generation_value(),
        )
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("token_hash"),
            ApiToken.revoked.is_(None),
            or_(ApiToken.expires.is_(None), ApiToken.expires > bindparam("now")),
        )
    )


def identity_for_user(dbsession: Session, user_id: int) -> Identity | None:
    """The identity of an active account, or None (one query)."""
    # A Core statement on the session's connection: no ORM entity is loaded.
    rows = dbsession.connection().execute(_user_statement(), {"user_id": user_id}).all()
    return identity_from_rows(rows)


def identity_for_token(
    dbsession: Session,
    token: str,
    cache: IdentityCache | None = None,
    generation: int | None = None,
) -> Identity | None:
    """The identity behind a valid, unexpired, unrevoked API token, or None.

    With a ``cache`` and the ``generation`` the request read with its lineage,
    an identity kept at that generation is used without a query
    (charter.security.identity_cache); otherwise it is loaded (one query) and
    kept for the next request.
    """
    now = utcnow()
    digest = token_digest(token)
    if cache is not None and generation is not None:
        kept = cache.get(digest, generation, now)
        if kept is not None:
            if _use_is_due(kept.last_used, now):
                _note_use(dbsession, kept.identity.token_id, now)
                kept.last_used = now
            return kept.identity
    rows = (
        dbsession.connection().execute(_token_statement(), {"token_hash": digest, "now": now}).all()
    )
    if not rows:
        return None
    token_id, scope, last_used, expires, loaded_generation = rows[0][5:10]
    if _use_is_due(last_used, now):
        _note_use(dbsession, token_id, now)
        last_used = now
    identity = identity_from_rows(rows, token_id, scope)
    if cache is not None and identity is not None and loaded_generation is not None:
        cache.put(digest, identity, loaded_generation, expires, last_used)
    return identity


def _use_is_due(last_used: dt.datetime | None, now: dt.datetime) -> bool:
    return last_used is None or now - last_used >= LAST_USED_RESOLUTION


def _note_use(dbsession: Session, token_id: int, now: dt.datetime) -> None:
    # Best effort, in a savepoint: when concurrent requests with one token
    # contend for the row (SQLite locks the whole database), the request
    # goes on without recording the time rather than failing.
    try:
        with dbsession.begin_nested():
            dbsession.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used=now))
    except OperationalError:
        pass
