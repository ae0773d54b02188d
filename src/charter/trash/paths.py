"""Where a trashed subtree's paths go: ``@trash/<entry id>`` plus the rest of each path.

Live paths start with ``/`` and lie in the root's range, ``'/' <= path < '0'``
(charter.tree.paths.descendants_range); ``'@'`` sorts after ``'0'``, so no
traversal (which hashes ``/...`` paths), subtree range or listing of a live
folder ever reaches a trashed node, and the trash can still use the same
range scans over its own prefix.
"""

from __future__ import annotations

TRASH_PREFIX = "@trash"


def trash_root(entry_id: int) -> str:
    """The path the top of the trashed subtree of entry ``entry_id`` takes."""
    return f"{TRASH_PREFIX}/{entry_id}"


def is_live(path: str) -> bool:
    """True for a path in the live tree (one that traversal can reach)."""
    return path.startswith("/")
