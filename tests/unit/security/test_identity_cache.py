"""Identities kept between requests: the generation the triggers move on, and the cache."""

import datetime as dt

import pytest
from sqlalchemy import delete, insert, select, update

from charter.accounts.models import ApiToken, Group, User, group_members
from charter.accounts.services import TokenService
from charter.accounts.tokens import token_digest
from charter.db.generation import IdentityGeneration
from charter.db.meta import utcnow
from charter.security.identity import Identity, identity_for_token
from charter.security.identity_cache import IdentityCache
from charter.security.models import GlobalRole
from charter.security.roles import Role


@pytest.fixture
def tokens(dbsession):
    return TokenService(dbsession)


def generation(dbsession) -> int:
    """The stored identity generation, after flushing what the session holds."""
    dbsession.flush()
    return dbsession.scalar(select(IdentityGeneration.value))


# -- what moves the generation on ---------------------------------------------------------


def _change_login(session, user, token, group):
    session.execute(update(User).where(User.id == user.id).values(login="ann2"))


def _change_name(session, user, token, group):
    session.execute(update(User).where(User.id == user.id).values(full_name="Ann B"))


def _deactivate(session, user, token, group):
    session.execute(update(User).where(User.id == user.id).values(active=False))


def _change_password(session, user, token, group):
    session.execute(update(User).where(User.id == user.id).values(password_hash="x" * 60))


def _delete_account(session, user, token, group):
    session.execute(delete(User).where(User.id == user.id))


def _revoke(session, user, token, group):
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(revoked=utcnow()))


def _shorten(session, user, token, group):
    soon = utcnow() + dt.timedelta(minutes=1)
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(expires=soon))


def _narrow_scope(session, user, token, group):
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(scope="read"))


def _delete_token(session, user, token, group):
    session.execute(delete(ApiToken).where(ApiToken.id == token.id))


def _rename_group(session, user, token, group):
    session.execute(update(Group).where(Group.id == group.id).values(name="staff2"))


def _delete_group(session, user, token, group):
    session.execute(delete(Group).where(Group.id == group.id))


def _join(session, user, token, group):
    other = Group(name="other")
    session.add(other)
    session.flush()
    session.execute(insert(group_members).values(group_id=other.id, user_id=user.id))


def _leave(session, user, token, group):
    session.execute(delete(group_members).where(group_members.c.user_id == user.id))


def _grant_role(session, user, token, group):
    session.add(GlobalRole(principal="system.Authenticated", role=Role.READER.value))


def _change_role(session, user, token, group):
    session.execute(update(GlobalRole).values(role=Role.MANAGER.value))


def _revoke_role(session, user, token, group):
    session.execute(delete(GlobalRole))


MOVES_IT_ON = [
    _change_login,
    _change_name,
    _deactivate,
    _change_password,
    _delete_account,
    _revoke,
    _shorten,
    _narrow_scope,
    _delete_token,
    _rename_group,
    _delete_group,
    _join,
    _leave,
    _grant_role,
    _change_role,
    _revoke_role,
]


@pytest.fixture
def caller(make_user, dbsession, tokens):
    """An account in a group, with a site-wide role and a token."""
    ann = make_user("ann", "Ann Lee", groups=["staff"], global_roles=["Editor"])
    token, _ = tokens.create(ann, "sync", scope="read-write")
    group = dbsession.scalars(select(Group).where(Group.name == "staff")).one()
    dbsession.flush()
    return ann, token, group


@pytest.mark.parametrize("change", MOVES_IT_ON, ids=lambda change: change.__name__[1:])
def test_every_change_to_an_identity_moves_the_generation_on(caller, dbsession, change):
    before = generation(dbsession)

    change(dbsession, *caller)

    assert generation(dbsession) > before


def _note_use(session, user, token, group):
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used=utcnow()))


def _rename_token(session, user, token, group):
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(name="renamed"))


def _log_in(session, user, token, group):
    session.execute(update(User).where(User.id == user.id).values(last_login=utcnow()))


def _change_email(session, user, token, group):
    session.execute(update(User).where(User.id == user.id).values(email="new@example.org"))


def _retitle_group(session, user, token, group):
    session.execute(update(Group).where(Group.id == group.id).values(title="The staff"))


def _new_token(session, user, token, group):
    TokenService(session).create(user, "another")


def _same_values(session, user, token, group):
    session.execute(update(User).where(User.id == user.id).values(login="ann", active=True))


@pytest.mark.parametrize(
    "change",
    [_note_use, _rename_token, _log_in, _change_email, _retitle_group, _new_token, _same_values],
    ids=lambda change: change.__name__[1:],
)
def test_what_is_not_part_of_an_identity_leaves_the_generation_alone(caller, dbsession, change):
    before = generation(dbsession)

    change(dbsession, *caller)

    assert generation(dbsession) == before


# -- the cache ----------------------------------------------------------------------------


def test_a_kept_identity_is_used_without_a_query_while_the_generation_holds(
    caller, dbsession, tokens, query_recorder
):
    ann, _, _ = caller
    _, text = tokens.create(ann, "kept")
    cache = IdentityCache(seconds=60, size=10)
    now = generation(dbsession)
    loaded = identity_for_token(dbsession, text, cache, now)

    with query_recorder.record() as queries:
        kept = identity_for_token(dbsession, text, cache, now)

    assert queries == []
    assert kept is loaded
    assert kept.user_id == ann.id
    assert kept.global_roles == {Role.EDITOR}


@pytest.mark.parametrize("change", [_revoke, _deactivate, _change_password, _leave, _revoke_role])
def test_a_change_counts_at_the_next_request(caller, dbsession, query_recorder, change):
    ann, _, group = caller
    _, text = TokenService(dbsession).create(ann, "kept")
    kept_token = dbsession.scalars(select(ApiToken).where(ApiToken.name == "kept")).one()
    cache = IdentityCache(seconds=60, size=10)
    before = identity_for_token(dbsession, text, cache, generation(dbsession))

    change(dbsession, ann, kept_token, group)
    now = generation(dbsession)
    with query_recorder.record() as queries:
        after = identity_for_token(dbsession, text, cache, now)

    assert before is not None
    assert [query for query in queries if "api_tokens" in query], "loaded again"
    if change in (_revoke, _deactivate):
        assert after is None
    elif change is _leave:
        assert after.principals == before.principals - {"group:staff"}
    elif change is _revoke_role:
        assert after.global_roles == frozenset()


def test_without_the_requests_generation_the_identity_is_loaded(caller, dbsession, query_recorder):
    ann, _, _ = caller
    _, text = TokenService(dbsession).create(ann, "kept")
    cache = IdentityCache(seconds=60, size=10)
    identity_for_token(dbsession, text, cache, None)

    with query_recorder.record() as queries:
        identity_for_token(dbsession, text, cache, None)

    assert len(queries) == 1
    assert len(cache) == 1, "kept, for the requests that read a lineage"


def test_a_token_expiring_meanwhile_is_loaded_again(caller, dbsession):
    ann, _, _ = caller
    _, text = TokenService(dbsession).create(ann, "brief", expires=utcnow() + dt.timedelta(days=1))
    cache = IdentityCache(seconds=60, size=10)
    identity_for_token(dbsession, text, cache, generation(dbsession))
    entry = cache._entries[token_digest(text)]
    entry.expires = utcnow() - dt.timedelta(seconds=1)

    assert cache.get(token_digest(text), entry.generation, utcnow()) is None
    assert len(cache) == 0


def _identity(number: int) -> Identity:
    return Identity(number, f"user{number}", "", frozenset(), frozenset())


def test_an_entry_older_than_the_cache_time_is_dropped(monkeypatch):
    cache = IdentityCache(seconds=60, size=10)
    clock = [1000.0]
    monkeypatch.setattr("charter.security.identity_cache.time.monotonic", lambda: clock[0])
    cache.put("digest", _identity(1), 5, None, None)

    clock[0] += 59
    assert cache.get("digest", 5, utcnow()) is not None
    clock[0] += 1
    assert cache.get("digest", 5, utcnow()) is None


def test_the_least_recently_used_goes_first_past_the_size():
    cache = IdentityCache(seconds=60, size=2)
    cache.put("a", _identity(1), 5, None, None)
    cache.put("b", _identity(2), 5, None, None)
    assert cache.get("a", 5, utcnow()) is not None

    cache.put("c", _identity(3), 5, None, None)

    assert len(cache) == 2
    assert cache.get("b", 5, utcnow()) is None
    assert cache.get("a", 5, utcnow()).identity.user_id == 1
    assert cache.get("c", 5, utcnow()).identity.user_id == 3


def test_an_entry_of_another_generation_is_dropped():
    cache = IdentityCache(seconds=60, size=2)
    cache.put("a", _identity(1), 5, None, None)

    assert cache.get("a", 6, utcnow()) is None
    assert cache.get("a", 5, utcnow()) is None, "gone, not kept for an older reader"
