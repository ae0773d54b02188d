"""Thumbnails of image blobs: scaled once with Pillow, then kept on disk beside the blobs.

A thumbnail is named by its source blob's SHA-256, so every file (and every
revision) with the same bytes shares it, and it never goes stale: new bytes
are a new blob. It lives at ``<blobs>/thumbnails/<size>/ab/cd/<sha256>``;
an empty file there records that the blob could not be scaled (not an image
Pillow decodes, truncated, or more pixels than allowed), so it is not
decoded again on the next request. ``charter-blobs gc`` removes the
thumbnails of blobs no row references. See docs/blobs.md.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

from charter.blobs.store import SHA256, FilesystemBlobStore, StripeLocks, check_sha256

log = logging.getLogger(__name__)

# The box a thumbnail fits in, in pixels; the only size made (no size comes from a request).
THUMBNAIL_SIZE = 128
# The sniffed types that get a thumbnail, and the one Pillow decoder each may use.
SOURCE_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Thumbnail:
    """A thumbnail's bytes and their MIME type."""

    data: bytes = field(repr=False)
    mime_type: str


def output_type(source_type: str) -> str:
    """The thumbnail's MIME type: JPEG for photos (JPEG sources), PNG (with any
    transparency) for the others."""
    return "image/jpeg" if source_type == "image/jpeg" else "image/png"


def scale(source: BinaryIO, source_type: str, max_source_pixels: int) -> bytes | None:
    """``source`` scaled to fit THUMBNAIL_SIZE square, upright (EXIF orientation applied),
    encoded as ``output_type(source_type)``; None when it cannot or may not be decoded."""
    decoder = SOURCE_FORMATS.get(source_type)
    if decoder is None:
        return None
    box = (THUMBNAIL_SIZE, THUMBNAIL_SIZE)
    try:
        # Opening reads only the header: the pixel count is checked before any decoding.
        with Image.open(source, formats=[decoder]) as image:
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_source_pixels:
                return None
            # A JPEG is decoded at 1/2, 1/4 or 1/8 scale when that still covers the box.
            image.draft("RGB", box)
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail(box, Image.Resampling.LANCZOS)
            if output_type(source_type) == "image/jpeg":
                upright = upright.convert("RGB")
                options = {"format": "JPEG", "quality": JPEG_QUALITY, "optimize": True}
            else:
                keep_alpha = "A" in upright.getbands() or "transparency" in upright.info
                upright = upright.convert("RGBA" if keep_alpha else "RGB")
                options = {"format": "PNG", "optimize": True}
            out = io.BytesIO()
            upright.save(out, **options)
            return out.getvalue()
    except Exception as error:
        # Pillow raises many kinds for hostile bytes (OSError, ValueError, SyntaxError,
        # struct.error, DecompressionBombError...): each means this blob gets none.
        log.info("no thumbnail for a %s: %s: %s", source_type, type(error).__name__, error)
        return None


class ThumbnailStore:
    """The thumbnails of ``blobs``' images, in its ``thumbnails`` folder; each made at most
    once, however many requests ask for it at the same time."""

    def __init__(self, blobs: FilesystemBlobStore, max_source_pixels: int) -> None:
        self.folder = blobs.root / "thumbnails"
        self.max_source_pixels = max_source_pixels
        self.locks = self.folder / "locks"
        # The blob store's: on the same filesystem, and swept by charter-blobs gc.
        self.temporary = blobs.temporary
        for path in (self.folder, self.locks):
            path.mkdir(exist_ok=True)

    def __repr__(self) -> str:
        return f"ThumbnailStore({str(self.folder)!r})"

    def path(self, sha256: str) -> Path:
        """Where the thumbnail of the blob ``sha256`` lives (whether or not it exists)."""
        check_sha256(sha256)
        return self.folder / str(THUMBNAIL_SIZE) / sha256[:2] / sha256[2:4] / sha256

    def get(
        self, sha256: str, source_type: str, open_source: Callable[[], BinaryIO]
    ) -> Thumbnail | None:
        """The thumbnail of the blob ``sha256`` of ``source_type``; when it is not stored yet,
        it is scaled from what ``open_source()`` reads and stored. None when the blob gets no
        thumbnail. ``open_source``'s errors (BlobNotFound) pass through."""
        if source_type not in SOURCE_FORMATS:
            return None
        path = self.path(sha256)
        data = _read(path)
        if data is None:
            # One request scales, the others wait for its file rather than scaling it again.
            with StripeLocks(self.locks, [sha256[:2]]):
                data = _read(path)
                if data is None:
                    with open_source() as source:
                        data = scale(source, source_type, self.max_source_pixels) or b""
                    self._place(path, data)
        return Thumbnail(data, output_type(source_type)) if data else None

    def collect_garbage(self, referenced: set[str], dry_run: bool = False) -> list[tuple[str, int]]:
        """Remove the thumbnails (name, size) of the blobs not in ``referenced``: those of
        purged files and their revisions. ``dry_run`` removes nothing."""
        removed: list[tuple[str, int]] = []
        for path in self._all():
            if path.name in referenced:
                continue
            try:
                removed.append((path.name, path.stat().st_size))
            except FileNotFoundError:
                continue
            if not dry_run:
                with StripeLocks(self.locks, [path.name[:2]]):
                    path.unlink(missing_ok=True)
        return removed

    def _place(self, path: Path, data: bytes) -> None:
        # Written aside, then renamed: a reader sees the whole file or none.
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=self.temporary, prefix="thumbnail-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def _all(self) -> list[Path]:
        sized = self.folder / str(THUMBNAIL_SIZE)
        return sorted(
            path
            for path in sized.glob("??/??/*")
            if path.is_file()
            and SHA256.fullmatch(path.name)
            and path.name.startswith(path.parent.parent.name + path.parent.name)
        )


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
