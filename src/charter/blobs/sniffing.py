"""The MIME type of uploaded bytes, read from the bytes themselves rather than from the client.

Signatures come from ``puremagic`` (a maintained, pure-Python file-signature
database). The file name never decides on its own: it only chooses among
formats whose signature the bytes match equally well (``.xlsx`` and
``.docx`` are both ZIP archives). Bytes that match no signature are
``text/plain`` when they read as UTF-8 text, ``application/octet-stream``
otherwise.
"""

from __future__ import annotations

import codecs
import re

import puremagic

# Enough for every signature that sits at an offset (ISO 9660's is at 32 KiB).
SNIFF_BYTES = 64 * 1024
TEXT_PLAIN = "text/plain"
OCTET_STREAM = "application/octet-stream"
# In text, a signature this short is a coincidence (a letter "BM" is not a bitmap).
SHORTEST_SIGNATURE_IN_TEXT = 4
# Control characters that text does not contain; tab, line breaks, form feed and ESC it may.
_BINARY_CONTROLS = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def sniff(first_bytes: bytes, filename: str | None = None) -> str:
    """The MIME type of content that starts with ``first_bytes`` (``filename`` breaks ties)."""
    head = first_bytes[:SNIFF_BYTES]
    textual = looks_like_text(head)
    for match in _signature_matches(head, filename):
        if textual and len(match.byte_match) < SHORTEST_SIGNATURE_IN_TEXT:
            continue
        return match.mime_type
    return TEXT_PLAIN if textual else OCTET_STREAM


def looks_like_text(head: bytes) -> bool:
    """Whether ``head`` is UTF-8 without binary control characters.

    ``head`` may be cut in the middle of a character; its last bytes may be
    an unfinished sequence.
    """
    if _BINARY_CONTROLS.search(head):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _signature_matches(
    head: bytes, filename: str | None
) -> list[puremagic.PureMagicWithConfidence]:
    if not head:
        return []
    try:
        matches = puremagic.magic_string(head, filename=filename)
    except puremagic.PureError:
        return []
    # None when there is no extension, so that rows without one never count as named.
    extension = (puremagic.ext_from_filename(filename) if filename else "") or None
    # A match guessed from the file name alone has no bytes; some rows name no type.
    found = [m for m in matches if m.byte_match and m.mime_type]
    # The longest signature wins; the name only settles a tie (the sort is stable).
    found.sort(key=lambda m: (len(m.byte_match), m.extension == extension), reverse=True)
    return found
