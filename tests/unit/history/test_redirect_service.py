"""RedirectService on the real test database: recording, forgetting and finding redirects."""

import pytest
from sqlalchemy import select

from charter.history.models import Redirect
from charter.history.redirects import Moved, RedirectService
from charter.security.principals import group_principal
from charter.security.sharing import SharingService
from charter.tree.models import Node
from charter.tree.paths import hash_path

EVERYONE_LOGGED_IN = frozenset({"system.Everyone", "system.Authenticated"})


@pytest.fixture
def redirects(dbsession):
    """The service on the test session."""
    return RedirectService(dbsession)


@pytest.fixture
def tree_of(site_root, content, make_user, dbsession):
    """/docs (a, b, sub/c), /docs-2 (a neighbour sharing the prefix) and /private (the board
    only, holding secret); returns ``at(path)``, the node at a path now."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "a", "A", "A.")
    content.add_document(docs, "b", "B", "B.")
    sub = content.add_folder(docs, "sub", "Sub")
    content.add_document(sub, "c", "C", "C.")
    content.add_folder(site_root, "docs-2", "Docs 2")
    private = content.add_folder(site_root, "private", "Private")
    content.add_document(private, "secret", "Secret", "S.")
    SharingService(dbsession).update(private, {group_principal("board"): ["Reader"]}, inherit=False)
    dbsession.flush()

    def at(path):
        return dbsession.scalars(select(Node).where(Node.path == path)).one()

    return at


def stored(dbsession):
    """Every redirect as (old path, path of its node now), sorted."""
    rows = dbsession.execute(
        select(Redirect.old_path, Node.path).join(Node, Node.id == Redirect.node_id)
    )
    return sorted(tuple(row) for row in rows)


def names(path):
    """The segments of ``path``."""
    return [segment for segment in path.split("/") if segment]


# -- recording --------------------------------------------------------------------


def test_a_rename_records_one_redirect_from_the_old_path(content, tree_of, dbsession):
    content.rename(tree_of("/docs/a"), "alpha")

    row = dbsession.scalars(select(Redirect)).one()

    assert (row.old_path, row.old_path_hash) == ("/docs/a", hash_path("/docs/a"))
    assert row.node_id == tree_of("/docs/alpha").id
    assert row.created is not None


def test_moving_a_folder_records_only_its_own_old_path(content, tree_of, dbsession):
    content.move(tree_of("/docs/sub"), tree_of("/docs-2"))

    assert stored(dbsession) == [("/docs/sub", "/docs-2/sub")]


def test_a_redirect_at_the_same_old_path_is_replaced(content, tree_of, dbsession):
    content.rename(tree_of("/docs/a"), "alpha")
    content.add_document(tree_of("/docs"), "a", "New A", "Newer.")
    content.move(tree_of("/docs/a"), tree_of("/docs-2"))

    assert stored(dbsession) == [("/docs/a", "/docs-2/a")]


def test_a_node_moving_back_keeps_each_path_it_left(content, tree_of, dbsession):
    content.rename(tree_of("/docs/a"), "alpha")
    content.rename(tree_of("/docs/alpha"), "a")

    # /docs/a is shadowed by the node that is there again; /docs/alpha follows it.
    assert stored(dbsession) == [("/docs/a", "/docs/a"), ("/docs/alpha", "/docs/a")]


def test_moving_a_folder_forgets_redirects_from_the_paths_its_subtree_held(
    content, tree_of, dbsession
):
    content.move(tree_of("/docs/sub/c"), tree_of("/docs-2"))  # /docs/sub/c -> the first c
    content.add_document(tree_of("/docs/sub"), "c", "New C", "Newer.")
    content.move(tree_of("/docs/b"), tree_of("/docs-2"))  # /docs/b: not below sub

    content.rename(tree_of("/docs/sub"), "subfolder")

    assert stored(dbsession) == [
        ("/docs/b", "/docs-2/b"),
        ("/docs/sub", "/docs/subfolder"),
    ]


def test_a_redirect_from_a_path_no_node_took_again_stays_when_its_folder_moves(
    content, tree_of, dbsession
):
    content.move(tree_of("/docs/sub/c"), tree_of("/docs-2"))

    content.rename(tree_of("/docs/sub"), "subfolder")

    assert stored(dbsession) == [
        ("/docs/sub", "/docs/subfolder"),
        ("/docs/sub/c", "/docs-2/c"),
    ]


def test_vacated_forgets_the_paths_of_a_subtree_and_no_neighbours(
    content, redirects, tree_of, dbsession
):
    docs_2 = tree_of("/docs-2")
    content.move(tree_of("/docs/sub/c"), docs_2)  # /docs/sub/c
    content.move(tree_of("/docs/a"), docs_2)  # /docs/a
    content.add_folder(docs_2, "x", "X")
    content.move(tree_of("/docs-2/x"), tree_of("/private"))  # /docs-2/x, a neighbour's
    content.add_document(tree_of("/docs/sub"), "c", "New C", "Newer.")
    content.add_document(tree_of("/docs"), "a", "New A", "Newer.")
    docs = tree_of("/docs")

    redirects.vacated(docs, "/docs")

    assert stored(dbsession) == [("/docs-2/x", "/private/x")]


def test_vacated_a_document_forgets_its_own_path(content, redirects, tree_of, dbsession):
    content.rename(tree_of("/docs/a"), "alpha")
    newer = content.add_document(tree_of("/docs"), "a", "New A", "Newer.")

    redirects.vacated(newer, "/docs/a")

    assert stored(dbsession) == []


def test_recording_costs_one_statement_for_a_document_and_two_for_a_folder(
    redirects, tree_of, query_recorder
):
    document, folder = tree_of("/docs/a"), tree_of("/docs/sub")

    with query_recorder.record() as for_document:
        redirects.moved(document, "/old/a")
    with query_recorder.record() as for_folder:
        redirects.moved(folder, "/old/sub")

    assert len(for_document) == 1
    assert len(for_folder) == 2


@pytest.mark.parametrize("size", [2, 200])
def test_vacating_costs_one_statement_whatever_the_subtree(
    content, redirects, site_root, dbsession, query_recorder, size
):
    top = content.add_folder(site_root, "big", "Big")
    for number in range(size):
        content.add_document(top, f"d{number}", f"D{number}", "Text.")
    dbsession.flush()

    with query_recorder.record() as statements:
        redirects.vacated(top, "/big")

    assert len(statements) == 1


# -- finding ------------------------------------------------------------------------


def test_find_answers_the_deepest_old_path_and_where_its_node_is(
    content, redirects, tree_of, dbsession
):
    content.move(tree_of("/docs/sub/c"), tree_of("/docs-2"))
    content.rename(tree_of("/docs/sub"), "subfolder")

    deep = redirects.find(names("/docs/sub/c/@@edit"), 1, None)
    shallow = redirects.find(names("/docs/sub/other"), 1, None)

    assert deep == Moved("/docs/sub/c", "/docs-2/c")
    assert deep.depth == 3
    assert shallow == Moved("/docs/sub", "/docs/subfolder")


def test_find_looks_only_below_what_traversal_found(content, redirects, tree_of, dbsession):
    content.rename(tree_of("/docs/a"), "alpha")
    content.rename(tree_of("/docs/alpha"), "a")  # a redirect from /docs/a, where a node is

    assert redirects.find(names("/docs/a/x"), 2, None) is None


def test_find_sends_no_query_when_nothing_was_left_over(redirects, tree_of, query_recorder):
    with query_recorder.record() as statements:
        assert redirects.find(["docs", "a"], 2, None) is None

    assert statements == []


def test_find_sends_one_query_however_deep_the_path(redirects, tree_of, query_recorder):
    with query_recorder.record() as statements:
        assert redirects.find(["docs", *["x"] * 500], 1, EVERYONE_LOGGED_IN) is None

    assert len(statements) == 1


def test_find_skips_nodes_the_viewers_may_not_view(content, redirects, tree_of, dbsession):
    content.move(tree_of("/docs/a"), tree_of("/private"))

    hidden = redirects.find(names("/docs/a"), 1, EVERYONE_LOGGED_IN)
    for_the_board = redirects.find(names("/docs/a"), 1, frozenset({group_principal("board")}))
    for_everyone = redirects.find(names("/docs/a"), 1, None)

    assert hidden is None
    assert for_the_board == for_everyone == Moved("/docs/a", "/private/a")


def test_find_skips_a_hidden_deeper_redirect_for_a_visible_shallower_one(
    content, redirects, tree_of, dbsession
):
    content.move(tree_of("/docs/sub/c"), tree_of("/private"))
    content.rename(tree_of("/docs/sub"), "subfolder")

    found = redirects.find(names("/docs/sub/c"), 1, EVERYONE_LOGGED_IN)

    # As if the hidden one had never been recorded: nothing tells it apart.
    assert found == Moved("/docs/sub", "/docs/subfolder")


def test_find_skips_nodes_in_the_trash(content, redirects, tree_of, dbsession):
    content.rename(tree_of("/docs/a"), "alpha")
    content.delete(tree_of("/docs/alpha"))

    assert redirects.find(names("/docs/a"), 1, None) is None
