"""The policy keeps a node's roles for the request, and sees every change to the grants at once.

One request (one DummyRequest and the test session) checks, changes the
grants the way the sharing page and the API do, and checks again.
"""

import pytest
from pyramid import testing

from charter.security import policy as policy_module
from charter.security.identity import identity_for_user
from charter.security.policy import CharterSecurityPolicy
from charter.security.principals import group_principal, user_principal
from charter.security.roles import Permission
from charter.security.sharing import SharingService
from charter.tree.models import LocalRole
from charter.tree.services import TreeService


class Request(testing.DummyRequest):
    """A request whose caller the test sets (DummyRequest asks the policy)."""

    identity = None


@pytest.fixture
def request_for(make_user, dbsession):
    """A request by ann (group ``staff``) and the policy answering it."""
    ann = make_user("ann", groups=["staff"])
    with testing.testConfig(settings={}):
        request = Request()
        request.identity = identity_for_user(dbsession, ann.id)
        yield request, CharterSecurityPolicy(), ann


@pytest.fixture
def team(site_root, content, dbsession):
    """/org/team, traversed as a request traverses it."""
    org = content.add_folder(site_root, "org", "Organisation")
    content.add_folder(org, "team", "Team")
    dbsession.flush()
    return TreeService(dbsession).resolve(["org", "team"]).context


def allowed(request, policy, node, permission=Permission.EDIT):
    return bool(policy.permits(request, node, permission))


def test_a_grant_in_the_same_request_counts_at_once(request_for, team, dbsession):
    request, policy, ann = request_for
    sharing = SharingService(dbsession)
    assert not allowed(request, policy, team)
    sharing.update(team, {user_principal(ann.id): ["Editor"]})
    assert allowed(request, policy, team)
    sharing.update(team, {user_principal(ann.id): []})
    assert not allowed(request, policy, team)


def test_an_ancestors_grant_and_its_inheritance(request_for, team, dbsession):
    request, policy, _ = request_for
    sharing = SharingService(dbsession)
    org = team.__parent__
    sharing.update(org, {group_principal("staff"): ["Editor"]})
    assert allowed(request, policy, team)
    sharing.update(team, {}, inherit=False)
    assert not allowed(request, policy, team)
    team.inherit_roles = True
    assert allowed(request, policy, team)


def test_grants_changed_in_place_and_reloaded(request_for, team, dbsession):
    request, policy, ann = request_for
    team.local_roles.append(LocalRole(principal=user_principal(ann.id), role="Reader"))
    assert not allowed(request, policy, team)
    team.local_roles[0].role = "Editor"
    assert allowed(request, policy, team)
    dbsession.flush()
    dbsession.expire(team)
    team.local_roles.clear()
    assert not allowed(request, policy, team)


def test_a_new_parent_counts(request_for, team, site_root, content, dbsession):
    request, policy, ann = request_for
    other = content.add_folder(site_root, "other", "Other")
    SharingService(dbsession).update(other, {user_principal(ann.id): ["Editor"]})
    assert not allowed(request, policy, team)
    team.__parent__ = other
    assert allowed(request, policy, team)


def test_the_roles_are_computed_once_for_the_request(request_for, team, monkeypatch):
    """Once for each node of the lineage: the node's checks and its ancestors' reuse them."""
    request, policy, _ = request_for
    computed = []
    original = policy_module.NodeRoles
    monkeypatch.setattr(
        policy_module,
        "NodeRoles",
        lambda node, *args: computed.append(node) or original(node, *args),
    )
    for permission in (Permission.VIEW, Permission.EDIT, Permission.SHARE, Permission.VIEW):
        policy.permits(request, team, permission)
    policy.permits(request, team.__parent__, Permission.VIEW)
    assert [node.path for node in computed] == ["/", "/org", "/org/team"]
    other_request = Request()
    other_request.identity = request.identity
    policy.permits(other_request, team, Permission.VIEW)
    assert len(computed) == 6
