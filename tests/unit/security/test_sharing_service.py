"""SharingService: reading and changing local roles, inheritance and site-wide roles."""

import pytest
from sqlalchemy import func, select

from charter.audit.models import AuditEntry
from charter.audit.service import Actor
from charter.errors import ValidationFailed
from charter.security.models import GlobalRole
from charter.security.principals import AUTHENTICATED, EVERYONE, group_principal, user_principal
from charter.security.sharing import InheritedGrant, SharingService
from charter.tree.models import LocalRole, Node, NodeViewer
from charter.tree.services import TreeService

ACTOR = Actor(user_id=None, login="tester", address="192.0.2.7")


@pytest.fixture
def sharing(dbsession):
    """The sharing service on the test session."""
    return SharingService(dbsession)


@pytest.fixture
def people(make_user):
    """ann and bob; ann is in the group ``staff``, bob in ``board``."""
    return {"ann": make_user("ann", groups=["staff"]), "bob": make_user("bob", groups=["board"])}


@pytest.fixture
def handbook(site_root, content, sharing, people, dbsession):
    """/org/team/handbook: /org grants staff Editor; /org/team grants bob Reviewer."""
    org = content.add_folder(site_root, "org", "Organisation")
    team = content.add_folder(org, "team", "Team")
    content.add_document(team, "handbook", "Handbook", "Text.")
    sharing.update(org, {group_principal("staff"): ["Editor"]})
    sharing.update(team, {user_principal(people["bob"].id): ["Reviewer"]})
    dbsession.flush()  # the tree is read back through TreeService.resolve
    return org


def lineage_of(dbsession, path):
    """The node at ``path`` with its lineage loaded, as traversal loads it."""
    segments = [segment for segment in path.split("/") if segment]
    return TreeService(dbsession).resolve(segments).context


def grants_in_database(dbsession):
    """Every (path, principal, role) of the local roles table, sorted."""
    rows = dbsession.execute(
        select(Node.path, LocalRole.principal, LocalRole.role).join(
            Node, Node.id == LocalRole.node_id
        )
    )
    return sorted(tuple(row) for row in rows)


def viewer_rows(dbsession):
    """Every (node_id, principal) of node_viewers, sorted."""
    return sorted(
        tuple(row) for row in dbsession.execute(select(NodeViewer.node_id, NodeViewer.principal))
    )


def audit_entries(dbsession, action):
    """The audit entries recording ``action``, oldest first."""
    return dbsession.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def snapshot(dbsession):
    """Everything a refused change must leave as it was."""
    dbsession.flush()  # compare what the database holds
    return (
        grants_in_database(dbsession),
        viewer_rows(dbsession),
        dbsession.scalar(select(func.count()).select_from(AuditEntry)),
        sorted(
            tuple(row) for row in dbsession.execute(select(GlobalRole.principal, GlobalRole.role))
        ),
    )


# -- reading -------------------------------------------------------------------


def test_sharing_shows_local_and_inherited_grants_with_their_paths(
    handbook, sharing, people, dbsession
):
    result = sharing.sharing(lineage_of(dbsession, "/org/team/handbook"))

    assert result.inherit is True
    assert result.local == {}
    assert result.inherited == [
        InheritedGrant(user_principal(people["bob"].id), "Reviewer", "/org/team"),
        InheritedGrant(group_principal("staff"), "Editor", "/org"),
        InheritedGrant(AUTHENTICATED, "Reader", "/"),
    ]


def test_sharing_lists_local_roles_sorted(handbook, sharing, people, dbsession):
    team = lineage_of(dbsession, "/org/team")
    ann = user_principal(people["ann"].id)
    sharing.update(team, {ann: ["Reviewer", "Contributor", "Reader"]})

    result = sharing.sharing(lineage_of(dbsession, "/org/team"))

    assert result.local == {
        user_principal(people["bob"].id): ["Reviewer"],
        ann: ["Contributor", "Reader", "Reviewer"],
    }


def test_sharing_stops_at_a_block_but_keeps_the_blocking_nodes_grants(handbook, sharing, dbsession):
    sharing.update(lineage_of(dbsession, "/org/team"), {}, inherit=False)

    below = sharing.sharing(lineage_of(dbsession, "/org/team/handbook"))
    blocking = sharing.sharing(lineage_of(dbsession, "/org/team"))

    assert [grant.path for grant in below.inherited] == ["/org/team"]
    assert blocking.inherit is False
    assert blocking.inherited == []
    assert len(blocking.local) == 1


# -- changing local roles ----------------------------------------------------------


def test_update_adds_roles_and_keeps_principals_not_listed(handbook, sharing, people, dbsession):
    ann = user_principal(people["ann"].id)
    bob = user_principal(people["bob"].id)
    team = lineage_of(dbsession, "/org/team")

    result = sharing.update(team, {ann: ["Editor"], EVERYONE: ["Reader"]})

    assert result.local == {bob: ["Reviewer"], ann: ["Editor"], EVERYONE: ["Reader"]}
    assert ("/org/team", ann, "Editor") in grants_in_database(dbsession)
    assert ("/org/team", bob, "Reviewer") in grants_in_database(dbsession)


def test_update_removes_roles_not_listed_for_a_principal(handbook, sharing, people, dbsession):
    ann = user_principal(people["ann"].id)
    team = lineage_of(dbsession, "/org/team")
    sharing.update(team, {ann: ["Editor", "Reviewer", "Reader"]})

    result = sharing.update(team, {ann: ["Reader", "Manager"]})

    assert result.local[ann] == ["Manager", "Reader"]
    assert [row for row in grants_in_database(dbsession) if row[1] == ann] == [
        ("/org/team", ann, "Manager"),
        ("/org/team", ann, "Reader"),
    ]


def test_an_empty_list_removes_a_principal(handbook, sharing, people, dbsession):
    bob = user_principal(people["bob"].id)
    team = lineage_of(dbsession, "/org/team")

    result = sharing.update(team, {bob: []})

    assert result.local == {}
    assert [row for row in grants_in_database(dbsession) if row[1] == bob] == []
    viewers_of_team = dbsession.scalars(
        select(NodeViewer.principal).where(NodeViewer.node_id == team.id)
    ).all()
    assert bob not in viewers_of_team


def test_removing_a_principal_that_holds_nothing_changes_nothing(
    handbook, sharing, people, dbsession
):
    before = snapshot(dbsession)

    sharing.update(lineage_of(dbsession, "/org/team"), {user_principal(people["ann"].id): []})

    assert snapshot(dbsession) == before


def test_update_turns_inheritance_off_and_on(handbook, sharing, dbsession):
    team = lineage_of(dbsession, "/org/team")

    off = sharing.update(team, {}, inherit=False)
    assert off.inherit is False
    assert team.inherit_roles is False
    assert sharing.sharing(team).inherited == []

    on = sharing.update(team, {}, inherit=True)
    assert on.inherit is True
    assert [grant.path for grant in on.inherited] == ["/org", "/"]


def test_update_recomputes_who_may_view_the_subtree(handbook, sharing, people, dbsession):
    page = lineage_of(dbsession, "/org/team/handbook")
    ann = user_principal(people["ann"].id)

    sharing.update(lineage_of(dbsession, "/org/team"), {ann: ["Reader"]}, inherit=False)

    viewers = set(
        dbsession.scalars(select(NodeViewer.principal).where(NodeViewer.node_id == page.id))
    )
    assert viewers == {ann, user_principal(people["bob"].id)}


def test_every_change_is_audited_with_before_and_after(handbook, sharing, people, dbsession):
    ann = user_principal(people["ann"].id)
    bob = user_principal(people["bob"].id)
    team = lineage_of(dbsession, "/org/team")

    sharing.update(team, {ann: ["Editor"]}, inherit=False, actor=ACTOR)
    dbsession.flush()  # the entry is read back from the database

    entry = [e for e in audit_entries(dbsession, "sharing.changed") if e.target == "/org/team"][-1]
    assert entry.actor_login == "tester"
    assert entry.address == "192.0.2.7"
    assert entry.details["uid"] == team.uid
    assert entry.details["before"] == {"inherit": True, "local": {bob: ["Reviewer"]}}
    assert entry.details["after"] == {
        "inherit": False,
        "local": {bob: ["Reviewer"], ann: ["Editor"]},
    }


def test_a_change_that_changes_nothing_is_not_audited(handbook, sharing, people, dbsession):
    team = lineage_of(dbsession, "/org/team")
    dbsession.flush()  # count the entries written so far
    count = len(audit_entries(dbsession, "sharing.changed"))

    sharing.update(team, {user_principal(people["bob"].id): ["Reviewer"]}, inherit=True)
    dbsession.flush()  # an entry would be written now

    assert len(audit_entries(dbsession, "sharing.changed")) == count


# -- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "fields", "says"),
    [
        pytest.param(
            {"user:999999": ["Reader"]},
            ["entries/0/principal"],
            "no account with id 999999",
            id="unknown-user",
        ),
        pytest.param(
            {"group:nobody": ["Reader"]},
            ["entries/0/principal"],
            "no group named 'nobody'",
            id="unknown-group",
        ),
        pytest.param(
            {"ann": ["Reader"]}, ["entries/0/principal"], "not a principal", id="bare-name"
        ),
        pytest.param(
            {"user:ann": ["Reader"]}, ["entries/0/principal"], "not a principal", id="user-by-login"
        ),
        pytest.param(
            {"group:": ["Reader"]}, ["entries/0/principal"], "not a principal", id="empty-group"
        ),
        pytest.param(
            {"system.Anyone": ["Reader"]},
            ["entries/0/principal"],
            "not a principal",
            id="unknown-system-principal",
        ),
        pytest.param({"group:staff": ["Owner"]}, ["entries/0/roles"], "'Owner'", id="unknown-role"),
        pytest.param(
            {"group:staff": ["reader"]}, ["entries/0/roles"], "'reader'", id="role-in-lower-case"
        ),
        pytest.param(
            {"group:staff": ["Administrator"]},
            ["entries/0/roles"],
            "'Administrator'",
            id="administrator-locally",
        ),
    ],
)
def test_bad_entries_are_refused_and_nothing_changes(
    handbook, sharing, dbsession, entries, fields, says
):
    team = lineage_of(dbsession, "/org/team")
    before = snapshot(dbsession)

    with pytest.raises(ValidationFailed) as refusal:
        sharing.update(team, entries, inherit=False)

    assert [field for field, _ in refusal.value.errors] == fields
    assert says in refusal.value.errors[0][1]
    assert team.inherit_roles is True
    assert snapshot(dbsession) == before


def test_every_bad_entry_is_named_by_its_position(handbook, sharing, people, dbsession):
    team = lineage_of(dbsession, "/org/team")
    before = snapshot(dbsession)
    entries = {
        user_principal(people["ann"].id): ["Reader"],
        "group:nobody": ["Reader"],
        "user:999999": ["Editor"],
        "nonsense": ["Reader"],
        group_principal("staff"): ["Reader", "Owner"],
    }

    with pytest.raises(ValidationFailed) as refusal:
        sharing.update(team, entries)

    assert sorted(field for field, _ in refusal.value.errors) == [
        "entries/1/principal",
        "entries/2/principal",
        "entries/3/principal",
        "entries/4/roles",
    ]
    assert snapshot(dbsession) == before


# -- site-wide roles -------------------------------------------------------------------------


def test_set_global_roles_makes_them_exactly_the_ones_given(sharing, people, dbsession):
    ann = user_principal(people["ann"].id)

    assert sharing.set_global_roles(ann, ["Reader", "Editor", "Reader"]) == ["Editor", "Reader"]
    assert sharing.global_roles()[ann] == ["Editor", "Reader"]

    assert sharing.set_global_roles(ann, ["Administrator"]) == ["Administrator"]
    assert sharing.global_roles()[ann] == ["Administrator"]

    assert sharing.set_global_roles(ann, []) == []
    assert ann not in sharing.global_roles()


def test_global_roles_lists_every_principal(sharing, people):
    ann = user_principal(people["ann"].id)
    sharing.set_global_roles(ann, ["Manager"])
    sharing.set_global_roles(group_principal("board"), ["Reviewer", "Reader"])
    sharing.set_global_roles(AUTHENTICATED, ["Reader"])

    assert sharing.global_roles() == {
        group_principal("board"): ["Reader", "Reviewer"],
        AUTHENTICATED: ["Reader"],
        ann: ["Manager"],
    }


def test_global_role_changes_are_audited(sharing, people, dbsession):
    ann = user_principal(people["ann"].id)
    sharing.set_global_roles(ann, ["Reader"], actor=ACTOR)
    sharing.set_global_roles(ann, ["Editor"], actor=ACTOR)
    sharing.set_global_roles(ann, ["Editor"], actor=ACTOR)
    dbsession.flush()  # the entries are read back from the database

    entries = audit_entries(dbsession, "global_roles.changed")

    assert [(e.target, e.details) for e in entries] == [
        (ann, {"before": [], "after": ["Reader"]}),
        (ann, {"before": ["Reader"], "after": ["Editor"]}),
    ]
    assert {e.actor_login for e in entries} == {"tester"}


@pytest.mark.parametrize(
    ("principal", "roles", "field"),
    [
        pytest.param(EVERYONE, ["Reader"], "entries/0/principal", id="everyone"),
        pytest.param("user:999999", ["Reader"], "entries/0/principal", id="unknown-user"),
        pytest.param("group:nobody", ["Reader"], "entries/0/principal", id="unknown-group"),
        pytest.param("someone", ["Reader"], "entries/0/principal", id="malformed"),
        pytest.param("group:staff", ["Owner"], "entries/0/roles", id="unknown-role"),
    ],
)
def test_bad_global_roles_are_refused_and_nothing_changes(
    sharing, people, dbsession, principal, roles, field
):
    sharing.set_global_roles(group_principal("staff"), ["Reader"])
    before = snapshot(dbsession)

    with pytest.raises(ValidationFailed) as refusal:
        sharing.set_global_roles(principal, roles)

    assert [name for name, _ in refusal.value.errors] == [field]
    assert snapshot(dbsession) == before
    assert sharing.global_roles() == {group_principal("staff"): ["Reader"]}
