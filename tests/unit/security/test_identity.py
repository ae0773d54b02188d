"""Loading the caller's identity from an account id or an API token, in one query."""

import datetime as dt

import pytest
from sqlalchemy import select

from charter.accounts.models import ApiToken
from charter.accounts.services import TokenService
from charter.accounts.tokens import token_digest
from charter.db.meta import utcnow
from charter.security.identity import (
    LAST_USED_RESOLUTION,
    identity_for_token,
    identity_for_user,
)
from charter.security.roles import Role
from charter.security.sharing import SharingService


@pytest.fixture
def tokens(dbsession):
    """The token service on the test session."""
    return TokenService(dbsession)


def test_principals_of_a_plain_account(make_user, dbsession):
    ann = make_user("ann", "Ann Lee")

    identity = identity_for_user(dbsession, ann.id)

    assert (identity.user_id, identity.login, identity.full_name) == (ann.id, "ann", "Ann Lee")
    assert identity.principals == {"system.Everyone", "system.Authenticated", f"user:{ann.id}"}
    assert identity.global_roles == frozenset()
    assert (identity.token_id, identity.token_scope, identity.read_only) == (None, None, False)


def test_principals_include_groups_and_roles_from_every_source(
    make_user, dbsession, query_recorder
):
    ann = make_user("ann", groups=["editors", "staff"], global_roles=["Reviewer"])
    make_user("bob", groups=["managers"])
    sharing = SharingService(dbsession)
    sharing.set_global_roles("group:editors", ["Editor"])
    sharing.set_global_roles("group:managers", ["Manager"])
    sharing.set_global_roles("system.Authenticated", ["Reader"])
    dbsession.flush()

    with query_recorder.record() as queries:
        identity = identity_for_user(dbsession, ann.id)

    assert len(queries) == 1
    assert identity.principals == {
        "system.Everyone",
        "system.Authenticated",
        f"user:{ann.id}",
        "group:editors",
        "group:staff",
    }
    assert identity.global_roles == {Role.REVIEWER, Role.EDITOR, Role.READER}


def test_a_site_administrator_has_the_administrator_role(make_user, dbsession):
    root = make_user("root", global_roles=["Administrator"])

    assert identity_for_user(dbsession, root.id).global_roles == {Role.ADMINISTRATOR}


def test_an_inactive_or_unknown_account_has_no_identity(make_user, dbsession):
    ann = make_user("ann", groups=["staff"])
    ann.active = False
    dbsession.flush()

    assert identity_for_user(dbsession, ann.id) is None
    assert identity_for_user(dbsession, ann.id + 1000) is None


# -- tokens ----------------------------------------------------------------


def test_a_valid_token_identifies_its_account_in_one_query(
    make_user, dbsession, tokens, query_recorder
):
    ann = make_user("ann", groups=["staff"], global_roles=["Editor"])
    token, text = tokens.create(ann, "sync", scope="read-write")
    # Its first use writes last_used; the second is read alone.
    identity_for_token(dbsession, text)

    with query_recorder.record() as queries:
        identity = identity_for_token(dbsession, text)

    assert len(queries) == 1
    assert identity.user_id == ann.id
    assert identity.principals == {
        "system.Everyone",
        "system.Authenticated",
        f"user:{ann.id}",
        "group:staff",
    }
    assert identity.global_roles == {Role.EDITOR}
    assert (identity.token_id, identity.token_scope, identity.read_only) == (
        token.id,
        "read-write",
        False,
    )


def test_a_read_token_gives_a_read_only_identity(make_user, dbsession, tokens):
    ann = make_user("ann")
    _, text = tokens.create(ann, "reader", scope="read")

    identity = identity_for_token(dbsession, text)

    assert identity.token_scope == "read"
    assert identity.read_only is True


def test_a_token_that_has_not_expired_works(make_user, dbsession, tokens):
    ann = make_user("ann")
    _, text = tokens.create(ann, "soon", expires=utcnow() + dt.timedelta(minutes=5))

    assert identity_for_token(dbsession, text).user_id == ann.id


def test_an_expired_token_identifies_nobody(make_user, dbsession, tokens):
    ann = make_user("ann")
    token, text = tokens.create(ann, "old", expires=utcnow() + dt.timedelta(days=1))
    token.expires = utcnow() - dt.timedelta(seconds=1)
    dbsession.flush()

    assert identity_for_token(dbsession, text) is None


def test_a_revoked_token_identifies_nobody(make_user, dbsession, tokens):
    ann = make_user("ann")
    token, text = tokens.create(ann, "gone")
    tokens.revoke(ann, token.id)
    dbsession.flush()

    assert identity_for_token(dbsession, text) is None


def test_an_unknown_token_identifies_nobody(make_user, dbsession, tokens):
    ann = make_user("ann")
    _, text = tokens.create(ann, "real")

    assert identity_for_token(dbsession, text + "x") is None
    assert identity_for_token(dbsession, "charter_not-a-token") is None
    assert identity_for_token(dbsession, "") is None


def test_the_token_of_a_deactivated_account_identifies_nobody(make_user, dbsession, tokens):
    ann = make_user("ann")
    _, text = tokens.create(ann, "sync")
    ann.active = False
    dbsession.flush()

    assert identity_for_token(dbsession, text) is None


def last_used(dbsession, token_id):
    """The stored last-used time of a token."""
    dbsession.expire_all()
    return dbsession.scalar(select(ApiToken.last_used).where(ApiToken.id == token_id))


def test_last_used_is_written_at_most_once_a_minute(make_user, dbsession, tokens, query_recorder):
    ann = make_user("ann")
    token, text = tokens.create(ann, "sync")
    dbsession.flush()
    assert last_used(dbsession, token.id) is None

    identity_for_token(dbsession, text)

    first_use = last_used(dbsession, token.id)
    assert first_use is not None
    with query_recorder.record() as queries:
        identity_for_token(dbsession, text)
    assert len(queries) == 1, "no write within the minute"
    assert last_used(dbsession, token.id) == first_use

    a_minute_ago = utcnow() - LAST_USED_RESOLUTION
    token.last_used = a_minute_ago
    dbsession.flush()

    with query_recorder.record() as queries:
        identity_for_token(dbsession, text)

    assert len(queries) == 2, "the lookup and one UPDATE"
    assert last_used(dbsession, token.id) > a_minute_ago


def test_only_the_digest_of_a_token_is_stored(make_user, dbsession, tokens):
    ann = make_user("ann")
    _, text = tokens.create(ann, "sync")
    dbsession.flush()

    stored = dbsession.execute(select(ApiToken.token_hash, ApiToken.prefix)).one()

    assert stored == (token_digest(text), text[:12])
    assert text not in stored.token_hash
