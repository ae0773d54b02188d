"""Full-text search: the index, one backend per database, the service the interfaces call.

``includeme`` registers:

* ``config.add_search_fields(type_name, *fields)``: which fields of a type
  (an add-on's too) are searchable besides title, name and description;
* the subscribers that index a node in the transaction that changes it
  (ObjectAdded, ObjectModified, ObjectMoved, ObjectRestored);
* ``request.search``: a ``SearchService`` (charter.search.service) bound to
  the request's session and viewer; the backend follows the database;
* the route ``api.search`` (``/api/v1/search``), whose view is in charter.api.search.

See docs/search.md.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from charter.content.events import ObjectAdded, ObjectModified, ObjectMoved, ObjectRestored
from charter.search.backends import SearchBackend, backend_for
from charter.search.extract import Limits
from charter.search.indexer import SearchIndexer, after_commit, after_rollback
from charter.search.service import FIELDS_KEY, DatabaseSearch, SearchService
from charter.tree.models import Node
from charter.tree.services import TreeService

INDEXER_KEY = "charter.search.indexer"
BACKEND_KEY = "charter.search.backend"
# The core types' searchable fields (a document's body, read from its sanitised HTML).
CORE_FIELDS = {"Document": ("body_html",)}

__all__ = ["SearchService", "add_search_fields", "includeme", "indexer_of"]


def add_search_fields(config: Configurator, type_name: str, *fields: str) -> None:
    """Directive ``config.add_search_fields("Event", "location", "agenda")``.

    The named attributes of nodes of ``type_name`` are indexed as text (lists
    item by item); title, name and description always are.
    """

    def register() -> None:
        known = config.registry.setdefault(FIELDS_KEY, {})
        known[type_name] = tuple(dict.fromkeys((*known.get(type_name, ()), *fields)))

    config.action(None, register)


def indexer_of(registry: Registry) -> SearchIndexer:
    """The application's indexer (made at start-up from the settings)."""
    return registry[INDEXER_KEY]


def make_indexer(registry: Registry) -> SearchIndexer:
    """An indexer with the registry's searchable fields, limits and blob store."""
    settings = registry.settings
    store = registry.get("charter.blobs.store")
    blob_path = store.path if store is not None else None
    if blob_path is None:
        from charter.blobs import make_store

        blob_path = make_store(settings).path
    return SearchIndexer(registry.get(FIELDS_KEY, {}), Limits.from_settings(settings), blob_path)


def _subtree(session: Session, node: Node) -> list[Node]:
    if not node.is_container:
        return [node]
    return TreeService(session).subtree(node)


def make_subscribers(registry: Registry) -> dict[type, Any]:
    """The event subscribers that keep the index in step (each writes in the change's session)."""

    def indexer() -> SearchIndexer:
        return registry[INDEXER_KEY]

    def added(event: ObjectAdded) -> None:
        session = object_session(event.node)
        if session is not None:
            # A copied folder arrives with its whole subtree.
            indexer().index_all(session, _subtree(session, event.node))

    def changed(event: ObjectModified | ObjectMoved | ObjectRestored) -> None:
        session = object_session(event.node)
        if session is not None:
            indexer().index(session, event.node)

    return {
        ObjectAdded: added,
        ObjectModified: changed,
        ObjectMoved: changed,
        ObjectRestored: changed,
    }


def request_search(request: Request) -> SearchService:
    """The search service for this request's caller (what they may view, nothing else)."""
    return DatabaseSearch(
        request.dbsession,
        request.registry[BACKEND_KEY],
        request.viewer,
        window=request.registry.settings["charter.search.ranking_window"],
        time_limit=request.registry.settings["charter.search.time_limit"],
    )


def backend_of(registry: Registry) -> SearchBackend:
    """The backend of the application's database."""
    return registry[BACKEND_KEY]


def includeme(config: Configurator) -> None:
    """The directive, the core types' fields, the subscribers, ``request.search``, the route."""
    config.add_directive("add_search_fields", add_search_fields)
    for type_name, fields in CORE_FIELDS.items():
        config.add_search_fields(type_name, *fields)
    registry = config.registry
    engine = registry.get("charter.db.engine")
    registry[BACKEND_KEY] = backend_for(engine.dialect.name if engine is not None else "sqlite")

    def make() -> None:
        registry[INDEXER_KEY] = make_indexer(registry)

    # After every add_search_fields action (an add-on's included later too).
    config.action(None, make, order=1000)
    for event_type, subscriber in make_subscribers(registry).items():
        config.add_subscriber(subscriber, event_type)
    if not event.contains(Session, "after_commit", after_commit):
        event.listen(Session, "after_commit", after_commit)
        event.listen(Session, "after_soft_rollback", _soft_rollback)
    config.add_request_method(request_search, "search", reify=True)
    config.add_route("api.search", "/api/v1/search")


def _soft_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        after_rollback(session)
