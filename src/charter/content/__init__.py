"""Content: the core types (Folder, Document) and the services that create them."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request

from charter.content.services import ContentService


def content_service(request: Request) -> ContentService:
    """The content service bound to this request's session."""
    return ContentService(request.dbsession)


def includeme(config: Configurator) -> None:
    """Expose ``request.content``."""
    config.add_request_method(content_service, "content", reify=True)
