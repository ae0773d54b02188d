"""Hostile arguments to every service entry point: a domain error or success, never more.

The interfaces check the types of what they pass on, so the services get
arguments of the right types with hostile contents: text with NUL, lone
surrogates, controls and marks, text past every limit, numbers past 64
bits, moments past what a database stores, principals and roles that do
not exist. Each call is flushed, as the request's commit would, and must
either succeed or raise one of charter.errors' domain errors; a database
or codec error is a 500 waiting to happen.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import transaction
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.accounts.models import Group, User
from charter.accounts.services import AccountService, TokenService
from charter.audit.service import Actor
from charter.blobs.store import FilesystemBlobStore
from charter.content.registry import types_of
from charter.content.services import ContentService, Uploads
from charter.errors import CharterError
from charter.security.sharing import SharingService
from charter.sessions.services import SessionService
from charter.sessions.store import DatabaseSessionStore
from charter.testing import strategies as hostile
from charter.tree.models import Node

FIELD_NAMES = ("title", "description", "body")
TYPE_NAMES = ("Document", "Folder", "File")
ROLES = ("Reader", "Contributor", "Editor", "Reviewer", "Manager", "Administrator")


def texts() -> st.SearchStrategy[str]:
    """Any hostile text for a string argument."""
    return st.one_of(
        hostile.hostile_text(),
        hostile.unstorable_text(),
        st.sampled_from(hostile.TEXT_LIMITS).flatmap(hostile.text_around_limit),
        hostile.number_texts(),
    )


def whole_numbers() -> st.SearchStrategy[int]:
    """Ids and versions at and past the edges of the columns."""
    return st.one_of(
        st.sampled_from([n for n in hostile.BOUNDARY_INTEGERS if isinstance(n, int)]),
        st.integers(),
    )


def content_fields() -> st.SearchStrategy[dict[str, Any]]:
    """Fields of a node with hostile values, names and types."""
    names = st.one_of(st.sampled_from(FIELD_NAMES), hostile.hostile_text(max_size=6))
    return st.dictionaries(names, hostile.field_values(), max_size=4)


class Services:
    """The services on one session of the world's connection, as an editor of /docs."""

    def __init__(self, session: Session, registry: Any, blobs: str, tm: Any) -> None:
        self.session = session
        self.editor = session.scalars(select(User).where(User.login == "editor")).one()
        actor = Actor(self.editor.id, self.editor.login)
        self.content = ContentService(
            session,
            types=types_of(registry),
            actor=actor,
            uploads=Uploads(FilesystemBlobStore(blobs), tm, 1024 * 1024),
        )
        self.accounts = AccountService(session)
        self.tokens = TokenService(session)
        self.sharing = SharingService(session)
        self.sessions = SessionService(DatabaseSessionStore(session), self.accounts.audit)

    def node(self, path: str) -> Node:
        """The node at ``path``, with its lineage (as traversal leaves it)."""
        return self.content.tree.resolve([s for s in path.split("/") if s]).context

    def user(self, login: str) -> User:
        """The account ``login``."""
        return self.session.scalars(select(User).where(User.login == login)).one()

    def group(self, name: str) -> Group:
        """The group ``name``."""
        return self.accounts.get_group(name)


@pytest.fixture
def call(counted, charter_app, charter_settings) -> Callable[[Callable[[Services], Any]], None]:
    """``call(action)``: run ``action(services)`` in an example of its own, flush as a commit
    would, and let only domain errors pass."""

    def run(action: Callable[[Services], Any]) -> None:
        with counted.example(), _services(counted, charter_app, charter_settings) as services:
            try:
                action(services)
                services.session.flush()
            except CharterError:
                pass

    return run


@contextmanager
def _services(world, charter_app, charter_settings) -> Iterator[Services]:
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = Session(bind=world.connection, join_transaction_mode="create_savepoint")
    try:
        yield Services(
            session, charter_app.registry, charter_settings["charter.blobs.path"], manager
        )
    finally:
        manager.abort()
        session.close()


# -- content ----------------------------------------------------------------------


@given(
    type_name=st.one_of(st.sampled_from(TYPE_NAMES), texts()),
    fields=content_fields(),
    name=st.one_of(st.none(), texts(), hostile.path_segments()),
)
def test_content_create(call, type_name, fields, name):
    call(lambda s: s.content.create(s.node("/docs"), type_name, fields, name))


@given(fields=content_fields(), version=whole_numbers())
def test_content_update(call, fields, version):
    call(lambda s: s.content.update(s.node("/docs/guide"), fields, version))


@given(
    path=st.sampled_from(("/docs/guide", "/docs/team", "/docs/notes.txt")),
    name=st.one_of(texts(), hostile.path_segments()),
)
def test_content_rename(call, path, name):
    call(lambda s: s.content.rename(s.node(path), name))


@given(
    path=st.sampled_from(("/docs/guide", "/docs/team", "/docs")),
    destination=st.sampled_from(("/target", "/docs/team", "/docs/team/archive", "/", "/docs")),
    name=st.one_of(st.none(), texts(), hostile.path_segments()),
    copy=st.booleans(),
)
def test_content_move_and_copy(call, path, destination, name, copy):
    def transfer(s: Services) -> None:
        operation = s.content.copy if copy else s.content.move
        operation(s.node(path), s.node(destination), name)

    call(transfer)


@given(names=st.lists(st.one_of(st.sampled_from(("guide", "team", "notes.txt")), texts())))
@example(names=["\ud800"])  # a name the database cannot take
def test_content_reorder(call, names):
    call(lambda s: s.content.reorder(s.node("/docs"), names))


@given(
    path=st.sampled_from(("/docs/guide", "/docs/team", "/")),
    version=st.one_of(st.none(), whole_numbers()),
)
def test_content_delete(call, path, version):
    call(lambda s: s.content.delete(s.node(path), version))


@given(
    data=st.one_of(st.binary(max_size=64), hostile.invalid_utf8()),
    filename=texts(),
    name=st.one_of(st.none(), texts()),
    title=st.one_of(st.none(), texts()),
    description=texts(),
)
def test_content_upload(call, data, filename, name, title, description):
    call(
        lambda s: s.content.upload(
            s.node("/docs"), io.BytesIO(data), filename, name, title, description
        )
    )


# -- accounts, groups and tokens ---------------------------------------------------


@given(login=texts(), email=texts(), password=texts(), full_name=texts())
def test_accounts_create_user(call, login, email, password, full_name):
    call(lambda s: s.accounts.create_user(login, email, password, full_name))


@given(
    email=st.one_of(st.none(), texts()),
    full_name=st.one_of(st.none(), texts()),
    active=st.one_of(st.none(), st.booleans()),
)
def test_accounts_update_user(call, email, full_name, active):
    call(
        lambda s: s.accounts.update_user(
            s.user("staff"), email=email, full_name=full_name, active=active
        )
    )


@given(password=texts(), current=texts())
@example(password="a long passphrase", current="\ud800")  # Argon2 cannot encode it
@example(password="a long passphrase", current="x" * 10**6)
def test_accounts_passwords(call, password, current):
    def change(s: Services) -> None:
        staff = s.user("staff")
        s.accounts.set_password(staff, password)
        s.accounts.change_own_password(staff, current, password, Actor(staff.id, staff.login))

    call(change)


@given(user_id=whole_numbers(), text=texts(), principals=st.lists(texts(), max_size=4))
@example(user_id=2**63, text="\udfff", principals=["group:\ud800"])
@example(user_id=-(2**63) - 1, text="a\x00", principals=["group:a\x00"])
def test_accounts_lookups(call, user_id, text, principals):
    call(lambda s: s.accounts.list_users(text))
    call(lambda s: s.accounts.list_groups(text))
    call(lambda s: s.accounts.find_by_login(text))
    call(lambda s: s.accounts.principals([*principals, *(f"user:{p}" for p in principals)]))
    call(lambda s: s.accounts.get_group(text))
    call(lambda s: s.accounts.get_user(user_id))


@given(name=texts(), title=texts(), members=st.lists(texts(), max_size=4))
@example(name="auditors", title="Auditors", members=["\udfff"])
def test_accounts_groups(call, name, title, members):
    def groups(s: Services) -> None:
        s.accounts.update_group(s.group("board"), title=title, members=members)
        s.accounts.create_group(name, title, members)

    call(groups)


@given(
    name=texts(),
    scope=st.one_of(st.sampled_from(("read", "read-write")), texts()),
    expires=st.one_of(st.none(), hostile.moments()),
    token_id=whole_numbers(),
)
@example(name="export", scope="read", expires=dt.datetime(2099, 1, 1), token_id=2**64)
@example(
    name="export",
    scope="read",
    expires=dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-14))),
    token_id=0,
)
def test_tokens(call, name, scope, expires, token_id):
    def tokens(s: Services) -> None:
        staff = s.user("staff")
        s.tokens.create(staff, name, scope, expires)
        s.tokens.revoke(staff, token_id)

    call(tokens)


# -- sharing and sessions ----------------------------------------------------------


def principals() -> st.SearchStrategy[str]:
    """Principals that exist, that do not, and hostile text."""
    return st.one_of(
        st.sampled_from(("system.Everyone", "system.Authenticated", "group:board", "user:1")),
        hostile.number_texts().map(lambda n: f"user:{n}"),
        texts().map(lambda t: f"group:{t}"),
        texts(),
    )


@given(
    entries=st.dictionaries(
        principals(), st.lists(st.one_of(st.sampled_from(ROLES), texts()), max_size=3), max_size=3
    ),
    inherit=st.one_of(st.none(), st.booleans()),
    principal=principals(),
    roles=st.lists(st.one_of(st.sampled_from(ROLES), texts()), max_size=3),
)
@example(entries={"group:\ud800": ["Reader"]}, inherit=None, principal="group:\ud800", roles=[])
def test_sharing(call, entries, inherit, principal, roles):
    def share(s: Services) -> None:
        s.sharing.update(s.node("/docs"), entries, inherit)
        s.sharing.set_global_roles(principal, roles)

    call(share)


@given(session_id=whole_numbers(), keep_current=st.booleans())
def test_sessions(call, session_id, keep_current):
    def end(s: Services) -> None:
        admin = s.user("admin")
        s.sessions.get(admin, session_id)
        s.sessions.end(admin, session_id, Actor(admin.id, admin.login))
        s.sessions.end_all(admin, keep_current=keep_current)

    call(end)
