"""TreeService on the real test database: resolving, listing, adding, renaming, moving."""

import base64
import itertools

import pytest
from sqlalchemy import func, select

from charter.content.models import Document, Folder
from charter.errors import Conflict, NotFound, ValidationFailed
from charter.tree.models import Node
from charter.tree.paths import hash_path


def every_row(dbsession):
    """(path, path_hash, depth, parent_id, name, position) of every stored node, by id."""
    return dbsession.execute(
        select(
            Node.path, Node.path_hash, Node.depth, Node.parent_id, Node.name, Node.position
        ).order_by(Node.id)
    ).all()


def stored_paths(dbsession):
    """Every path in the database, sorted."""
    return sorted(dbsession.scalars(select(Node.path)))


def node_count(dbsession):
    """How many nodes the database holds."""
    return dbsession.scalar(select(func.count()).select_from(Node))


def assert_consistent(dbsession):
    """Every stored row's hash and depth agree with its path, and its path with its parent's."""
    rows = dbsession.execute(
        select(Node.id, Node.name, Node.path, Node.path_hash, Node.depth, Node.parent_id)
    )
    by_id = {row.id: row for row in rows}
    for row in by_id.values():
        assert row.path_hash == hash_path(row.path), row.path
        assert row.depth == (0 if row.path == "/" else row.path.count("/")), row.path
        if row.parent_id is not None:
            parent = by_id[row.parent_id]
            assert row.path == f"{parent.path.rstrip('/')}/{row.name}", row.path


def build_chain(content, parent, depth):
    """Folders f1/f2/.../f<depth> below ``parent``; returns them from the top down."""
    chain = []
    for level in range(1, depth + 1):
        parent = content.add_folder(parent, f"f{level}", f"Folder {level}")
        chain.append(parent)
    return chain


@pytest.fixture
def project(site_root, content, dbsession):
    """/proj with a subtree three levels deep, and neighbours whose names share its prefix.

    /proj/readme, /proj/a, /proj/a/notes, /proj/a/b, /proj/a/b/plan, /proj/a/b/c,
    /proj/a/b/c/deep; beside it /projects/x, /proj-old and /proj.v2, and an empty
    folder /archive.
    """
    proj = content.add_folder(site_root, "proj", "Project")
    content.add_document(proj, "readme", "Read me", "# Read me")
    a = content.add_folder(proj, "a", "A")
    content.add_document(a, "notes", "Notes", "Some notes.")
    b = content.add_folder(a, "b", "B")
    content.add_document(b, "plan", "Plan", "- one\n- two")
    c = content.add_folder(b, "c", "C")
    content.add_document(c, "deep", "Deep", "Far down.")
    projects = content.add_folder(site_root, "projects", "Projects")
    content.add_document(projects, "x", "X", "Neighbour.")
    content.add_folder(site_root, "proj-old", "Old project")
    content.add_document(site_root, "proj.v2", "Project v2", "Neighbour too.")
    content.add_folder(site_root, "archive", "Archive")
    dbsession.flush()  # the set-based move reads the rows from the database
    return proj


PROJ_SUBTREE = [
    "/proj/a",
    "/proj/a/b",
    "/proj/a/b/c",
    "/proj/a/b/c/deep",
    "/proj/a/b/plan",
    "/proj/a/notes",
    "/proj/readme",
]
NEIGHBOURS = ["/proj-old", "/proj.v2", "/projects", "/projects/x"]


# Resolving paths


def test_resolve_the_root(tree, site_root):
    resolution = tree.resolve([])

    assert resolution.lineage == [site_root]
    assert resolution.context is site_root
    assert resolution.remainder == []
    assert site_root.__parent__ is None
    assert tree.root() is site_root


def test_resolve_depth_one(tree, content, site_root, dbsession):
    guides = content.add_folder(site_root, "guides", "Guides")
    dbsession.flush()
    dbsession.expunge_all()  # load fresh objects, as a new request would

    resolution = tree.resolve(["guides"])

    assert [node.path for node in resolution.lineage] == ["/", "/guides"]
    assert resolution.context.id == guides.id
    assert resolution.context.__parent__ is resolution.lineage[0]
    assert resolution.remainder == []


def test_resolve_depth_twenty_returns_the_lineage_in_one_query(
    tree, content, site_root, dbsession, query_recorder
):
    chain = build_chain(content, site_root, 19)
    content.add_document(chain[-1], "page", "Page", "**Deep** text.")
    dbsession.flush()
    dbsession.expunge_all()  # load fresh objects, as a new request would
    names = [f"f{level}" for level in range(1, 20)] + ["page"]

    with query_recorder.record() as queries:
        resolution = tree.resolve(names)
        # The deepest node comes with its subtype's columns: no further query.
        body_html = resolution.context.body_html

    assert len(queries) == 1
    assert body_html == "<p><strong>Deep</strong> text.</p>\n"
    lineage = resolution.lineage
    assert len(lineage) == 21
    assert [node.path for node in lineage] == ["/"] + [
        "/" + "/".join(names[:index]) for index in range(1, 21)
    ]
    assert [node.depth for node in lineage] == list(range(21))
    assert isinstance(resolution.context, Document)
    assert all(isinstance(node, Folder) for node in lineage[:-1])
    assert lineage[0].__parent__ is None
    for parent, child in itertools.pairwise(lineage):
        assert child.__parent__ is parent
    assert resolution.remainder == []


def test_a_partial_path_gives_the_deepest_node_and_the_rest(tree, content, site_root, dbsession):
    guides = content.add_folder(site_root, "guides", "Guides")
    handbook = content.add_document(guides, "handbook", "Handbook", "Text.")
    dbsession.flush()

    missing = tree.resolve(["guides", "missing", "more"])
    below_a_document = tree.resolve(["guides", "handbook", "edit"])
    nothing_found = tree.resolve(["nowhere"])

    assert missing.context is guides
    assert [node.path for node in missing.lineage] == ["/", "/guides"]
    assert missing.remainder == ["missing", "more"]
    assert below_a_document.context is handbook
    assert below_a_document.remainder == ["edit"]
    assert nothing_found.context is site_root
    assert nothing_found.remainder == ["nowhere"]


def test_a_later_segment_does_not_count_when_an_earlier_one_is_missing(
    tree, content, site_root, dbsession
):
    # /b exists, but /missing/b is not /b.
    content.add_folder(site_root, "b", "B")
    dbsession.flush()

    resolution = tree.resolve(["missing", "b"])

    assert resolution.context is site_root
    assert resolution.remainder == ["missing", "b"]


def test_without_a_root_resolving_raises_not_found(tree, dbsession):
    assert tree.has_root() is False
    with pytest.raises(NotFound) as caught:
        tree.resolve(["anything"])
    assert "no root" in caught.value.detail
    with pytest.raises(NotFound):
        tree.root()


def test_has_root_once_the_root_exists(tree, site_root):
    assert tree.has_root() is True


# Children and their order


def test_children_keep_the_order_they_were_added_in(tree, content, site_root, dbsession):
    for name in ["zebra", "apple", "mango"]:
        content.add_folder(site_root, name, name.title())
    content.add_document(site_root, "banana", "Banana", "Text.")
    dbsession.flush()

    page = tree.children_page(site_root, 10)

    assert [child.name for child in page.items] == ["zebra", "apple", "mango", "banana"]
    assert [child.position for child in page.items] == [0, 1, 2, 3]
    assert all(child.__parent__ is site_root for child in page.items)
    assert page.next_cursor is None


def test_children_are_paged_by_cursor_without_gaps_or_repeats(tree, content, site_root, dbsession):
    folder = content.add_folder(site_root, "seven", "Seven")
    names = [f"child{number}" for number in range(7)]
    for name in names:
        content.add_document(folder, name, name, "Text.")
    content.add_document(site_root, "outsider", "Not a child of /seven", "Text.")
    dbsession.flush()

    first = tree.children_page(folder, 3)
    second = tree.children_page(folder, 3, first.next_cursor)
    third = tree.children_page(folder, 3, second.next_cursor)

    assert [child.name for child in first.items] == names[0:3]
    assert [child.name for child in second.items] == names[3:6]
    assert [child.name for child in third.items] == names[6:7]
    assert first.next_cursor is not None
    assert second.next_cursor is not None
    assert second.next_cursor != first.next_cursor
    assert third.next_cursor is None


def test_a_full_last_page_has_no_next_cursor(tree, content, site_root, dbsession):
    folder = content.add_folder(site_root, "three", "Three")
    for number in range(3):
        content.add_folder(folder, f"c{number}", f"C{number}")
    dbsession.flush()

    page = tree.children_page(folder, 3)

    assert [child.name for child in page.items] == ["c0", "c1", "c2"]
    assert page.next_cursor is None


def test_an_empty_folder_has_an_empty_page(tree, content, site_root, dbsession):
    folder = content.add_folder(site_root, "empty", "Empty")
    dbsession.flush()

    page = tree.children_page(folder, 50)

    assert page.items == []
    assert page.next_cursor is None


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "", "e30", base64.urlsafe_b64encode(b'["1","2"]').decode()],
)
def test_a_bad_cursor_is_refused_naming_after(tree, site_root, cursor):
    with pytest.raises(ValidationFailed) as caught:
        tree.children_page(site_root, 3, cursor)

    assert [field for field, _ in caught.value.errors] == ["after"]


# Adding


def test_add_places_the_node_in_the_tree(tree, site_root, dbsession):
    guides = tree.add(site_root, Folder(title="Guides"), "guides")
    page = tree.add(guides, Document(title="Page", body="", body_html=""), "page")

    assert (page.path, page.depth, page.parent_id) == ("/guides/page", 2, guides.id)
    assert page.path_hash == hash_path("/guides/page")
    assert page.__parent__ is guides
    assert len(page.uid) == 32
    assert page.uid != guides.uid
    assert_consistent(dbsession)


def test_add_refuses_a_taken_name_and_adds_nothing(tree, content, site_root, dbsession):
    content.add_folder(site_root, "guides", "Guides")
    dbsession.flush()
    before = every_row(dbsession)

    with pytest.raises(Conflict) as caught:
        tree.add(site_root, Folder(title="Other guides"), "guides")

    assert caught.value.detail == "/ already holds an item named 'guides'"
    assert every_row(dbsession) == before


def test_names_differing_only_in_case_are_different_names(tree, content, site_root, dbsession):
    content.add_folder(site_root, "guides", "Guides")
    content.add_folder(site_root, "Guides", "Guides again")
    dbsession.flush()

    assert stored_paths(dbsession) == ["/", "/Guides", "/guides"]


def test_add_refuses_an_invalid_name_naming_name(tree, site_root, dbsession):
    before = every_row(dbsession)

    with pytest.raises(ValidationFailed) as caught:
        tree.add(site_root, Folder(title="Spaced"), "two words")

    assert [field for field, _ in caught.value.errors] == ["name"]
    assert every_row(dbsession) == before


def test_add_refuses_a_reserved_name_only_at_the_root(tree, content, site_root, dbsession):
    with pytest.raises(ValidationFailed) as caught:
        tree.add(site_root, Folder(title="API"), "api")
    assert caught.value.errors == [("name", "'api' is reserved at the top of the site")]

    guides = content.add_folder(site_root, "guides", "Guides")
    tree.add(guides, Folder(title="API"), "api")

    assert stored_paths(dbsession) == ["/", "/guides", "/guides/api"]


def test_add_refuses_a_parent_that_is_not_a_folder(tree, content, site_root, dbsession):
    handbook = content.add_document(site_root, "handbook", "Handbook", "Text.")
    dbsession.flush()
    before = every_row(dbsession)

    with pytest.raises(Conflict) as caught:
        tree.add(handbook, Folder(title="Inside"), "inside")

    assert caught.value.detail == "/handbook is not a folder and cannot hold items"
    assert every_row(dbsession) == before


# Renaming and moving


def test_moving_a_subtree_rewrites_every_descendant(tree, project, dbsession):
    archive = tree.resolve(["archive"]).context

    tree.move(project, archive)
    dbsession.expunge_all()  # read everything back from the database

    moved = ["/archive/proj"] + [path.replace("/proj", "/archive/proj", 1) for path in PROJ_SUBTREE]
    for path in moved:
        resolution = tree.resolve(path.strip("/").split("/"))
        node = resolution.context
        assert resolution.remainder == [], path
        assert node.path == path
        assert node.depth == path.count("/")
        assert node.path_hash == hash_path(path)
    for old_path in ["/proj", *PROJ_SUBTREE]:
        assert tree.resolve(old_path.strip("/").split("/")).remainder != [], old_path
    assert stored_paths(dbsession) == sorted(["/", "/archive", *moved, *NEIGHBOURS])
    assert_consistent(dbsession)


def neighbour_rows(dbsession, ids):
    """(id, path, path_hash, depth, version) of the nodes ``ids``, by id."""
    return dbsession.execute(
        select(Node.id, Node.path, Node.path_hash, Node.depth, Node.version)
        .where(Node.id.in_(ids))
        .order_by(Node.id)
    ).all()


def test_moving_leaves_folders_with_a_shared_prefix_alone(tree, project, dbsession):
    ids = dbsession.scalars(select(Node.id).where(Node.path.in_(NEIGHBOURS))).all()
    before = neighbour_rows(dbsession, ids)
    archive = tree.resolve(["archive"]).context

    tree.move(project, archive)

    assert sorted(row.path for row in before) == NEIGHBOURS
    assert neighbour_rows(dbsession, ids) == before


def test_moving_a_subtree_up_a_level(tree, project, site_root, dbsession):
    b = tree.resolve(["proj", "a", "b"]).context

    tree.move(b, site_root)

    paths = stored_paths(dbsession)
    assert {"/b", "/b/plan", "/b/c", "/b/c/deep"} <= set(paths)
    assert not [path for path in paths if path.startswith("/proj/a/b")]
    assert tree.resolve(["b", "c", "deep"]).context.depth == 3
    assert_consistent(dbsession)


def test_nodes_already_loaded_follow_the_move(tree, project, dbsession):
    deep = tree.resolve(["proj", "a", "b", "c", "deep"]).context
    archive = tree.resolve(["archive"]).context

    tree.move(project, archive)

    assert deep.path == "/archive/proj/a/b/c/deep"
    assert deep.depth == 6
    assert deep.path_hash == hash_path("/archive/proj/a/b/c/deep")


def test_a_child_added_after_a_move_lands_under_the_new_path(tree, content, project, dbsession):
    archive = tree.resolve(["archive"]).context
    tree.move(project, archive)
    c = tree.resolve(["archive", "proj", "a", "b", "c"]).context

    added = content.add_document(c, "later", "Later", "Text.")

    assert added.path == "/archive/proj/a/b/c/later"
    assert added.depth == 6
    assert_consistent(dbsession)


def test_rename_rewrites_the_subtree(tree, project, dbsession):
    version = project.version
    modified = project.modified

    tree.rename(project, "project-2026")

    assert project.path == "/project-2026"
    assert project.name == "project-2026"
    assert project.version == version + 1
    assert project.modified >= modified
    expected = [path.replace("/proj", "/project-2026", 1) for path in PROJ_SUBTREE]
    everything = [*expected, "/", "/archive", "/project-2026", *NEIGHBOURS]
    assert stored_paths(dbsession) == sorted(everything)
    assert tree.resolve(["proj"]).remainder == ["proj"]
    assert_consistent(dbsession)


def test_moving_and_renaming_at_once(tree, project, dbsession):
    archive = tree.resolve(["archive"]).context

    tree.move(project, archive, "proj-2025")

    assert project.path == "/archive/proj-2025"
    assert tree.resolve(["archive", "proj-2025", "a", "b", "plan"]).remainder == []
    assert_consistent(dbsession)


def test_move_increases_the_version_of_the_moved_node(tree, project, dbsession):
    archive = tree.resolve(["archive"]).context
    version = project.version

    tree.move(project, archive)
    dbsession.expire_all()

    assert dbsession.scalar(select(Node.version).where(Node.id == project.id)) == version + 1


def test_a_moved_node_goes_last_among_its_new_siblings(tree, content, site_root, dbsession):
    loose = content.add_document(site_root, "loose", "Loose", "Text.")
    target = content.add_folder(site_root, "target", "Target")
    content.add_document(target, "first", "First", "Text.")
    content.add_document(target, "second", "Second", "Text.")
    dbsession.flush()

    tree.move(loose, target)

    names = [child.name for child in tree.children_page(target, 10).items]
    assert names == ["first", "second", "loose"]


def test_moving_into_itself_is_refused_and_changes_nothing(tree, project, dbsession):
    before = every_row(dbsession)

    with pytest.raises(Conflict) as caught:
        tree.move(project, project)

    assert caught.value.detail == "a folder cannot be moved into itself or its own subtree"
    assert every_row(dbsession) == before


@pytest.mark.parametrize("inside", [["proj", "a"], ["proj", "a", "b", "c"]])
def test_moving_into_its_own_subtree_is_refused_and_changes_nothing(
    tree, project, dbsession, inside
):
    target = tree.resolve(inside).context
    before = every_row(dbsession)

    with pytest.raises(Conflict):
        tree.move(project, target)

    assert every_row(dbsession) == before
    assert project.path == "/proj"


def test_moving_into_a_folder_with_a_shared_prefix_is_allowed(tree, project, dbsession):
    projects = tree.resolve(["projects"]).context

    tree.move(project, projects)

    assert tree.resolve(["projects", "proj", "a", "b", "c", "deep"]).remainder == []
    assert_consistent(dbsession)


def test_moving_onto_a_taken_name_is_refused_and_changes_nothing(tree, project, dbsession):
    projects = tree.resolve(["projects"]).context
    before = every_row(dbsession)

    with pytest.raises(Conflict) as caught:
        tree.move(project, projects.__parent__, "projects")
    with pytest.raises(Conflict):
        tree.rename(project, "proj-old")

    assert caught.value.detail == "/ already holds an item named 'projects'"
    assert every_row(dbsession) == before


def test_moving_under_a_document_is_refused_and_changes_nothing(tree, project, dbsession):
    document = tree.resolve(["proj.v2"]).context
    before = every_row(dbsession)

    with pytest.raises(Conflict) as caught:
        tree.move(project, document)

    assert caught.value.detail == "/proj.v2 is not a folder and cannot hold items"
    assert every_row(dbsession) == before


def test_renaming_to_a_bad_name_is_refused_and_changes_nothing(tree, project, dbsession):
    before = every_row(dbsession)

    with pytest.raises(ValidationFailed) as bad:
        tree.rename(project, "a/b")
    with pytest.raises(ValidationFailed) as reserved:
        tree.rename(project, "static")

    assert [field for field, _ in bad.value.errors] == ["name"]
    assert reserved.value.errors == [("name", "'static' is reserved at the top of the site")]
    assert every_row(dbsession) == before


def test_the_root_cannot_be_moved_or_renamed(tree, project, site_root, dbsession):
    archive = tree.resolve(["archive"]).context
    before = every_row(dbsession)

    with pytest.raises(Conflict):
        tree.move(site_root, archive)
    with pytest.raises(Conflict):
        tree.rename(site_root, "home")

    assert every_row(dbsession) == before


def test_moving_to_where_it_already_is_changes_nothing(tree, project, site_root, dbsession):
    version = project.version
    before = every_row(dbsession)

    tree.move(project, site_root)
    tree.rename(project, "proj")

    assert project.version == version
    assert every_row(dbsession) == before


def test_moving_a_subtree_costs_the_same_statements_whatever_its_size(
    tree, content, site_root, dbsession, query_recorder
):
    small = content.add_folder(site_root, "small", "Small")
    small_inner = content.add_folder(small, "inner", "Inner")
    content.add_document(small_inner, "one", "One", "Text.")
    content.add_document(small, "two", "Two", "Text.")
    large = content.add_folder(site_root, "large", "Large")
    for number in range(6):
        inner = content.add_folder(large, f"inner{number}", f"Inner {number}")
        for leaf in range(9):
            content.add_document(inner, f"doc{leaf}", f"Doc {leaf}", "Text.")
    target = content.add_folder(site_root, "target", "Target")
    dbsession.flush()
    assert node_count(dbsession) == 1 + 4 + 61 + 1

    with query_recorder.record() as small_move:
        tree.move(small, target)
    with query_recorder.record() as large_move:
        tree.move(large, target)

    assert len(large_move) == len(small_move)
    # The destination locked, then its name check and next position read, the
    # node claimed at its version, the subtree's paths, the check that nothing
    # was added below meanwhile, the node itself, and the subtree's viewers
    # (delete and insert): nine statements at most.
    assert len(small_move) <= 9
    assert stored_paths(dbsession).count("/target/large/inner5/doc8") == 1
    assert_consistent(dbsession)
