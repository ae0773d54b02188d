"""``charter-user`` ends sessions: passwd, deactivate and logout, in the database or in Redis;
purge-sessions removes expired records."""

import datetime as dt
import uuid

import pytest
import redis
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.audit.models import AuditEntry
from charter.db.meta import utcnow
from charter.scripts import migrate, user
from charter.sessions.cookies import key_hash, new_key
from charter.sessions.models import UserSession
from charter.sessions.store import DatabaseSessionStore, RedisSessionStore, SessionRecord

TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def database(scratch_database_url):
    """``database(function)``: run it with a Session on the CLI database, committing."""
    engine = create_engine(scratch_database_url)

    def run(function):
        with Session(engine) as session:
            result = function(session)
            session.commit()
            return result

    yield run
    engine.dispose()


@pytest.fixture
def redis_client(monkeypatch):
    """The local Redis; the session store keeps this test's keys apart and they are deleted."""
    prefix = f"charter-test:{uuid.uuid4().hex}:"
    monkeypatch.setattr(RedisSessionStore, "PREFIX", prefix)
    client = redis.Redis.from_url(TEST_REDIS_URL)
    yield client
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=["database", "redis"])
def store_kind(request):
    """Each place sessions can be kept in turn."""
    return request.param


@pytest.fixture
def ini(write_ini, capsys, store_kind, request):
    """An ini file on a migrated CLI database with the accounts ann and bob; with Redis for
    sessions when ``store_kind`` says so."""
    extra = f"charter.redis_url = {TEST_REDIS_URL}" if store_kind == "redis" else ""
    if store_kind == "redis":
        request.getfixturevalue("redis_client")
    path = write_ini(extra)
    assert migrate.main([path]) == 0
    for login in ("ann", "bob"):
        user.main([path, "add", login, "--email", f"{login}@example.com"])
    capsys.readouterr()
    return path


@pytest.fixture
def sessions(database, store_kind):
    """``sessions.start(login, expired=False)`` and ``sessions.of(login)``, in the store the ini
    file configures."""

    def store_for(session):
        if store_kind == "redis":
            return RedisSessionStore(redis.Redis.from_url(TEST_REDIS_URL), session)
        return DatabaseSessionStore(session)

    class Sessions:
        def start(self, login, expired=False):
            def create(session):
                account = session.scalars(select(User).where(User.login == login)).one()
                now = utcnow() - (dt.timedelta(days=1) if expired else dt.timedelta(0))
                record = SessionRecord(
                    key_hash=key_hash(new_key()),
                    user_id=account.id,
                    created=now,
                    last_seen=now,
                    expires=now + dt.timedelta(hours=8),
                )
                return store_for(session).create(record).id

            return database(create)

        def of(self, login):
            def listed(session):
                account = session.scalars(select(User).where(User.login == login)).one()
                return [r.id for r in store_for(session).list_for_user(account.id)]

            return database(listed)

    return Sessions()


def last_audit_entry(database):
    """(action, actor login, details) of the newest audit entry."""

    def newest(session):
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        return entry.action, entry.actor_login, entry.details

    return database(newest)


def test_logout_ends_every_session_of_the_account_only(ini, sessions, database, capsys):
    sessions.start("ann")
    sessions.start("ann")
    bobs = sessions.start("bob")

    code = user.main([ini, "logout", "ann"])

    out, err = capsys.readouterr()
    assert (code, out, err) == (0, "Ended 2 session(s) of 'ann'.\n", "")
    assert sessions.of("ann") == []
    assert sessions.of("bob") == [bobs]
    assert last_audit_entry(database) == (
        "sessions.ended_all",
        "cli",
        {"reason": "ended by an administrator", "count": 2, "kept_current": False},
    )


def test_logout_of_an_unknown_login_is_one_line_and_status_2(ini, capsys):
    code = user.main([ini, "logout", "nobody"])

    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", "charter-user: no account with login 'nobody'\n")


def test_passwd_ends_the_accounts_sessions(ini, sessions, capsys):
    sessions.start("ann")
    bobs = sessions.start("bob")

    assert user.main([ini, "passwd", "ann"]) == 0

    assert sessions.of("ann") == []
    assert sessions.of("bob") == [bobs]


def test_deactivate_ends_the_accounts_sessions(ini, sessions, capsys):
    sessions.start("ann")

    assert user.main([ini, "deactivate", "ann"]) == 0

    assert sessions.of("ann") == []


def test_a_refused_password_ends_nothing(ini, sessions, capsys, monkeypatch):
    anns = sessions.start("ann")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))

    assert user.main([ini, "passwd", "ann", "--password-stdin"]) == 2

    assert sessions.of("ann") == [anns]


def test_purge_sessions_removes_expired_records(ini, sessions, database, store_kind, capsys):
    live = sessions.start("ann")
    sessions.start("ann", expired=True)
    sessions.start("bob", expired=True)

    code = user.main([ini, "purge-sessions"])

    out, _ = capsys.readouterr()
    assert code == 0
    # Redis drops expired sessions by itself; the database keeps rows until purged.
    expected = 0 if store_kind == "redis" else 2
    assert out == f"Removed {expected} expired session(s).\n"
    assert sessions.of("ann") == [live]
    if store_kind == "database":
        assert database(lambda s: s.scalars(select(UserSession.id)).all()) == [live]


@pytest.mark.parametrize("command", ["logout", "purge-sessions"])
def test_the_session_commands_have_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        user.main(["any.ini", command, "--help"])

    assert exit_info.value.code == 0
    assert "session" in capsys.readouterr().out
