"""Roles, permissions and the one table that maps the first to the second."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """What a view or service may require of the caller."""

    VIEW = "view"
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"
    SHARE = "share"
    REVIEW = "review"
    MANAGE = "manage"


class Role(StrEnum):
    """A named bundle of permissions, granted to a principal globally or on a node."""

    READER = "Reader"
    CONTRIBUTOR = "Contributor"
    EDITOR = "Editor"
    REVIEWER = "Reviewer"
    MANAGER = "Manager"
    ADMINISTRATOR = "Administrator"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.READER: frozenset({Permission.VIEW}),
    Role.CONTRIBUTOR: frozenset({Permission.VIEW, Permission.ADD}),
    Role.EDITOR: frozenset({Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.DELETE}),
    Role.REVIEWER: frozenset({Permission.VIEW, Permission.REVIEW}),
    Role.MANAGER: frozenset(
        {
            Permission.VIEW,
            Permission.ADD,
            Permission.EDIT,
            Permission.DELETE,
            Permission.SHARE,
            Permission.REVIEW,
        }
    ),
    # Only the site-wide role may manage accounts, groups and global roles.
    Role.ADMINISTRATOR: frozenset(Permission),
}

# Roles that may be granted on a node; Administrator is site-wide only.
LOCAL_ROLES: tuple[Role, ...] = (
    Role.READER,
    Role.CONTRIBUTOR,
    Role.EDITOR,
    Role.REVIEWER,
    Role.MANAGER,
)


def permissions_of(roles: frozenset[Role] | set[Role]) -> frozenset[Permission]:
    """Every permission that any of ``roles`` grants."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


# The intranet default charter-init gives a new site: every logged-in person
# may read everything, unless a folder blocks inheritance.
DEFAULT_ROOT_GRANTS: dict[str, list[str]] = {"system.Authenticated": [Role.READER.value]}
