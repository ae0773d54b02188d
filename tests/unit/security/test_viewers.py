"""``node_viewers`` stays equal to what the local roles on each lineage say.

The reference is computed here in plain Python from the stored nodes and
grants: a principal may view a node when it holds a local role on the node,
or on an ancestor whose grants reach it (no node from just below that
ancestor down to the node itself blocks inheritance). Every change that can
alter it (sharing, moving, renaming, adding, deleting a group) is followed
by a comparison of the whole table with that reference.
"""

import pytest
from sqlalchemy import select

from charter.accounts.services import AccountService
from charter.security.principals import AUTHENTICATED, EVERYONE, group_principal, user_principal
from charter.security.sharing import SharingService
from charter.tree.models import LocalRole, Node, NodeViewer
from charter.tree.viewers import refresh_subtree


def reference_viewers(dbsession):
    """{path: principals that may view it}, computed from nodes and local roles in Python."""
    nodes = {
        row.id: row
        for row in dbsession.execute(select(Node.id, Node.path, Node.parent_id, Node.inherit_roles))
    }
    grants = {}
    for node_id, principal in dbsession.execute(select(LocalRole.node_id, LocalRole.principal)):
        grants.setdefault(node_id, set()).add(principal)
    viewers = {}
    for node in nodes.values():
        seen = set()
        current = node
        while current is not None:
            seen |= grants.get(current.id, set())
            if not current.inherit_roles or current.parent_id is None:
                break
            current = nodes[current.parent_id]
        viewers[node.path] = seen
    return viewers


def stored_viewers(dbsession):
    """{path: principals} as ``node_viewers`` holds them (every node, even with none)."""
    viewers = {path: set() for path in dbsession.scalars(select(Node.path))}
    rows = dbsession.execute(
        select(Node.path, NodeViewer.principal).join(Node, Node.id == NodeViewer.node_id)
    )
    for path, principal in rows:
        viewers[path].add(principal)
    return viewers


def assert_viewers_match(dbsession):
    """The stored viewers of every node are the reference ones."""
    dbsession.flush()  # the reference reads grants back from the database
    stored, expected = stored_viewers(dbsession), reference_viewers(dbsession)
    wrong = {
        path: {"stored": sorted(stored[path]), "expected": sorted(expected[path])}
        for path in expected
        if stored[path] != expected[path]
    }
    assert wrong == {}


@pytest.fixture
def sharing(dbsession):
    """The sharing service on the test session."""
    return SharingService(dbsession)


@pytest.fixture
def people(make_user):
    """ann (in g1), bob (in g2), and the groups g1 and g2."""
    return {"ann": make_user("ann", groups=["g1"]), "bob": make_user("bob", groups=["g2"])}


@pytest.fixture
def layered(site_root, content, sharing, people, dbsession):
    """A tree four levels deep with grants and blocks at several depths.

    / (Reader to system.Authenticated)
      a (g1)          a/b (blocks; ann)    a/b/c (g2)    a/b/c/d (blocks)
      a/b/c/d/e       a/b/x                a/y           a/y/z (blocks; g1)
      a/y/z/w         a-b, a.x (names sorting next to 'a')
      p (blocks; Everyone)   p/q (bob)    p/q/r
    Returns the nodes by path.
    """
    ann, bob = user_principal(people["ann"].id), user_principal(people["bob"].id)
    nodes = {"/": site_root}

    def folder(path, title=None):
        parent_path, _, name = path.rpartition("/")
        nodes[path] = content.add_folder(nodes[parent_path or "/"], name, title or name)
        return nodes[path]

    def document(path):
        parent_path, _, name = path.rpartition("/")
        nodes[path] = content.add_document(nodes[parent_path or "/"], name, name, "Text.")
        return nodes[path]

    for path in ("/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/y", "/a/y/z", "/a-b", "/p", "/p/q"):
        folder(path)
    for path in ("/a/b/c/d/e", "/a/b/x", "/a/y/z/w", "/a.x", "/p/q/r"):
        document(path)
    sharing.update(nodes["/a"], {group_principal("g1"): ["Reader"]})
    sharing.update(nodes["/a/b"], {ann: ["Editor"]}, inherit=False)
    sharing.update(nodes["/a/b/c"], {group_principal("g2"): ["Reviewer"]})
    sharing.update(nodes["/a/b/c/d"], {}, inherit=False)
    sharing.update(nodes["/a/y/z"], {group_principal("g1"): ["Reader"]}, inherit=False)
    sharing.update(nodes["/p"], {EVERYONE: ["Reader"]}, inherit=False)
    sharing.update(nodes["/p/q"], {bob: ["Reader"]})
    dbsession.flush()  # the layout is complete before tests read it back
    return nodes


def test_the_reference_says_what_the_tree_means(layered, people, dbsession):
    # The reference computation itself, checked on a few hand-worked nodes.
    ann = user_principal(people["ann"].id)
    expected = reference_viewers(dbsession)

    assert expected["/a"] == {AUTHENTICATED, group_principal("g1")}
    assert expected["/a/b"] == {ann}
    assert expected["/a/b/c/d/e"] == set()
    assert expected["/a/b/c"] == {ann, group_principal("g2")}
    assert expected["/a-b"] == {AUTHENTICATED}
    assert expected["/p/q/r"] == {EVERYONE, user_principal(people["bob"].id)}


def test_viewers_match_after_sharing_a_layered_tree(layered, dbsession):
    assert_viewers_match(dbsession)


def test_viewers_match_after_further_sharing_changes(layered, sharing, people, dbsession):
    sharing.update(layered["/a/b"], {}, inherit=True)
    assert_viewers_match(dbsession)
    sharing.update(layered["/a"], {group_principal("g1"): []})
    assert_viewers_match(dbsession)
    sharing.update(layered["/a/b/c/d"], {user_principal(people["bob"].id): ["Reader"]})
    assert_viewers_match(dbsession)
    sharing.update(layered["/"], {AUTHENTICATED: []}, inherit=False)
    assert_viewers_match(dbsession)
    sharing.update(layered["/a/y/z"], {}, inherit=True)
    assert_viewers_match(dbsession)


@pytest.mark.parametrize(
    ("moved", "new_parent"),
    [
        pytest.param("/a/b", "/p", id="blocking-folder-into-another-blocked-area"),
        pytest.param("/a/b/c", "/a/y", id="out-from-below-a-block"),
        pytest.param("/p/q", "/a/b/c/d", id="into-a-folder-that-inherits-nothing"),
        pytest.param("/a/y", "/", id="up-to-the-root"),
        pytest.param("/a/b/x", "/a-b", id="document-to-a-neighbour-named-like-its-ancestor"),
    ],
)
def test_viewers_match_after_a_move(layered, tree, dbsession, moved, new_parent):
    tree.move(layered[moved], layered[new_parent])

    assert_viewers_match(dbsession)


def test_viewers_match_after_moves_and_renames_in_a_row(layered, tree, dbsession):
    tree.move(layered["/a/y"], layered["/a/b/c"])
    tree.rename(layered["/a/b"], "renamed")
    tree.move(layered["/p"], layered["/a-b"])
    # The dictionary keys are the original paths; the nodes have moved on.
    tree.move(layered["/a/b/c"], layered["/p/q"])

    assert_viewers_match(dbsession)
    assert layered["/a/b/c"].path == "/a-b/p/q/c"


@pytest.mark.parametrize("parent", ["/a", "/a/b", "/a/b/c/d", "/p/q", "/"])
def test_a_new_node_gets_its_parents_viewers(layered, content, dbsession, parent):
    added = content.add_document(layered[parent], "new-page", "New page", "Text.")

    stored = stored_viewers(dbsession)
    assert stored[added.path] == stored[parent]
    assert_viewers_match(dbsession)


def test_a_new_folder_passes_its_viewers_on_to_its_children(layered, content, dbsession):
    folder = content.add_folder(layered["/a/b/c"], "sub", "Sub")
    page = content.add_document(folder, "page", "Page", "Text.")

    stored = stored_viewers(dbsession)
    assert stored[page.path] == stored["/a/b/c"] != set()
    assert_viewers_match(dbsession)


def subtree_of(content, parent, name, size):
    """A folder ``name`` below ``parent`` holding ``size`` - 1 documents; returns the folder."""
    folder = content.add_folder(parent, name, name)
    for number in range(size - 1):
        content.add_document(folder, f"d{number}", f"Document {number}", "Text.")
    return folder


def test_refresh_subtree_costs_the_same_for_any_subtree_size(
    site_root, content, dbsession, query_recorder
):
    small = subtree_of(content, site_root, "small", 2)
    large = subtree_of(content, site_root, "large", 60)
    dbsession.flush()  # nothing pending may be counted as part of the refresh

    with query_recorder.record() as small_statements:
        refresh_subtree(dbsession, small)
    with query_recorder.record() as large_statements:
        refresh_subtree(dbsession, large)

    assert len(small_statements) == len(large_statements) == 2
    assert_viewers_match(dbsession)


def test_sharing_a_large_folder_costs_what_sharing_a_small_one_costs(
    site_root, content, sharing, people, dbsession, query_recorder
):
    small = subtree_of(content, site_root, "small", 2)
    large = subtree_of(content, site_root, "large", 60)
    dbsession.flush()  # nothing pending may be counted as part of the change
    ann = user_principal(people["ann"].id)

    with query_recorder.record() as small_statements:
        sharing.update(small, {ann: ["Reader"]}, inherit=False)
        dbsession.flush()  # the audit entry is written in the measured block too
    with query_recorder.record() as large_statements:
        sharing.update(large, {ann: ["Reader"]}, inherit=False)
        dbsession.flush()  # the audit entry is written in the measured block too

    assert len(small_statements) == len(large_statements)
    assert_viewers_match(dbsession)


def test_refresh_subtree_leaves_the_rest_of_the_tree_alone(layered, dbsession):
    outside = stored_viewers(dbsession)
    # Corrupt the stored viewers of a node outside the refreshed subtree: a
    # refresh of /a must not repair (or touch) it.
    dbsession.add(NodeViewer(node_id=layered["/a-b"].id, principal="group:stray", role="Reader"))
    dbsession.flush()  # the stray row must be in the table the refresh works on

    refresh_subtree(dbsession, layered["/a"])

    after = stored_viewers(dbsession)
    assert after["/a-b"] == outside["/a-b"] | {"group:stray"}
    assert {path: after[path] for path in after if path.startswith("/a/")} == {
        path: outside[path] for path in outside if path.startswith("/a/")
    }


def test_deleting_a_group_removes_its_viewer_rows_only(layered, dbsession):
    before = stored_viewers(dbsession)
    g1 = AccountService(dbsession).get_group("g1")

    AccountService(dbsession).delete_group(g1)
    dbsession.flush()  # the deletion is read back in SQL

    after = stored_viewers(dbsession)
    assert after == {path: principals - {"group:g1"} for path, principals in before.items()}
    assert before["/a/y/z/w"] == {"group:g1"}
    assert after["/a/y/z/w"] == set()
    remaining = dbsession.scalars(
        select(LocalRole.principal).where(LocalRole.principal == "group:g1")
    ).all()
    assert remaining == []
    assert_viewers_match(dbsession)
