"""The roles-to-permissions table and the helpers around it."""

import pytest

from charter.security.roles import (
    DEFAULT_ROOT_GRANTS,
    LOCAL_ROLES,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    permissions_of,
)

P = Permission


@pytest.mark.parametrize(
    ("role", "permissions"),
    [
        (Role.READER, {P.VIEW}),
        (Role.CONTRIBUTOR, {P.VIEW, P.ADD}),
        (Role.EDITOR, {P.VIEW, P.ADD, P.EDIT, P.DELETE, P.SUBMIT}),
        (Role.REVIEWER, {P.VIEW, P.REVIEW}),
        (Role.MANAGER, {P.VIEW, P.ADD, P.EDIT, P.DELETE, P.SHARE, P.REVIEW, P.SUBMIT}),
        (Role.ADMINISTRATOR, set(Permission)),
    ],
)
def test_each_role_grants_exactly_its_permissions(role, permissions):
    assert permissions_of({role}) == frozenset(permissions)


def test_every_role_is_in_the_table():
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_permissions_of_several_roles_is_their_union():
    assert permissions_of({Role.CONTRIBUTOR, Role.REVIEWER}) == {P.VIEW, P.ADD, P.REVIEW}


def test_no_role_grants_nothing():
    assert permissions_of(set()) == frozenset()


def test_every_role_may_view():
    # node_viewers relies on it: any local role means the node is visible.
    assert all(P.VIEW in permissions for permissions in ROLE_PERMISSIONS.values())


def test_only_the_administrator_may_manage():
    assert [role for role in Role if P.MANAGE in permissions_of({role})] == [Role.ADMINISTRATOR]
    assert P.MANAGE not in permissions_of(set(LOCAL_ROLES))


def test_administrator_is_site_wide_only():
    assert Role.ADMINISTRATOR not in LOCAL_ROLES
    assert set(LOCAL_ROLES) == set(Role) - {Role.ADMINISTRATOR}


def test_unknown_role_names_are_refused():
    with pytest.raises(ValueError, match="'Owner' is not a valid Role"):
        Role("Owner")


def test_a_new_site_lets_every_logged_in_person_read():
    assert DEFAULT_ROOT_GRANTS == {"system.Authenticated": ["Reader"]}
