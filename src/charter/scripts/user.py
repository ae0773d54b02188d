"""``charter-user CONFIG_URI COMMAND ...``: accounts, their tokens and sessions, from the server.

For administrators working on the server itself: every change is audited
with the actor ``cli``. Errors print one line on stderr and exit with
status 2; nothing is printed to stdout until the change is committed, so a
password or token that is shown is one that works.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from pyramid.request import Request

from charter.accounts.models import User
from charter.accounts.tokens import READ_SCOPE, TOKEN_SCOPES
from charter.audit.service import Actor
from charter.db.meta import utcnow
from charter.errors import CharterError, Conflict, NotFound
from charter.scripts.environment import app_environment
from charter.security.principals import AUTHENTICATED, group_principal, user_principal
from charter.security.roles import Role
from charter.sessions.services import BY_ADMINISTRATOR

CLI_ACTOR = Actor(login="cli")
ERROR_STATUS = 2
DEFAULT_TOKEN_NAME = "charter-user"  # noqa: S105 - a label, not a secret
MAX_EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class Report:
    """What a command shows once its transaction is committed: ``out`` on stdout, ``note`` on
    stderr (so that stdout can be piped)."""

    out: str = ""
    note: str = ""

    def show(self) -> None:
        """Print the report."""
        if self.out:
            print(self.out)
        if self.note:
            print(self.note, file=sys.stderr)


def find_account(request: Request, login: str) -> User:
    """The account ``login`` names; NotFound otherwise."""
    login = login.strip().lower()
    user = request.accounts.find_by_login(login)
    if user is None:
        raise NotFound(f"no account with login {login!r}")
    return user


def new_password(request: Request, args: argparse.Namespace) -> tuple[str, bool]:
    """The password to set and whether it was generated (and so must be shown)."""
    if args.password_stdin:
        # Only the line break ends the password; spaces are part of it.
        return sys.stdin.readline().rstrip("\r\n"), False
    min_length = request.registry.settings["charter.password.min_length"]
    # token_urlsafe(n) gives about 1.3 n characters: always long enough.
    return secrets.token_urlsafe(max(16, min_length)), True


def add(request: Request, args: argparse.Namespace) -> Report:
    """``add``: create an account, optionally a site Administrator."""
    password, generated = new_password(request, args)
    user = request.accounts.create_user(
        args.login, args.email, password, full_name=args.full_name, actor=CLI_ACTOR
    )
    made = f"Created account '{user.login}' ({user_principal(user.id)})"
    if args.admin:
        request.sharing.set_global_roles(
            user_principal(user.id), [Role.ADMINISTRATOR.value], actor=CLI_ACTOR
        )
        made += " with the site-wide Administrator role"
    if generated:
        return Report(out=f"{made} and password: {password}")
    return Report(out=f"{made}; the password came from stdin.")


def passwd(request: Request, args: argparse.Namespace) -> Report:
    """``passwd``: give an account a new password, which ends its sessions."""
    user = find_account(request, args.login)
    password, generated = new_password(request, args)
    request.accounts.set_password(user, password, actor=CLI_ACTOR)
    done = f"Set a new password for '{user.login}'; their open sessions have ended"
    if generated:
        return Report(out=f"{done}. New password: {password}")
    return Report(out=f"{done}.")


def deactivate(request: Request, args: argparse.Namespace) -> Report:
    """``deactivate``: stop an account from logging in or using its tokens."""
    user = find_account(request, args.login)
    if not user.active:
        return Report(out=f"Account '{user.login}' was already deactivated.")
    request.accounts.deactivate(user, actor=CLI_ACTOR)
    return Report(
        out=f"Deactivated account '{user.login}'; its sessions and API tokens no longer work."
    )


def logout(request: Request, args: argparse.Namespace) -> Report:
    """``logout``: end every session of an account, wherever it is stored."""
    user = find_account(request, args.login)
    count = request.user_sessions.end_all(user, CLI_ACTOR, BY_ADMINISTRATOR)
    return Report(out=f"Ended {count} session(s) of '{user.login}'.")


def purge_sessions(request: Request, args: argparse.Namespace) -> Report:
    """``purge-sessions``: remove the records of sessions that have expired."""
    count = request.user_sessions.purge_expired()
    return Report(out=f"Removed {count} expired session(s).")


def site_roles_of(user: User, grants: dict[str, list[str]]) -> list[str]:
    """The site-wide roles ``user`` holds; those it holds through a group or
    ``system.Authenticated`` are marked with that principal."""
    roles = set(grants.get(user_principal(user.id), []))
    inherited = {AUTHENTICATED: grants.get(AUTHENTICATED, [])}
    inherited |= {
        group_principal(g.name): grants.get(group_principal(g.name), []) for g in user.groups
    }
    shown = sorted(roles)
    for principal, principal_roles in sorted(inherited.items()):
        shown += [
            f"{role} (via {principal})" for role in sorted(principal_roles) if role not in roles
        ]
    return shown


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, separated by two spaces."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def list_accounts(request: Request, args: argparse.Namespace) -> Report:
    """``list``: a table of the accounts (the active ones unless ``--all``)."""
    # Every account, not a first page: this is the administrator's full list.
    users = request.accounts.list_users(limit=None)
    shown = [u for u in users if args.all or u.active]
    hidden = len(users) - len(shown)
    note = f"{hidden} deactivated account(s) not shown; add --all to list them." if hidden else ""
    if not shown:
        return Report(out="No active accounts." if hidden else "No accounts.", note=note)
    grants = request.sharing.global_roles()
    rows = [
        (
            u.login,
            u.full_name or "-",
            u.email,
            "yes" if u.active else "no",
            ", ".join(g.name for g in u.groups) or "-",
            ", ".join(site_roles_of(u, grants)) or "-",
        )
        for u in shown
    ]
    header = ("LOGIN", "FULL NAME", "EMAIL", "ACTIVE", "GROUPS", "GLOBAL ROLES")
    return Report(out=format_table(header, rows), note=note)


def token(request: Request, args: argparse.Namespace) -> Report:
    """``token``: a new API token for an account; only the token goes to stdout."""
    user = find_account(request, args.login)
    if not user.active:
        raise Conflict(f"the account '{user.login}' is deactivated; its tokens would not work")
    expires = None
    if args.expires_days is not None:
        expires = utcnow() + dt.timedelta(days=args.expires_days)
    api_token, text = request.tokens.create(
        user, args.name, scope=args.scope, expires=expires, actor=CLI_ACTOR
    )
    until = (
        f"expires {api_token.expires:%Y-%m-%d %H:%M} UTC" if api_token.expires else "never expires"
    )
    note = (
        f"API token '{api_token.name}' (id {api_token.id}) for '{user.login}' <{user.email}>: "
        f"scope {api_token.scope}, {until}. It is shown only this once."
    )
    return Report(out=text, note=note)


def expiry_days(text: str) -> int:
    """Parse ``--expires-days``: a whole number of days from 1 to MAX_EXPIRY_DAYS."""
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days from 1 to {MAX_EXPIRY_DAYS}, got {text!r}"
        )
    return days


def build_parser() -> argparse.ArgumentParser:
    """The ``charter-user`` argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="charter-user",
        description="Manage accounts and API tokens from the server. Changes are audited "
        "with the actor 'cli'.",
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def password_source(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of stdin instead of generating one "
            "(a generated password is printed once)",
        )

    add_command = commands.add_parser(
        "add",
        help="create an account",
        description="Create an account. Without --password-stdin a password is generated "
        "and printed once.",
    )
    add_command.add_argument("login", help="lower-case letters, digits, '.', '_', '@' or '-'")
    add_command.add_argument("--email", required=True, help="the account's e-mail address")
    add_command.add_argument("--full-name", default="", help="the person's name as shown")
    password_source(add_command)
    add_command.add_argument(
        "--admin", action="store_true", help="grant the site-wide Administrator role"
    )
    add_command.set_defaults(command=add)

    passwd_command = commands.add_parser(
        "passwd",
        help="set an account's password",
        description="Set a new password for an account; its open sessions end. Without "
        "--password-stdin a password is generated and printed once.",
    )
    passwd_command.add_argument("login", help="the account's login")
    password_source(passwd_command)
    passwd_command.set_defaults(command=passwd)

    deactivate_command = commands.add_parser(
        "deactivate",
        help="stop an account from logging in",
        description="Deactivate an account: it can no longer log in and its API tokens stop "
        "working. Nothing of it is deleted.",
    )
    deactivate_command.add_argument("login", help="the account's login")
    deactivate_command.set_defaults(command=deactivate)

    logout_command = commands.add_parser(
        "logout",
        help="end an account's sessions",
        description="End every session of an account at once, in every process; the person "
        "must log in again. API tokens are not affected.",
    )
    logout_command.add_argument("login", help="the account's login")
    logout_command.set_defaults(command=logout)

    purge_command = commands.add_parser(
        "purge-sessions",
        help="remove expired session records",
        description="Remove the records of sessions that expired (run it daily, e.g. from "
        "cron). Sessions kept in Redis expire by themselves.",
    )
    purge_command.set_defaults(command=purge_sessions)

    list_command = commands.add_parser(
        "list",
        help="list the accounts",
        description="List the accounts with their groups and site-wide roles.",
    )
    list_command.add_argument("--all", action="store_true", help="include deactivated accounts")
    list_command.set_defaults(command=list_accounts)

    token_command = commands.add_parser(
        "token",
        help="create an API token for an account",
        description="Create an API token acting as an account, e.g. for an integration "
        "partner. Only the token is printed on stdout, so it can be piped; a note on stderr "
        "says whom it is for, its scope and its expiry.",
    )
    token_command.add_argument("login", help="the account the token acts as")
    token_command.add_argument(
        "--scope",
        choices=TOKEN_SCOPES,
        default=READ_SCOPE,
        help="'read' may only view; 'read-write' may do whatever the account may (default: read)",
    )
    token_command.add_argument(
        "--name", default=DEFAULT_TOKEN_NAME, help=f"a label (default: {DEFAULT_TOKEN_NAME})"
    )
    token_command.add_argument(
        "--expires-days",
        type=expiry_days,
        metavar="N",
        help=f"expire after N days (1 to {MAX_EXPIRY_DAYS}); default: never",
    )
    token_command.set_defaults(command=token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-user``."""
    args = build_parser().parse_args(argv)
    try:
        with app_environment(args.config_uri) as env:
            request = env["request"]
            with request.tm:
                report = args.command(request, args)
    except CharterError as error:
        print(f"charter-user: {error.detail}", file=sys.stderr)
        return ERROR_STATUS
    report.show()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
