"""Accounts, groups and API tokens: creating, changing and finding them, with an audit trail."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from charter.accounts.models import ApiToken, Group, User
from charter.accounts.passwords import hash_password, verify_password
from charter.accounts.tokens import TOKEN_PREFIX, TOKEN_SCOPES, token_digest
from charter.audit.service import SYSTEM, Actor, AuditLog
from charter.content.fields import MomentOutOfRange, storable_utc
from charter.db.meta import utcnow
from charter.errors import Conflict, NotFound, ValidationFailed
from charter.i18n import _
from charter.input.numbers import MAX_BIGINT, whole_number
from charter.input.text import text_errors, text_problem
from charter.security.models import GlobalRole
from charter.security.principals import GROUP_PREFIX, USER_PREFIX, group_principal, user_principal
from charter.sessions.services import DEACTIVATED, PASSWORD_CHANGED, SessionService
from charter.sessions.store import DatabaseSessionStore
from charter.tree.models import LocalRole, NodeViewer

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
GROUP_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
LIST_LIMIT = 200
# How many people a picker offers while someone types: enough to spot the one meant.
PICKER_LIMIT = 10
# The sizes of the columns (charter.accounts.models); a longer password is no safer.
MAX_EMAIL_LENGTH = 255
MAX_FULL_NAME_LENGTH = 255
MAX_TITLE_LENGTH = 255
MAX_PASSWORD_LENGTH = 1024


class AccountService:
    """People and groups, as administrators and the people themselves change them.

    ``sessions`` ends people's sessions when their password changes or their
    account is deactivated; without it, sessions kept in the database end.
    """

    def __init__(
        self,
        dbsession: Session,
        min_password_length: int = 10,
        audit: AuditLog | None = None,
        sessions: SessionService | None = None,
    ) -> None:
        self.dbsession = dbsession
        self.min_password_length = min_password_length
        self.audit = audit or AuditLog(dbsession)
        self.sessions = sessions or SessionService(DatabaseSessionStore(dbsession), self.audit)

    # -- people -----------------------------------------------------------

    def find_by_login(self, login: str) -> User | None:
        """The account with ``login``, or None."""
        if not _storable(login):
            return None
        return self.dbsession.scalars(select(User).where(User.login == login)).one_or_none()

    def get_user(self, user_id: int) -> User:
        """The account with ``user_id``; NotFound otherwise."""
        # No id lies outside BIGINT, and the drivers cannot even send one that does.
        user = self.dbsession.get(User, user_id) if 1 <= user_id <= MAX_BIGINT else None
        if user is None:
            raise NotFound(_("no account with id ${id}", mapping={"id": user_id}))
        return user

    def list_users(self, text: str | None = None, limit: int | None = LIST_LIMIT) -> list[User]:
        """Accounts by login; with ``text``, those whose login, name or email contain it.

        Their groups come in one more query, not one per account.
        """
        query = select(User).options(selectinload(User.groups)).order_by(User.login).limit(limit)
        if text and not _storable(text):
            return []
        if text:
            pattern = f"%{_escape_like(text.lower())}%"
            query = query.where(
                or_(
                    User.login.like(pattern, escape="\\"),
                    User.email.ilike(pattern, escape="\\"),
                    User.full_name.ilike(pattern, escape="\\"),
                )
            )
        return list(self.dbsession.scalars(query))

    def pick_people(
        self, text: str, limit: int = PICKER_LIMIT, *, groups: bool = True
    ) -> tuple[list[User], list[Group]]:
        """Active accounts and groups a person choosing by typing may mean: at most ``limit``.

        A login or group name that starts with ``text`` is found through its unique index;
        a full name or group title anywhere containing it, case-insensitively. E-mail
        addresses are not searched, so the answer cannot be used to guess them. Each query
        stops at ``limit`` rows, however many people the site holds.
        """
        text = text.strip().lower()
        if not text or not _storable(text) or limit < 1:
            return [], []
        escaped = _escape_like(text)
        users = select(User).where(
            User.active.is_(True),
            or_(
                User.login.like(f"{escaped}%", escape="\\"),
                User.full_name.ilike(f"%{escaped}%", escape="\\"),
            ),
        )
        found_users = list(self.dbsession.scalars(users.order_by(User.login).limit(limit)))
        if not groups:
            return found_users, []
        query = select(Group).where(
            or_(
                Group.name.like(f"{escaped}%", escape="\\"),
                Group.title.ilike(f"%{escaped}%", escape="\\"),
            )
        )
        return found_users, list(self.dbsession.scalars(query.order_by(Group.name).limit(limit)))

    def create_user(
        self,
        login: str,
        email: str,
        password: str,
        full_name: str = "",
        actor: Actor = SYSTEM,
    ) -> User:
        """Add an account; refuses a malformed or taken login, a bad email, a short password."""
        login = login.strip().lower()
        errors = self._user_errors(login=login, email=email, full_name=full_name)
        errors += self._password_errors(password)
        if errors:
            raise ValidationFailed(errors)
        if self.find_by_login(login) is not None:
            raise Conflict(_("the login ${login} is taken", mapping={"login": repr(login)}))
        user = User(
            login=login,
            email=email.strip(),
            full_name=full_name.strip(),
            password_hash=hash_password(password),
        )
        self.dbsession.add(user)
        self.dbsession.flush()  # the new id names the account in the audit entry
        self.audit.record("user.created", actor, user_principal(user.id), login=login)
        return user

    def update_user(
        self,
        user: User,
        *,
        email: str | None = None,
        full_name: str | None = None,
        active: bool | None = None,
        actor: Actor = SYSTEM,
    ) -> User:
        """Change an account's email, full name or active flag (only what is given)."""
        errors = self._user_errors(email=email, full_name=full_name)
        if active is False and actor.user_id == user.id:
            errors.append(("active", _("you cannot deactivate your own account")))
        if errors:
            raise ValidationFailed(errors)
        changes: dict[str, object] = {}
        for field, value in (("email", email), ("full_name", full_name), ("active", active)):
            if value is not None:
                value = value.strip() if isinstance(value, str) else value
                if getattr(user, field) != value:
                    changes[field] = value
                    setattr(user, field, value)
        if changes:
            self.audit.record(
                "user.updated", actor, user_principal(user.id), login=user.login, changes=changes
            )
        if changes.get("active") is False:
            self.sessions.end_all(user, actor, DEACTIVATED)
        return user

    def set_password(self, user: User, password: str, actor: Actor = SYSTEM) -> None:
        """Give ``user`` a new password; their other sessions end (the request's own, when it
        is theirs, goes on under a new key)."""
        errors = self._password_errors(password)
        if errors:
            raise ValidationFailed(errors)
        user.password_hash = hash_password(password)
        self.audit.record("user.password_set", actor, user_principal(user.id), login=user.login)
        self.sessions.end_all(user, actor, PASSWORD_CHANGED, keep_current=True)

    def change_own_password(self, user: User, current: str, new: str, actor: Actor) -> None:
        """A person changing their own password must give the current one."""
        # A text no password can be is not checked (hashing it could fail, or take long).
        if text_problem(current, max_chars=MAX_PASSWORD_LENGTH) is not None or not (
            verify_password(user.password_hash, current)
        ):
            raise ValidationFailed([("current_password", _("this is not your current password"))])
        self.set_password(user, new, actor)

    def deactivate(self, user: User, actor: Actor = SYSTEM) -> User:
        """Stop ``user`` from logging in or using tokens; nothing of theirs is deleted."""
        return self.update_user(user, active=False, actor=actor)

    def principals(self, principals: Iterable[str]) -> tuple[dict[int, User], dict[str, Group]]:
        """The accounts and groups that ``principals`` name: one query for each kind at most."""
        principals = set(principals)
        user_ids = {
            user_id
            for p in principals
            if p.startswith(USER_PREFIX)
            and (user_id := whole_number(p.removeprefix(USER_PREFIX))) is not None
        }
        group_names = {
            p.removeprefix(GROUP_PREFIX)
            for p in principals
            if p.startswith(GROUP_PREFIX) and _storable(p)
        }
        users = (
            {u.id: u for u in self.dbsession.scalars(select(User).where(User.id.in_(user_ids)))}
            if user_ids
            else {}
        )
        groups = (
            {
                g.name: g
                for g in self.dbsession.scalars(select(Group).where(Group.name.in_(group_names)))
            }
            if group_names
            else {}
        )
        return users, groups

    def _user_errors(
        self, login: str | None = None, email: str | None = None, full_name: str | None = None
    ) -> list[tuple[str, str]]:
        errors = []
        if login is not None and not LOGIN_PATTERN.fullmatch(login):
            errors.append(
                ("login", _("use 1 to 100 lower-case letters, digits, '.', '_', '@' or '-'"))
            )
        if email is not None:
            email_errors = text_errors(
                "email", email.strip(), max_chars=MAX_EMAIL_LENGTH, single_line=True
            )
            if not email_errors and not EMAIL_PATTERN.fullmatch(email.strip()):
                email_errors.append(("email", _("enter an email address such as ann@example.com")))
            errors += email_errors
        if full_name is not None:
            errors += text_errors(
                "full_name", full_name.strip(), max_chars=MAX_FULL_NAME_LENGTH, single_line=True
            )
        return errors

    def _password_errors(self, password: str) -> list[tuple[str, str]]:
        if len(password) < self.min_password_length:
            return [
                (
                    "password",
                    _(
                        "use at least ${count} characters",
                        mapping={"count": self.min_password_length},
                    ),
                )
            ]
        return text_errors("password", password, max_chars=MAX_PASSWORD_LENGTH)

    # -- groups -----------------------------------------------------------

    def get_group(self, name: str, *, for_update: bool = False) -> Group:
        """The group called ``name``; NotFound otherwise. ``for_update`` locks its row until
        the transaction ends: changes and removal of one group then apply one at a time."""
        query = select(Group).where(Group.name == name)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        group = self.dbsession.scalars(query).one_or_none() if _storable(name) else None
        if group is None:
            raise NotFound(_("no group named ${name}", mapping={"name": repr(name)}))
        return group

    def list_groups(self, text: str | None = None, limit: int | None = LIST_LIMIT) -> list[Group]:
        """Groups ordered by name, optionally those whose name or title contain ``text``."""
        query = select(Group).options(selectinload(Group.members)).order_by(Group.name).limit(limit)
        if text and not _storable(text):
            return []
        if text:
            pattern = f"%{_escape_like(text.lower())}%"
            query = query.where(
                or_(Group.name.like(pattern, escape="\\"), Group.title.ilike(pattern, escape="\\"))
            )
        return list(self.dbsession.scalars(query))

    def create_group(
        self, name: str, title: str = "", members: Sequence[str] = (), actor: Actor = SYSTEM
    ) -> Group:
        """Add a group with the accounts whose logins are ``members``."""
        name = name.strip().lower()
        if not GROUP_NAME_PATTERN.fullmatch(name):
            raise ValidationFailed(
                [("name", _("use 1 to 100 lower-case letters, digits, '.', '_' or '-'"))]
            )
        errors = text_errors("title", title.strip(), max_chars=MAX_TITLE_LENGTH, single_line=True)
        if errors:
            raise ValidationFailed(errors)
        if self.dbsession.scalar(select(Group.id).where(Group.name == name)) is not None:
            raise Conflict(_("a group named ${name} exists", mapping={"name": repr(name)}))
        group = Group(name=name, title=title.strip() or name, members=self._users(members))
        self.dbsession.add(group)
        self.dbsession.flush()  # callers show the new group's created time at once
        self.audit.record(
            "group.created",
            actor,
            group_principal(name),
            title=group.title,
            members=sorted(u.login for u in group.members),
        )
        return group

    def update_group(
        self,
        group: Group,
        *,
        title: str | None = None,
        members: Sequence[str] | None = None,
        actor: Actor = SYSTEM,
    ) -> Group:
        """Change a group's title, or set its members to exactly the logins given."""
        # Every member must exist before anything changes.
        new_members = self._users(members) if members is not None else None
        details: dict[str, object] = {}
        if title is not None:
            errors = text_errors(
                "title", title.strip(), max_chars=MAX_TITLE_LENGTH, single_line=True
            )
            if errors:
                raise ValidationFailed(errors)
        if title is not None and title.strip() != group.title:
            group.title = title.strip() or group.name
            details["title"] = group.title
        if new_members is not None:
            before = {u.login for u in group.members}
            group.members = new_members
            after = {u.login for u in group.members}
            if before != after:
                details["added"] = sorted(after - before)
                details["removed"] = sorted(before - after)
        if details:
            self.audit.record("group.updated", actor, group_principal(group.name), **details)
        return group

    def delete_group(self, group: Group, actor: Actor = SYSTEM) -> None:
        """Remove a group and every role granted to it, here and on the tree."""
        principal = group_principal(group.name)
        self.dbsession.execute(delete(LocalRole).where(LocalRole.principal == principal))
        self.dbsession.execute(delete(GlobalRole).where(GlobalRole.principal == principal))
        # Viewers are a union over principals: the group's rows are exactly its share.
        self.dbsession.execute(delete(NodeViewer).where(NodeViewer.principal == principal))
        self.dbsession.delete(group)
        self.audit.record("group.deleted", actor, principal)

    def _users(self, logins: Sequence[str]) -> list[User]:
        wanted = sorted({login.strip().lower() for login in logins})
        if not wanted:
            return []
        # Only what could be a login is looked up: no account has another, and the
        # database may not even take it (a lone surrogate).
        possible = [login for login in wanted if LOGIN_PATTERN.fullmatch(login)]
        found = list(self.dbsession.scalars(select(User).where(User.login.in_(possible))))
        missing = sorted(set(wanted) - {u.login for u in found})
        if missing:
            shown = ", ".join(
                login.encode("utf-8", "backslashreplace").decode() for login in missing
            )
            raise ValidationFailed(
                [("members", _("no account with login ${logins}", mapping={"logins": shown}))]
            )
        return found


class TokenService:
    """API tokens: created for a person, shown once, listed, revoked."""

    def __init__(self, dbsession: Session, audit: AuditLog | None = None) -> None:
        self.dbsession = dbsession
        self.audit = audit or AuditLog(dbsession)

    def create(
        self,
        user: User,
        name: str,
        scope: str = "read",
        expires: dt.datetime | None = None,
        actor: Actor = SYSTEM,
    ) -> tuple[ApiToken, str]:
        """A new token for ``user``; returns the row and the token text, which is not kept."""
        errors = []
        name = name.strip()
        if not name or text_errors("name", name, max_chars=100, single_line=True):
            errors.append(("name", _("give the token a name of 1 to 100 characters")))
        if scope not in TOKEN_SCOPES:
            errors.append(("scope", _("choose read or read-write")))
        if expires is not None:
            errors += _expiry_errors(expires)
        if errors:
            raise ValidationFailed(errors)
        text = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            user_id=user.id,
            name=name,
            token_hash=token_digest(text),
            prefix=text[: len(TOKEN_PREFIX) + 4],
            scope=scope,
            expires=expires,
        )
        self.dbsession.add(token)
        self.dbsession.flush()  # the id names the token in the audit entry
        self.audit.record(
            "token.created",
            actor,
            user_principal(user.id),
            token_id=token.id,
            name=name,
            scope=scope,
            expires=expires.isoformat() if expires else None,
        )
        return token, text

    def list(self, user: User) -> list[ApiToken]:
        """``user``'s tokens, newest first, revoked ones included."""
        return list(
            self.dbsession.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == user.id)
                .order_by(ApiToken.created.desc(), ApiToken.id.desc())
            )
        )

    def get(self, user: User, token_id: int) -> ApiToken:
        """One of ``user``'s tokens; NotFound for anyone else's."""
        token = self.dbsession.get(ApiToken, token_id) if 1 <= token_id <= MAX_BIGINT else None
        if token is None or token.user_id != user.id:
            raise NotFound(_("no token ${id}", mapping={"id": token_id}))
        return token

    def revoke(self, user: User, token_id: int, actor: Actor = SYSTEM) -> ApiToken:
        """Stop one of ``user``'s tokens from working; revoking twice changes nothing."""
        token = self.get(user, token_id)
        if token.revoked is None:
            token.revoked = utcnow()
            self.audit.record(
                "token.revoked", actor, user_principal(user.id), token_id=token.id, name=token.name
            )
        return token


def _storable(text: str) -> bool:
    """Whether the database can take ``text`` at all (no NUL, no lone surrogate): what it
    cannot take, it holds nowhere."""
    return text_problem(text, max_chars=len(text)) is None


def _expiry_errors(expires: dt.datetime) -> list[tuple[str, str]]:
    if expires.utcoffset() is None:
        return [("expires", _("give the expiry with its UTC offset"))]
    # A day long past (0001-01-01) is first of all not in the future.
    if expires <= utcnow():
        return [("expires", _("the expiry must be in the future"))]
    try:
        storable_utc(expires)
    except MomentOutOfRange as problem:
        return [("expires", problem.message)]
    return []


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
