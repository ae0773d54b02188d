"""The navigation tree beside a node's page: the folders along the way from the top of the
site down to the node, each level showing its sub-folders, open along that way.

Only the levels along the way are read (the lineage is already loaded by traversal): one
query for the folders in all of them, filtered by who may view them, at most
``MAX_PER_LEVEL`` a level. Deeper folders are read when someone opens them (their own
page), so the tree stays cheap however large the site is.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.request import Request
from sqlalchemy import Select, bindparam, func, select

from charter.content.registry import types_of
from charter.tree.models import Node
from charter.tree.visibility import CONDITION_CACHE_SIZE, Viewer, among
from charter.web.helpers import breadcrumbs
from charter.web.listing import filter_visible

# Folders listed under one folder of the tree; "more…" links to its contents beyond that.
MAX_PER_LEVEL = 30


@dataclass(frozen=True)
class FolderLink:
    """A sub-folder off the way to the page: all the tree shows of it is its title and link,
    so it is read as a plain row rather than loaded as a Node."""

    id: int
    path: str
    title: str
    is_container = True


@dataclass
class TreeItem:
    """A folder in the tree: whether it is on the way to the page, and its sub-folders
    (when it is)."""

    node: Node | FolderLink
    current: bool = False
    open: bool = False
    children: list[TreeItem] = field(default_factory=list)
    more: bool = False


def container_types(request: Request) -> list[str]:
    """The names of the types that hold items (folders, and an add-on's)."""
    return sorted(t.name for t in types_of(request.registry) if t.model.is_container)


def navigation_tree(request: Request) -> TreeItem | None:
    """The tree for the node the request is about, or None on other pages."""
    context = getattr(request, "context", None)
    # Error pages (a path not found below a folder) go without: no query for them.
    if not isinstance(context, Node) or getattr(request, "exception", None) is not None:
        return None
    lineage = breadcrumbs(context)
    folders = [node for node in lineage if node.is_container]
    if not folders:
        return None
    by_parent = _child_folders(request, [folder.id for folder in folders])
    on_the_way = {node.id for node in lineage}

    def item(node: Node | FolderLink) -> TreeItem:
        tree_item = TreeItem(node, current=node.id == context.id, open=node.id in on_the_way)
        if tree_item.open and node.is_container:
            children = by_parent.get(node.id, [])
            tree_item.more = len(children) > MAX_PER_LEVEL
            tree_item.children = [item(child) for child in children[:MAX_PER_LEVEL]]
        return tree_item

    # Where traversal loaded a node of the lineage, use it: the way down opens through it.
    loaded: dict[int, Node | FolderLink] = {node.id: node for node in lineage}
    for children in by_parent.values():
        for index, child in enumerate(children):
            children[index] = loaded.get(child.id, child)
    return item(lineage[0])


def _child_folders(
    request: Request, parent_ids: list[int]
) -> Mapping[int, list[Node | FolderLink]]:
    """Up to MAX_PER_LEVEL + 1 visible folders under each of ``parent_ids``, in order."""
    statement = _child_folders_statement(request.viewer, tuple(container_types(request)))
    by_parent: dict[int, list[Node | FolderLink]] = {}
    for row in request.dbsession.execute(statement, {"parent_ids": parent_ids}):
        by_parent.setdefault(row.parent_id, []).append(FolderLink(row.id, row.path, row.title))
    return by_parent


@functools.lru_cache(maxsize=CONDITION_CACHE_SIZE)
def _child_folders_statement(viewer: Viewer | None, folder_types: tuple[str, ...]) -> Select:
    """The tree's query for one viewer, composed once (composing it cost more than running it):
    the folders' ids ranked per parent, and the first MAX_PER_LEVEL + 1 of each read as rows."""
    ranked = filter_visible(
        select(
            Node.id,
            func.row_number()
            .over(partition_by=Node.parent_id, order_by=(Node.position, Node.id))
            .label("rank"),
        ).where(
            Node.parent_id.in_(bindparam("parent_ids", expanding=True)),
            among(Node.type, folder_types),
        ),
        viewer,
    ).subquery()
    ids = select(ranked.c.id).where(ranked.c.rank <= MAX_PER_LEVEL + 1)
    return (
        select(Node.id, Node.parent_id, Node.path, Node.title)
        .where(Node.id.in_(ids))
        .order_by(Node.parent_id, Node.position, Node.id)
    )


def tree_globals() -> dict[str, Any]:
    """What the templates call."""
    return {"navigation_tree": navigation_tree}
