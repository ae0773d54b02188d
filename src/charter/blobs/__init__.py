"""Blob storage: the bytes of uploaded files, kept outside the database and committed with it.

``includeme`` builds the store from the settings and gives every request
``request.blobs``. Write with ``request.blobs.write(stream,
max_size=..., transaction_manager=request.tm)``; see docs/blobs.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request

from charter.blobs.sniffing import sniff
from charter.blobs.store import (
    BlobInfo,
    BlobNotFound,
    BlobTooLarge,
    FilesystemBlobStore,
    collect_garbage,
    format_size,
)
from charter.blobs.thumbnails import ThumbnailStore
from charter.settings import SettingsError

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobTooLarge",
    "FilesystemBlobStore",
    "ThumbnailStore",
    "collect_garbage",
    "format_size",
    "make_store",
    "sniff",
]

STORE_KEY = "charter.blobs.store"
THUMBNAILS_KEY = "charter.blobs.thumbnails"


def make_store(settings: Mapping[str, Any]) -> FilesystemBlobStore:
    """The store at ``charter.blobs.path``, its folders created; SettingsError if it cannot be."""
    path = Path(settings["charter.blobs.path"])
    try:
        return FilesystemBlobStore(path)
    except OSError as exc:
        raise SettingsError(
            f"Bad setting charter.blobs.path = {str(path)!r}: "
            f"cannot create the blob folder there ({exc.strerror})"
        ) from None


def request_blobs(request: Request) -> FilesystemBlobStore:
    """The app's blob store."""
    return request.registry[STORE_KEY]


def request_thumbnails(request: Request) -> ThumbnailStore:
    """The thumbnails of the blob store's images."""
    return request.registry[THUMBNAILS_KEY]


def includeme(config: Configurator) -> None:
    """Create the blob store and its thumbnails from the settings; expose them as
    ``request.blobs`` and ``request.thumbnails``."""
    settings = config.get_settings()
    store = make_store(settings)
    config.registry[STORE_KEY] = store
    config.registry[THUMBNAILS_KEY] = ThumbnailStore(
        store, settings["charter.thumbnails.max_source_pixels"]
    )
    config.add_request_method(request_blobs, "blobs", reify=True)
    config.add_request_method(request_thumbnails, "thumbnails", reify=True)
