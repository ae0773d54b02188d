"""The content tree: nodes, paths, traversal and the operations that reshape it."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request

from charter.tree.services import TreeService
from charter.tree.traversal import TreeRoot, TreeTraverser


def tree_service(request: Request) -> TreeService:
    """The tree service bound to this request's session."""
    return TreeService(request.dbsession)


def includeme(config: Configurator) -> None:
    """Make the tree the root of traversal and expose ``request.tree``."""
    config.add_request_method(tree_service, "tree", reify=True)
    config.set_root_factory(TreeRoot)
    config.add_traverser(TreeTraverser, TreeRoot)
