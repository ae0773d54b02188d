"""Roles, permissions and the one table that maps the first to the second."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Permission(StrEnum):
    """What a view or service may require of the caller."""

    VIEW = "view"
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"
    SHARE = "share"
    REVIEW = "review"
    # Ask for review and take an item back (the workflow's submit and retract).
    SUBMIT = "submit"
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
    Role.EDITOR: frozenset(
        {Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.DELETE, Permission.SUBMIT}
    ),
    Role.REVIEWER: frozenset({Permission.VIEW, Permission.REVIEW}),
    Role.MANAGER: frozenset(
        {
            Permission.VIEW,
            Permission.ADD,
            Permission.EDIT,
            Permission.DELETE,
            Permission.SHARE,
            Permission.REVIEW,
            Permission.SUBMIT,
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


# The role the owner of a node (who created it) holds on it without any grant.
# It is never granted; a workflow state may change what it allows like any role's.
OWNER = "Owner"
OWNER_PERMISSIONS: frozenset[Permission] = frozenset({Permission.VIEW, Permission.SUBMIT})

# Every role a workflow state may name: the grantable ones and the owner's.
STATE_ROLES: tuple[str, ...] = (*(role.value for role in Role), OWNER)


def permissions_of(roles: frozenset[Role] | set[Role]) -> frozenset[Permission]:
    """Every permission that any of ``roles`` grants."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


# The intranet default charter-init gives a new site: every logged-in person
# may read everything, unless a folder blocks inheritance.
DEFAULT_ROOT_GRANTS: dict[str, list[str]] = {"system.Authenticated": [Role.READER.value]}


def role_permissions(role: str) -> frozenset[Permission]:
    """What ``role`` (a Role's name, or the owner's) allows outside any workflow state."""
    if role == OWNER:
        return OWNER_PERMISSIONS
    return ROLE_PERMISSIONS[Role(role)]


# Where the application keeps its StatePermissions (compiled from the workflows).
STATE_PERMISSIONS_KEY = "charter.security.state_permissions"


@dataclass(frozen=True)
class StatePermissions:
    """What each role allows on a node in each workflow state, keyed by (type, state).

    Compiled from the registered workflows at start-up (charter.workflow).
    A node under no workflow (its state None, or a type without one) gets
    the roles' usual permissions; a node in a state its workflow does not
    define gets only what the Administrator holds (nothing for others).
    ``public`` are the (type, state) pairs everyone may view on a public site.
    """

    by_state: Mapping[tuple[str, str], Mapping[str, frozenset[Permission]]] = field(
        default_factory=dict
    )
    workflow_types: frozenset[str] = frozenset()
    public: frozenset[tuple[str, str]] = frozenset()

    def permissions(
        self, type_name: str, state: str | None, roles: Iterable[str]
    ) -> frozenset[Permission]:
        """Every permission ``roles`` give on a node of ``type_name`` in ``state``."""
        granted: set[Permission] = set()
        if state is None or type_name not in self.workflow_types:
            for role in roles:
                granted |= role_permissions(role)
            return frozenset(granted)
        in_state = self.by_state.get((type_name, state))
        for role in roles:
            if role == Role.ADMINISTRATOR:
                granted |= ROLE_PERMISSIONS[Role.ADMINISTRATOR]
            elif in_state is not None:
                granted |= in_state.get(role, frozenset())
        return frozenset(granted)

    def is_public(self, type_name: str, state: str | None) -> bool:
        """Whether nodes of ``type_name`` in ``state`` are for everyone on a public site."""
        return state is not None and (type_name, state) in self.public


NO_WORKFLOWS = StatePermissions()
