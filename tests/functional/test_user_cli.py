"""``charter-user``, run in-process on an ini file and a database of its own."""

import datetime as dt
import io
import re

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import charter.content.models  # noqa: F401 - maps Document so Node queries load every type
from charter.accounts.models import ApiToken, User
from charter.accounts.passwords import verify_password
from charter.accounts.services import AccountService
from charter.accounts.tokens import token_digest
from charter.audit.models import AuditEntry
from charter.db.meta import utcnow
from charter.scripts import init, migrate, user
from charter.security.identity import identity_for_token, identity_for_user
from charter.security.login import LoginRefused, LoginService
from charter.security.principals import user_principal
from charter.security.ratelimit import DatabaseRateLimiter
from charter.security.roles import Role
from charter.security.sharing import SharingService

GENERATED_PASSWORD = re.compile(r"(?:and password|New password): (\S+)$")
TOKEN_TEXT = re.compile(r"^charter_[A-Za-z0-9_-]{40,}$")


@pytest.fixture
def ini(write_ini, capsys):
    """An ini file on a migrated, empty CLI database."""
    path = write_ini("charter.password.min_length = 12")
    assert migrate.main([path]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def database(scratch_database_url):
    """Run a function with a Session on the CLI database; ``commit=True`` keeps its changes."""
    engine = create_engine(scratch_database_url)

    def run(function, commit=False):
        with Session(engine) as session:
            result = function(session)
            if commit:
                session.commit()
            return result

    yield run
    engine.dispose()


@pytest.fixture
def stdin(monkeypatch):
    """Set what the tool reads on stdin."""

    def feed(text):
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed


def account(session, login):
    """The account ``login`` names, or None."""
    return session.scalars(select(User).where(User.login == login)).one_or_none()


def accounts(session):
    """(login, email, full name, active) of every account, by login."""
    return [
        (u.login, u.email, u.full_name, u.active)
        for u in session.scalars(select(User).order_by(User.login))
    ]


def audit_actions(session):
    """(action, actor login, target) of every audit entry, in order."""
    return [
        (e.action, e.actor_login, e.target)
        for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]


def token_rows(session):
    """(user login, name, scope, expires, token hash) of every API token."""
    return [
        (t.user.login, t.name, t.scope, t.expires, t.token_hash)
        for t in session.scalars(select(ApiToken).order_by(ApiToken.id))
    ]


def log_in(session, login, password):
    """Log in through the login service (in a transaction that is not kept)."""
    service = LoginService(
        session, DatabaseRateLimiter(session, 900), max_failures=5, max_failures_per_address=20
    )
    return service.authenticate(login, password, "192.0.2.1")


def log_in_works(database, login, password):
    """True when the login service accepts ``login`` with ``password``."""
    try:
        database(lambda s: log_in(s, login, password))
    except LoginRefused:
        return False
    return True


def generated_password(output):
    """The password a command printed."""
    lines = [m.group(1) for m in map(GENERATED_PASSWORD.search, output.splitlines()) if m]
    assert len(lines) == 1, output
    return lines[0]


# -- add -------------------------------------------------------------------


def test_add_generates_a_password_and_prints_it_once(ini, database, capsys):
    code = user.main([ini, "add", "Ann", "--email", "ann@example.com", "--full-name", "Ann Lee"])

    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    password = generated_password(out)
    assert len(password) >= 12, "at least the site's minimum length"
    assert out.count(password) == 1
    ann = database(lambda s: account(s, "ann"))
    assert out.startswith(f"Created account 'ann' (user:{ann.id}) and password: ")
    assert (ann.email, ann.full_name, ann.active) == ("ann@example.com", "Ann Lee", True)
    assert verify_password(ann.password_hash, password)
    assert password not in ann.password_hash
    assert database(lambda s: identity_for_user(s, ann.id)).global_roles == frozenset()
    assert database(audit_actions) == [("user.created", "cli", f"user:{ann.id}")]


def test_add_with_the_password_from_stdin_does_not_print_it(ini, database, capsys, stdin):
    stdin("a password with spaces \n")

    code = user.main([ini, "add", "bob", "--email", "bob@example.com", "--password-stdin"])

    out, _ = capsys.readouterr()
    assert code == 0
    assert "a password with spaces" not in out
    assert out.endswith("; the password came from stdin.\n")
    bob = database(lambda s: account(s, "bob"))
    assert verify_password(bob.password_hash, "a password with spaces ")
    assert not verify_password(bob.password_hash, "a password with spaces")
    assert log_in_works(database, "bob", "a password with spaces ")


def test_add_admin_grants_the_site_wide_administrator_role(ini, database, capsys):
    code = user.main([ini, "add", "root2", "--email", "root2@example.com", "--admin"])

    out, _ = capsys.readouterr()
    assert code == 0
    assert "with the site-wide Administrator role and password: " in out
    root2 = database(lambda s: account(s, "root2"))
    grants = database(lambda s: SharingService(s).global_roles())
    assert grants == {f"user:{root2.id}": ["Administrator"]}
    identity = database(lambda s: identity_for_user(s, root2.id))
    assert identity.global_roles == frozenset({Role.ADMINISTRATOR})
    assert ("global_roles.changed", "cli", f"user:{root2.id}") in database(audit_actions)


@pytest.mark.parametrize(
    ("arguments", "password", "message"),
    [
        (
            ["add", "ann", "--email", "not-an-address"],
            None,
            "charter-user: email: enter an email address such as ann@example.com",
        ),
        (
            ["add", "Ann Lee", "--email", "ann@example.com"],
            None,
            "charter-user: login: use 1 to 100 lower-case letters, digits, '.', '_', '@' or '-'",
        ),
        (
            ["add", "ann", "--email", "ann@example.com", "--password-stdin"],
            "too short\n",
            "charter-user: password: use at least 12 characters",
        ),
        (
            ["add", "ann", "--email", "ann@example.com", "--password-stdin"],
            "",
            "charter-user: password: use at least 12 characters",
        ),
    ],
)
def test_add_refuses_bad_input_with_one_line_and_creates_nothing(
    ini, database, capsys, stdin, arguments, password, message
):
    if password is not None:
        stdin(password)

    code = user.main([ini, *arguments])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [message]
    assert database(accounts) == []
    assert database(audit_actions) == []


def test_add_refuses_a_taken_login_and_keeps_the_existing_account(ini, database, capsys):
    user.main([ini, "add", "ann", "--email", "ann@example.com"])
    before = database(lambda s: (accounts(s), account(s, "ann").password_hash))
    capsys.readouterr()

    code = user.main([ini, "add", "ANN", "--email", "other@example.com", "--admin"])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == "charter-user: the login 'ann' is taken\n"
    assert database(lambda s: (accounts(s), account(s, "ann").password_hash)) == before
    assert database(lambda s: SharingService(s).global_roles()) == {}


def test_add_requires_an_email():
    with pytest.raises(SystemExit) as exit_info:
        user.main(["any.ini", "add", "ann"])

    assert exit_info.value.code == 2


# -- passwd ----------------------------------------------------------------


def test_passwd_generates_a_new_password_and_ends_old_sessions(ini, database, capsys):
    user.main([ini, "add", "ann", "--email", "ann@example.com"])
    old_password = generated_password(capsys.readouterr().out)

    code = user.main([ini, "passwd", "ann"])

    out, _ = capsys.readouterr()
    assert code == 0
    assert out.startswith("Set a new password for 'ann'; their open sessions have ended.")
    new_password = generated_password(out)
    assert new_password != old_password
    ann = database(lambda s: account(s, "ann"))
    assert verify_password(ann.password_hash, new_password)
    assert not verify_password(ann.password_hash, old_password)
    # Ending the sessions themselves: test_user_cli_sessions.py.
    assert database(audit_actions)[-2:] == [
        ("user.password_set", "cli", f"user:{ann.id}"),
        ("sessions.ended_all", "cli", f"user:{ann.id}"),
    ]


def test_passwd_from_stdin(ini, database, capsys, stdin):
    user.main([ini, "add", "ann", "--email", "ann@example.com"])
    capsys.readouterr()
    stdin("the new password for ann\r\n")

    code = user.main([ini, "passwd", "ann", "--password-stdin"])

    out, _ = capsys.readouterr()
    assert code == 0
    assert out == "Set a new password for 'ann'; their open sessions have ended.\n"
    assert log_in_works(database, "ann", "the new password for ann")


def test_passwd_refuses_a_short_password_and_keeps_the_old_one(ini, database, capsys, stdin):
    user.main([ini, "add", "ann", "--email", "ann@example.com"])
    old_hash = database(lambda s: account(s, "ann").password_hash)
    capsys.readouterr()
    stdin("short\n")

    code = user.main([ini, "passwd", "ann", "--password-stdin"])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == "charter-user: password: use at least 12 characters\n"
    assert database(lambda s: account(s, "ann").password_hash) == old_hash
    assert [a[0] for a in database(audit_actions)] == ["user.created"]


@pytest.mark.parametrize(
    "arguments", [["passwd", "nobody"], ["deactivate", "nobody"], ["token", "nobody"]]
)
def test_an_unknown_login_is_one_line_and_status_2(ini, database, capsys, arguments):
    code = user.main([ini, *arguments])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == "charter-user: no account with login 'nobody'\n"
    assert database(audit_actions) == []
    assert database(token_rows) == []


# -- deactivate ------------------------------------------------------------


def test_deactivate_stops_logins_and_tokens(ini, database, capsys, stdin):
    stdin("ann's long password\n")
    user.main([ini, "add", "ann", "--email", "ann@example.com", "--password-stdin"])
    user.main([ini, "token", "ann"])
    token = capsys.readouterr().out.splitlines()[-1]
    assert log_in_works(database, "ann", "ann's long password")
    assert database(lambda s: identity_for_token(s, token)) is not None

    code = user.main([ini, "deactivate", "ann"])

    out, _ = capsys.readouterr()
    assert code == 0
    assert out == "Deactivated account 'ann'; its sessions and API tokens no longer work.\n"
    ann = database(lambda s: account(s, "ann"))
    assert ann.active is False
    assert database(lambda s: identity_for_user(s, ann.id)) is None
    assert database(lambda s: identity_for_token(s, token)) is None
    with pytest.raises(LoginRefused, match=r"^Wrong login or password\.$"):
        database(lambda s: log_in(s, "ann", "ann's long password"))
    assert database(audit_actions)[-2:] == [
        ("user.updated", "cli", f"user:{ann.id}"),
        ("sessions.ended_all", "cli", f"user:{ann.id}"),
    ]


def test_deactivating_twice_changes_nothing(ini, database, capsys):
    user.main([ini, "add", "ann", "--email", "ann@example.com"])
    user.main([ini, "deactivate", "ann"])
    entries = database(audit_actions)
    capsys.readouterr()

    code = user.main([ini, "deactivate", "ann"])

    assert code == 0
    assert capsys.readouterr().out == "Account 'ann' was already deactivated.\n"
    assert database(audit_actions) == entries


# -- list ------------------------------------------------------------------


def test_list_shows_active_accounts_with_groups_and_site_roles(ini, database, capsys):
    init.main([ini, "--no-sample"])
    user.main([ini, "add", "ann", "--email", "ann@example.com", "--full-name", "Ann Lee"])
    user.main([ini, "add", "bob", "--email", "bob@example.com"])
    user.main([ini, "add", "cy", "--email", "cy@example.com"])
    user.main([ini, "deactivate", "cy"])

    def groups_and_roles(session):
        accounts_service = AccountService(session)
        accounts_service.create_group("editors", members=["ann"])
        accounts_service.create_group("staff", members=["ann", "bob"])
        sharing = SharingService(session)
        sharing.set_global_roles("group:editors", ["Editor"])
        sharing.set_global_roles("system.Authenticated", ["Reader"])
        sharing.set_global_roles(user_principal(account(session, "bob").id), ["Reviewer"])

    database(groups_and_roles, commit=True)
    capsys.readouterr()

    code = user.main([ini, "list"])

    out, err = capsys.readouterr()
    assert code == 0
    rows = [re.split(r"\s{2,}", line) for line in out.splitlines()]
    assert rows == [
        ["LOGIN", "FULL NAME", "EMAIL", "ACTIVE", "GROUPS", "GLOBAL ROLES"],
        [
            "admin",
            "Administrator",
            "admin@localhost",
            "yes",
            "-",
            "Administrator, Reader (via system.Authenticated)",
        ],
        [
            "ann",
            "Ann Lee",
            "ann@example.com",
            "yes",
            "editors, staff",
            "Editor (via group:editors), Reader (via system.Authenticated)",
        ],
        [
            "bob",
            "-",
            "bob@example.com",
            "yes",
            "staff",
            "Reviewer, Reader (via system.Authenticated)",
        ],
    ]
    assert err == "1 deactivated account(s) not shown; add --all to list them.\n"

    assert user.main([ini, "list", "--all"]) == 0

    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["admin", "ann", "bob", "cy"]
    assert re.split(r"\s{2,}", out.splitlines()[-1])[:4] == ["cy", "-", "cy@example.com", "no"]
    assert err == ""


def test_list_on_an_empty_site(ini, capsys):
    assert user.main([ini, "list"]) == 0

    assert capsys.readouterr() == ("No accounts.\n", "")


def test_list_when_every_account_is_deactivated(ini, capsys):
    user.main([ini, "add", "ann", "--email", "ann@example.com"])
    user.main([ini, "deactivate", "ann"])
    capsys.readouterr()

    assert user.main([ini, "list"]) == 0

    assert capsys.readouterr() == (
        "No active accounts.\n",
        "1 deactivated account(s) not shown; add --all to list them.\n",
    )


# -- token -----------------------------------------------------------------


def test_token_prints_only_the_token_and_it_works(ini, database, capsys):
    user.main([ini, "add", "partner", "--email", "api@partner.example", "--full-name", "Partner"])
    capsys.readouterr()

    code = user.main([ini, "token", "partner", "--name", "nightly sync"])

    out, err = capsys.readouterr()
    assert code == 0
    token = out.rstrip("\n")
    assert out == token + "\n", "stdout holds the token alone, for piping"
    assert TOKEN_TEXT.match(token)
    tokens = database(token_rows)
    assert tokens == [("partner", "nightly sync", "read", None, token_digest(token))]
    row_id = database(lambda s: s.scalar(select(ApiToken.id)))
    assert err == (
        f"API token 'nightly sync' (id {row_id}) for 'partner' <api@partner.example>: "
        "scope read, never expires. It is shown only this once.\n"
    )
    identity = database(lambda s: identity_for_token(s, token))
    assert identity.login == "partner"
    assert identity.read_only is True
    assert database(audit_actions)[-1][:2] == ("token.created", "cli")


def test_token_with_scope_and_expiry(ini, database, capsys):
    user.main([ini, "add", "partner", "--email", "api@partner.example"])
    capsys.readouterr()
    before = utcnow()

    code = user.main([ini, "token", "partner", "--scope", "read-write", "--expires-days", "30"])

    after = utcnow()
    out, err = capsys.readouterr()
    assert code == 0
    token = out.strip()
    ((_, name, scope, expires, _),) = database(token_rows)
    assert (name, scope) == ("charter-user", "read-write")
    assert before + dt.timedelta(days=30) <= expires <= after + dt.timedelta(days=30)
    assert f"scope read-write, expires {expires:%Y-%m-%d %H:%M} UTC." in err
    identity = database(lambda s: identity_for_token(s, token))
    assert (identity.login, identity.token_scope) == ("partner", "read-write")


def test_token_for_a_deactivated_account_is_refused(ini, database, capsys):
    user.main([ini, "add", "partner", "--email", "api@partner.example"])
    user.main([ini, "deactivate", "partner"])
    capsys.readouterr()

    code = user.main([ini, "token", "partner"])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == (
        "charter-user: the account 'partner' is deactivated; its tokens would not work\n"
    )
    assert database(token_rows) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scope", "admin"], "argument --scope: invalid choice: 'admin'"),
        (["--expires-days", "0"], "expected a whole number of days from 1 to 3650, got '0'"),
        (["--expires-days", "soon"], "expected a whole number of days from 1 to 3650"),
        (["--expires-days", "99999"], "expected a whole number of days from 1 to 3650"),
    ],
)
def test_token_refuses_bad_options_before_touching_the_database(
    ini, database, capsys, arguments, message
):
    user.main([ini, "add", "partner", "--email", "api@partner.example"])
    capsys.readouterr()

    with pytest.raises(SystemExit) as exit_info:
        user.main([ini, "token", "partner", *arguments])

    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err
    assert database(token_rows) == []


def test_token_refuses_a_blank_name(ini, database, capsys):
    user.main([ini, "add", "partner", "--email", "api@partner.example"])
    capsys.readouterr()

    code = user.main([ini, "token", "partner", "--name", "  "])

    assert code == 2
    assert capsys.readouterr() == (
        "",
        "charter-user: name: give the token a name of 1 to 100 characters\n",
    )
    assert database(token_rows) == []


# -- help ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("add", "Create an account."),
        ("passwd", "Set a new password for an account"),
        ("deactivate", "Deactivate an account"),
        ("list", "List the accounts"),
        ("token", "Only the token is printed on stdout"),
    ],
)
def test_every_command_has_help(capsys, command, text):
    with pytest.raises(SystemExit) as exit_info:
        user.main(["any.ini", command, "--help"])

    assert exit_info.value.code == 0
    assert text in " ".join(capsys.readouterr().out.split())


def test_a_missing_ini_file_stops_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit, match=r"^No such configuration file: .*missing\.ini$"):
        user.main([str(tmp_path / "missing.ini"), "list"])

    assert capsys.readouterr().out == ""
