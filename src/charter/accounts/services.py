"""Creating and finding accounts."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.accounts.passwords import hash_password
from charter.errors import Conflict, ValidationFailed

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
MIN_PASSWORD_LENGTH = 10


class AccountService:
    """Accounts stored in the database."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession

    def find_by_login(self, login: str) -> User | None:
        """The account with ``login``, or None."""
        return self.dbsession.scalars(select(User).where(User.login == login)).one_or_none()

    def create_user(self, login: str, email: str, password: str, full_name: str = "") -> User:
        """Add an account; refuses a malformed or taken login and a short password."""
        errors = []
        if not LOGIN_PATTERN.match(login):
            errors.append(
                ("login", "use 1 to 100 lower-case letters, digits, '.', '_', '@' or '-'")
            )
        if "@" not in email:
            errors.append(("email", "an email address needs an '@'"))
        if len(password) < MIN_PASSWORD_LENGTH:
            errors.append(("password", f"use at least {MIN_PASSWORD_LENGTH} characters"))
        if errors:
            raise ValidationFailed(errors)
        if self.find_by_login(login) is not None:
            raise Conflict(f"the login {login!r} is taken")
        user = User(
            login=login, email=email, full_name=full_name, password_hash=hash_password(password)
        )
        self.dbsession.add(user)
        return user
