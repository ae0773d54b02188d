"""Traversal over the tree in one query, for both ``/<path>`` and ``/api/v1/content/<path>``."""

from __future__ import annotations

from typing import Any

from pyramid.interfaces import ITraverser
from pyramid.request import Request
from pyramid.traversal import traversal_path_info
from zope.interface import implementer

from charter.db.generation import GENERATION_ATTRIBUTE
from charter.db.replica import REPLICA_INFO_KEY


class TreeRoot:
    """Root factory: a placeholder that :class:`TreeTraverser` replaces by the root node.

    Nothing is loaded here; the traverser loads the root together with the
    rest of the lineage.
    """

    def __init__(self, request: Request) -> None:
        self.request = request


@implementer(ITraverser)
class TreeTraverser:
    """Resolve a request's path with one query (TreeService.resolve).

    Segments are node names until the first one starting with ``@``: that
    one is the view name (``@@edit`` is ``edit``, ``@sharing`` stays
    ``@sharing``) and the rest is the subpath. A name that matches no child
    also becomes the view name, as in Pyramid's own traverser.
    """

    def __init__(self, root: TreeRoot) -> None:
        self.root = root

    def __call__(self, request: Request) -> dict[str, Any]:
        matchdict = request.matchdict
        if matchdict is not None and "traverse" not in matchdict:
            # A route that is not about content (static files, health): no query.
            return self._untraversed(matchdict)
        segments, extra = self._segments(request)
        names: list[str] = []
        view_segments: list[str] = []
        for index, segment in enumerate(segments):
            if segment.startswith("@"):
                view_segments = segments[index:]
                break
            names.append(segment)
        resolution = request.tree.resolve(names)
        rest = resolution.remainder + view_segments + extra
        view_name = ""
        if rest:
            view_name = rest[0][2:] if rest[0].startswith("@@") else rest[0]
            rest = rest[1:]
        found = len(resolution.lineage) - 1
        on_primary = REPLICA_INFO_KEY not in request.dbsession.info
        return {
            # The router sets every key as an attribute of the request.
            GENERATION_ATTRIBUTE: resolution.identity_generation if on_primary else None,
            "context": resolution.context,
            "root": resolution.lineage[0],
            "view_name": view_name,
            "subpath": tuple(rest),
            "traversed": tuple(names[:found]),
            "virtual_root": resolution.lineage[0],
            "virtual_root_path": (),
        }

    def _untraversed(self, matchdict: dict[str, Any]) -> dict[str, Any]:
        return {
            "context": self.root,
            "root": self.root,
            "view_name": "",
            "subpath": tuple(matchdict.get("subpath", ())),
            "traversed": (),
            "virtual_root": self.root,
            "virtual_root_path": (),
        }

    @staticmethod
    def _segments(request: Request) -> tuple[list[str], list[str]]:
        matchdict = request.matchdict
        if matchdict is not None and "traverse" in matchdict:
            return list(matchdict["traverse"]), list(matchdict.get("subpath", ()))
        # The raw WSGI path (latin-1 text): traversal_path_info decodes it as UTF-8 itself.
        return list(traversal_path_info(request.environ.get("PATH_INFO") or "/")), []
