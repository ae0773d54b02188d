"""Principals: the names that roles are granted to."""

from __future__ import annotations

EVERYONE = "system.Everyone"
AUTHENTICATED = "system.Authenticated"
USER_PREFIX = "user:"
GROUP_PREFIX = "group:"
SYSTEM_PRINCIPALS = (EVERYONE, AUTHENTICATED)


def user_principal(user_id: int) -> str:
    """The principal of the account with ``user_id``."""
    return f"{USER_PREFIX}{user_id}"


def group_principal(name: str) -> str:
    """The principal of the group called ``name``."""
    return f"{GROUP_PREFIX}{name}"
