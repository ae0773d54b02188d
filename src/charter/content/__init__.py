"""Content: the type registry, the core types (Folder, Document) and the editing services."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request

from charter.content.fields import (
    EARLIEST_STORABLE,
    LATEST_STORABLE,
    MomentOutOfRange,
    StorableDateTime,
    storable_utc,
)
from charter.content.registry import REGISTRY_KEY, TypeRegistry, add_content_type, types_of
from charter.content.services import ContentService, Uploads
from charter.content.types import CORE_TYPES
from charter.security.permits import caller_permits

# For add-on schemas (docs/addons.md, "Dates and times in a schema").
__all__ = [
    "EARLIEST_STORABLE",
    "LATEST_STORABLE",
    "MomentOutOfRange",
    "StorableDateTime",
    "content_service",
    "includeme",
    "storable_utc",
]


def content_service(request: Request) -> ContentService:
    """The editing service acting for this request's caller, with its permissions."""

    return ContentService(
        request.dbsession,
        types=types_of(request.registry),
        actor=request.actor,
        permits=caller_permits(request),
        notify=request.registry.notify,
        audit=request.audit,
        uploads=Uploads(
            request.blobs, request.tm, request.registry.settings["charter.blobs.max_upload_size"]
        ),
    )


def includeme(config: Configurator) -> None:
    """The ``add_content_type`` directive, the core types, and ``request.content``."""
    config.registry[REGISTRY_KEY] = TypeRegistry()
    config.add_directive("add_content_type", add_content_type)
    for declaration in CORE_TYPES:
        config.add_content_type(**declaration)
    config.add_request_method(content_service, "content", reify=True)
