"""Logging in with a password, with failed attempts counted and limited."""

from __future__ import annotations

import functools
import math
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.accounts.passwords import hash_password, needs_rehash, verify_password
from charter.audit.service import Actor, AuditLog
from charter.db.meta import utcnow
from charter.i18n import _, english
from charter.security.principals import user_principal
from charter.security.ratelimit import RateLimiter


@functools.cache
def _unknown_account_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


# Logins have at most 100 characters (charter.accounts.services.LOGIN_PATTERN).
MAX_ATTEMPTED_LOGIN_LENGTH = 101


class LoginRefused(Exception):
    """The login was refused; ``message`` is what to tell the person (translatable),
    ``detail`` the same in English."""

    def __init__(self, message: str, retry_after: int = 0) -> None:
        self.message = message
        self.detail = english(message)
        super().__init__(self.detail)
        self.retry_after = retry_after


class LoginService:
    """Checks a login and password against the accounts and the failure counters."""

    def __init__(
        self,
        dbsession: Session,
        limiter: RateLimiter,
        max_failures: int,
        max_failures_per_address: int,
        audit: AuditLog | None = None,
    ) -> None:
        self.dbsession = dbsession
        self.limiter = limiter
        self.max_failures = max_failures
        self.max_failures_per_address = max_failures_per_address
        self.audit = audit or AuditLog(dbsession)

    def authenticate(self, login: str, password: str, address: str | None) -> User:
        """The account ``login`` names when ``password`` is right; LoginRefused otherwise.

        Once an account or an address has failed too often in the window,
        every attempt is refused, even one with the right password, until
        the window has passed.
        """
        # No login is longer; what an attacker sends is recorded no longer either.
        login = login.strip().lower()[:MAX_ATTEMPTED_LOGIN_LENGTH]
        account_key = f"login:account:{login}"
        address_key = f"login:address:{address or 'unknown'}"
        attempt = Actor(login=login, address=address)
        # Each attempt takes its place in the counters before the password is
        # checked, atomically: of concurrent attempts, no more than the limit
        # get as far as a password check.
        for key, limit in (
            (account_key, self.max_failures),
            (address_key, self.max_failures_per_address),
        ):
            if self.limiter.hit(key) > limit:
                wait = self.limiter.retry_after(key)
                self.audit.record("login.refused", attempt, login, reason="too many failures")
                minutes = max(1, math.ceil(wait / 60))
                message = (
                    _("Too many failed logins; try again in 1 minute.")
                    if minutes == 1
                    else _(
                        "Too many failed logins; try again in ${minutes} minutes.",
                        mapping={"minutes": minutes},
                    )
                )
                raise LoginRefused(message, retry_after=wait)

        user = self.dbsession.scalars(select(User).where(User.login == login)).one_or_none()
        # An unknown login costs as much time as a wrong password, so timing
        # does not tell which logins exist.
        stored_hash = user.password_hash if user is not None else _unknown_account_hash()
        if not verify_password(stored_hash, password) or user is None or not user.active:
            self.audit.record("login.failed", attempt, login)
            raise LoginRefused(_("Wrong login or password."))

        # A success is no failure: the account starts afresh, the address gets its place back.
        self.limiter.release(address_key)
        self.limiter.reset(account_key)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login = utcnow()
        self.audit.record(
            "login.succeeded", Actor(user.id, user.login, address), user_principal(user.id)
        )
        return user
