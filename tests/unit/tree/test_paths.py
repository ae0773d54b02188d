"""Materialized paths: building, splitting, hashing and the range of a subtree."""

import pytest

from charter.tree.paths import (
    ROOT_PATH,
    child_path,
    descendants_range,
    hash_path,
    lineage_paths,
    parent_path,
)


@pytest.mark.parametrize(
    ("parent", "name", "expected"),
    [("/", "a", "/a"), ("/a", "b", "/a/b"), ("/a/b", "c.txt", "/a/b/c.txt")],
)
def test_child_path_joins_parent_and_name(parent, name, expected):
    assert child_path(parent, name) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/", None), ("/a", "/"), ("/a/b", "/a"), ("/a/b/c", "/a/b")],
)
def test_parent_path_drops_the_last_name(path, expected):
    assert parent_path(path) == expected


def test_parent_path_undoes_child_path():
    assert parent_path(child_path("/projects/handbook", "intro")) == "/projects/handbook"


def test_lineage_paths_run_from_the_root_down():
    assert lineage_paths([]) == [ROOT_PATH]
    assert lineage_paths(["a"]) == ["/", "/a"]
    assert lineage_paths(["a", "b", "c"]) == ["/", "/a", "/a/b", "/a/b/c"]
    assert len(lineage_paths([f"f{n}" for n in range(20)])) == 21


def test_hash_path_is_the_32_byte_sha256_digest():
    # SHA-256 of the single byte "/"; the database computes the same value
    # when it rewrites a moved subtree, so the function must never change.
    assert hash_path("/") == bytes.fromhex(
        "8a5edab282632443219e051e4ade2d1d5bbc671c781051bf1437897cbdfea0f1"
    )
    assert len(hash_path("/projects/handbook")) == 32


def test_hash_path_is_stable_and_tells_paths_apart():
    assert hash_path("/a/b") == hash_path("/a/b")
    hashes = {hash_path(path) for path in ["/", "/a", "/a/b", "/ab", "/A", "/a/"]}
    assert len(hashes) == 6


def in_range(path, bounds):
    """Whether ``path`` lies strictly between the two bounds."""
    low, high = bounds
    return low < path < high


@pytest.mark.parametrize(
    "path", ["/a/b", "/a/b/c", "/a/-", "/a/.x", "/a/0", "/a/~", "/a/zz/~~/x", "/a/b" * 30]
)
def test_descendants_range_holds_every_descendant(path):
    assert in_range(path, descendants_range("/a"))


@pytest.mark.parametrize(
    "path", ["/a", "/", "/ab", "/ab/c", "/a-b", "/a.b", "/a0", "/a~", "/A/b", "/b", "/b/a/c"]
)
def test_descendants_range_leaves_out_the_node_siblings_and_others(path):
    assert not in_range(path, descendants_range("/a"))


def test_descendants_range_of_a_deep_folder():
    bounds = descendants_range("/proj/x")

    assert in_range("/proj/x/y", bounds)
    assert not in_range("/proj/x", bounds)
    assert not in_range("/proj/xy", bounds)
    assert not in_range("/projects/x/y", bounds)


def test_descendants_range_of_the_root_holds_everything_but_the_root():
    bounds = descendants_range(ROOT_PATH)

    assert in_range("/a", bounds)
    assert in_range("/~/x", bounds)
    assert in_range("/-", bounds)
    assert not in_range(ROOT_PATH, bounds)
