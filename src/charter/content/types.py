"""The core content types, declared like any add-on's (see charter.content.registry)."""

from __future__ import annotations

from typing import Any

from charter.content.models import Document, File, Folder
from charter.content.registry import ContentType, TypeRegistry
from charter.content.schemas import DocumentFields, FileFields, FolderFields
from charter.workflow.definitions import SIMPLE_PUBLICATION

CORE_TYPES: tuple[dict[str, Any], ...] = (
    {
        "name": "Folder",
        "title": "Folder",
        "model": Folder,
        "schema": FolderFields,
        "icon": "folder",
        "workflow": SIMPLE_PUBLICATION.name,
    },
    {
        "name": "Document",
        "title": "Document",
        "model": Document,
        "schema": DocumentFields,
        "icon": "file-earmark-text",
        "workflow": SIMPLE_PUBLICATION.name,
    },
    {
        "name": "File",
        "title": "File",
        "model": File,
        "schema": FileFields,
        "icon": "file-earmark-arrow-down",
        "upload": True,
        "workflow": SIMPLE_PUBLICATION.name,
    },
)


def core_types() -> TypeRegistry:
    """A registry of just the core types and their workflow, for code that runs outside a
    Pyramid app."""
    registry = TypeRegistry()
    registry.workflows.add(SIMPLE_PUBLICATION)
    for declaration in CORE_TYPES:
        registry.add(ContentType(**declaration))
    return registry
