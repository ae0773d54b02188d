"""Redirects after a rename or move: old paths keep answering, with the node's new place.

A redirect points at the node, not at a path, so chains collapse (A moved to
B then C answers A with C) and everything that was below an old path
follows. It is only looked for once traversal found no node, so a path
that resolves costs nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyramid.httpexceptions import HTTPMovedPermanently, HTTPPermanentRedirect
from pyramid.request import Request
from pyramid.response import Response
from pyramid.traversal import quote_path_segment, split_path_info
from sqlalchemy import and_, delete, func, literal, or_, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

from charter.db.meta import utcnow
from charter.db.statements import delete_joined
from charter.history.models import Redirect
from charter.tree.models import Node
from charter.tree.names import MAX_DEPTH
from charter.tree.paths import (
    ROOT_PATH,
    descendants_range,
    hash_path,
    lineage_paths,
    sha256_digest,
)
from charter.tree.visibility import Viewer, filter_visible

# The route of the JSON API's content; web content is served without a route.
API_CONTENT_ROUTE = "api.content"
# Methods a client may repeat on a 301 as a GET; others get a 308, which keeps
# the method and body (a 301 lets clients turn a POST into a GET).
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Per caller (what they may view decides the answer), and looked up again
# each time, so that a node created at the old path later takes over at once.
CACHE_CONTROL = "private, no-cache"


@dataclass(frozen=True)
class Moved:
    """A request path that a node left: the old path it matched, and where the node is now."""

    old_path: str
    new_path: str

    @property
    def depth(self) -> int:
        """How many segments of the request the old path accounts for."""
        return self.old_path.count("/")


class RedirectService:
    """Records the paths nodes leave and finds where a request for one should go."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession

    def moved(self, node: Node, old_path: str) -> None:
        """Record that ``node`` (renamed or moved, already at its new path) left ``old_path``.

        One statement for a document, two for a folder: a redirect already
        at ``old_path`` is replaced, and the ones at the paths its subtree
        held go (:meth:`vacated`).
        """
        if node.is_container:
            self._forget(node, old_path, below_only=True)
        values = {
            "old_path": old_path,
            "old_path_hash": hash_path(old_path),
            "node_id": node.id,
            "created": utcnow(),
        }
        dialect = self.dbsession.get_bind().dialect.name
        if dialect in {"mysql", "mariadb"}:
            upsert = mysql.insert(Redirect).values(values)
            statement = upsert.on_duplicate_key_update(
                node_id=upsert.inserted.node_id, created=upsert.inserted.created
            )
        else:
            upsert = (postgresql if dialect == "postgresql" else sqlite).insert(Redirect)
            upsert = upsert.values(values)
            statement = upsert.on_conflict_do_update(
                index_elements=[Redirect.old_path_hash],
                set_={"node_id": upsert.excluded.node_id, "created": upsert.excluded.created},
            )
        self.dbsession.execute(statement)

    def vacated(self, top: Node, old_path: str) -> None:
        """Drop the redirects from the paths ``top`` (once at ``old_path``) and its subtree held.

        Call it once a subtree has left its paths for good (``top`` is in
        the trash now): one statement. A redirect from a path some node
        took later is only shadowed by that node (traversal finds it first);
        it must go when that node leaves, or it would answer for the path
        again.
        """
        self._forget(top, old_path, below_only=False)

    def _forget(self, top: Node, old_path: str, *, below_only: bool) -> None:
        """Delete the redirects from where ``top``'s subtree was (``top`` itself too unless
        ``below_only``), in one statement whatever the subtree's size."""
        if not top.is_container:
            if not below_only:
                self.dbsession.execute(
                    delete(Redirect).where(Redirect.old_path_hash == hash_path(old_path))
                )
            return
        # Where each node of the subtree was: the old top path, then the rest of its own.
        low, high = descendants_range(top.path)
        in_subtree = and_(Node.path > low, Node.path < high)
        if not below_only:
            in_subtree = or_(Node.id == top.id, in_subtree)
        former_hash = sha256_digest(literal(old_path) + func.substr(Node.path, len(top.path) + 1))
        self.dbsession.execute(
            delete_joined(self.dbsession, Redirect, Redirect.old_path_hash, former_hash, in_subtree)
        )

    def find(self, names: Sequence[str], found: int, viewers: Viewer | None) -> Moved | None:
        """The deepest redirect from a path of ``names`` below the ``found`` names that resolved.

        One query over the old paths the names could be. Only redirects to
        nodes that are not in the trash and that one of ``viewers`` may view
        (all for None) count, so a hidden node answers as if it had never
        been there. None when there is none, without a query when no name
        is left over.
        """
        paths = lineage_paths(names[:MAX_DEPTH])[found + 1 :]
        if not paths:
            return None
        query = (
            select(Redirect.old_path, Node.path)
            .join(Node, Node.id == Redirect.node_id)
            .where(
                Redirect.old_path_hash.in_([hash_path(path) for path in paths]),
                # Trashed subtrees live under "@trash/...", outside the tree.
                Node.path.startswith(ROOT_PATH),
            )
        )
        # The same filter as listings.
        query = filter_visible(query, viewers)
        wanted = set(paths)
        matches = [Moved(old, new) for old, new in self.dbsession.execute(query) if old in wanted]
        return max(matches, key=lambda moved: moved.depth, default=None)


def redirect_service(request: Request) -> RedirectService:
    """The redirect service bound to this request's session (``request.redirects``)."""
    return RedirectService(request.dbsession)


def moved_response(request: Request) -> Response | None:
    """A redirect for a content request traversal could not resolve, when a node left that path.

    301 for GET and HEAD, 308 for other methods (so the client sends its
    body again); to the node's current page (web) or API URL, followed by
    the rest of the request path and its query string. None otherwise.
    """
    route = getattr(request, "matched_route", None)
    if route is None:
        segments = list(split_path_info(request.path_info))
    elif route.name == API_CONTENT_ROUTE:
        segments = list(request.matchdict["traverse"])
    else:
        return None
    context = getattr(request, "context", None)
    if not isinstance(context, Node):
        return None
    # Node names come before the first view segment, as in TreeTraverser.
    names = next(
        (segments[:index] for index, segment in enumerate(segments) if segment.startswith("@")),
        segments,
    )
    moved = request.redirects.find(names, context.depth, request.viewer_principals)
    if moved is None:
        return None
    if route is None:
        url = request.application_url + moved.new_path
    else:
        url = request.route_url(API_CONTENT_ROUTE, traverse=moved.new_path)
    rest = segments[moved.depth :]
    if rest:
        url += "/" + "/".join(quote_path_segment(segment) for segment in rest)
    if request.query_string:
        url += "?" + request.query_string
    status = HTTPMovedPermanently if request.method in SAFE_METHODS else HTTPPermanentRedirect
    response = status(location=url)
    response.cache_control = CACHE_CONTROL
    return response
