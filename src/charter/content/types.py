"""The core content types, declared like any add-on's (see charter.content.registry)."""

from __future__ import annotations

from typing import Any

from charter.content.models import Document, File, Folder
from charter.content.registry import ContentType, TypeRegistry
from charter.content.schemas import DocumentFields, FileFields, FolderFields

CORE_TYPES: tuple[dict[str, Any], ...] = (
    {
        "name": "Folder",
        "title": "Folder",
        "model": Folder,
        "schema": FolderFields,
        "icon": "folder",
    },
    {
        "name": "Document",
        "title": "Document",
        "model": Document,
        "schema": DocumentFields,
        "icon": "file-earmark-text",
    },
    {
        "name": "File",
        "title": "File",
        "model": File,
        "schema": FileFields,
        "icon": "file-earmark-arrow-down",
        "upload": True,
    },
)


def core_types() -> TypeRegistry:
    """A registry of just the core types, for code that runs outside a Pyramid app."""
    registry = TypeRegistry()
    for declaration in CORE_TYPES:
        registry.add(ContentType(**declaration))
    return registry
