"""Trashing, restoring and purging a subtree cost the same statements for 2 nodes as for 2,000.

Run on every database CI uses (CHARTER_TEST_DB); the counts are printed with ``-s``.
"""

import pytest
from sqlalchemy import func, insert, or_, select

from charter.tree.models import Node, new_uid
from charter.tree.paths import child_path, hash_path

SIZES = (2, 2000)


def subtree(content, dbsession, parent, name, size):
    """A folder ``name`` in ``parent`` holding ``size - 1`` folders (inserted in bulk)."""
    top = content.add_folder(parent, name, name.title())
    dbsession.flush()
    rows = [
        {
            "uid": new_uid(),
            "type": "Folder",
            "parent_id": top.id,
            "name": f"item-{number}",
            "path": child_path(top.path, f"item-{number}"),
            "path_hash": hash_path(child_path(top.path, f"item-{number}")),
            "depth": top.depth + 1,
            "position": number,
            "title": f"Item {number}",
            "description": "",
        }
        for number in range(size - 1)
    ]
    if rows:
        dbsession.execute(insert(Node), rows)
    return top


def count_subtree(dbsession, path):
    """How many nodes are at ``path`` or below it."""
    dbsession.expire_all()
    return dbsession.scalar(
        select(func.count())
        .select_from(Node)
        .where(or_(Node.path == path, Node.path.like(f"{path}/%")))
    )


@pytest.fixture
def trees(site_root, content, dbsession):
    """/small (2 nodes) and /large (2,000 nodes)."""
    return {size: subtree(content, dbsession, site_root, f"tree-{size}", size) for size in SIZES}


def test_trash_restore_and_purge_cost_the_same_for_2_and_2000_nodes(
    trees, content, dbsession, query_recorder
):
    counts = {}
    for size, top in trees.items():
        dbsession.refresh(top)  # loaded as a request's traversal would have it
        with query_recorder.record() as trashing:
            entry = content.delete(top)
            dbsession.flush()
        assert count_subtree(dbsession, f"@trash/{entry.id}") == size
        assert entry.item_count == size
        with query_recorder.record() as restoring:
            restored = content.trash.restore(entry.id)
            dbsession.flush()
        assert count_subtree(dbsession, f"/tree-{size}") == size
        entry = content.delete(restored)
        dbsession.flush()
        with query_recorder.record() as purging:
            assert content.trash.purge(entry.id) == size
            dbsession.flush()
        counts[size] = (len(trashing), len(restoring), len(purging))
    backend = dbsession.get_bind().dialect.name
    print(
        f"\n{backend}: statements (trash, restore, purge) for 2 nodes {counts[2]}, "
        f"for 2,000 nodes {counts[2000]}"
    )
    assert counts[2] == counts[2000]
