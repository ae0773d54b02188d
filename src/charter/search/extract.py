"""The text inside uploaded files, read with time and memory limits.

Plain text and Markdown are read here, at most a bounded number of bytes.
PDF, Word (docx), Excel (xlsx) and PowerPoint (pptx) files are read by
maintained pure-Python libraries (pypdf, python-docx, openpyxl,
python-pptx) in a **separate process** started for the file, under
resource limits (address space, CPU seconds, no files written, few file
descriptors) and a wall-clock timeout: a hostile file that makes a parser
loop or balloon kills only that process. Whatever goes wrong, the outcome
is a status (``unreadable``, ``timeout``, ...) and the file is still found by
its name and title.

The separate process runs ``charter/search/reader.py`` (see there).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from charter.search.models import EXTRACTED, TIMED_OUT, TOO_LARGE, UNREADABLE, UNSUPPORTED

OFFICE_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".pptx": "pptx",
    ".md": "text",
    ".markdown": "text",
    ".txt": "text",
    ".csv": "text",
}
TEXT_TYPES = {"application/json", "application/xml", "application/x-markdown"}
# An Office file (a zip) whose parts would unpack to more than this is refused unread.
READER = Path(__file__).with_name("reader.py")
# Bytes of a text file read per character of text wanted (UTF-8 takes at most 4).
BYTES_PER_CHAR = 4


@dataclass(frozen=True)
class Limits:
    """How far extraction may go: seconds, megabytes of memory, file size, characters."""

    timeout: int = 20
    memory_mb: int = 768
    max_size: int = 100 * 1024 * 1024
    max_chars: int = 300_000

    @classmethod
    def from_settings(cls, settings: dict) -> Limits:
        """The limits the ini file sets (charter.search.*)."""
        return cls(
            timeout=settings["charter.search.extract_timeout"],
            memory_mb=settings["charter.search.extract_memory"],
            max_size=settings["charter.search.extract_max_size"],
            max_chars=settings["charter.search.max_text"],
        )


@dataclass(frozen=True)
class Extraction:
    """What came out of a file: a status (charter.search.models) and the text, if any."""

    status: str
    text: str = ""


def kind_of(mime_type: str, filename: str) -> str | None:
    """Which reader a file needs (``text``, ``pdf``, ``docx``, ``xlsx``, ``pptx``), or None."""
    mime = (mime_type or "").split(";")[0].strip().lower()
    if mime == "application/pdf":
        return "pdf"
    if mime in OFFICE_TYPES:
        return OFFICE_TYPES[mime]
    if mime.startswith("text/") or mime in TEXT_TYPES:
        return "text"
    return EXTENSIONS.get(Path(filename or "").suffix.lower())


def extract(path: Path, mime_type: str, filename: str, limits: Limits) -> Extraction:
    """The text of the file at ``path`` within ``limits``; never raises for a bad file."""
    kind = kind_of(mime_type, filename)
    if kind is None:
        return Extraction(UNSUPPORTED)
    try:
        size = path.stat().st_size
    except OSError:
        return Extraction(UNREADABLE)
    if size > limits.max_size:
        return Extraction(TOO_LARGE)
    if kind == "text":
        return Extraction(EXTRACTED, read_text(path, limits.max_chars))
    return _in_subprocess(kind, path, limits)


def read_text(path: Path, max_chars: int) -> str:
    """At most ``max_chars`` characters of a text file: UTF-8, else Latin-1."""
    with path.open("rb") as stream:
        raw = stream.read(max_chars * BYTES_PER_CHAR)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        # Cut in the middle of a character at the end: keep what came before.
        if error.start >= len(raw) - 3 and error.reason == "unexpected end of data":
            text = raw[: error.start].decode("utf-8")
        else:
            text = raw.decode("latin-1")
    return text[:max_chars].replace("\x00", " ")


def _in_subprocess(kind: str, path: Path, limits: Limits) -> Extraction:
    # Run by its file name, isolated (-I): the reader imports nothing of Charter's.
    command = [sys.executable, "-I", str(READER), kind, str(path)]
    command += [str(limits.max_chars), str(limits.memory_mb), str(limits.timeout)]
    # Nothing of this process's environment (secrets) reaches the reader.
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        completed = subprocess.run(  # noqa: S603 - our own module, arguments we made
            command,
            capture_output=True,
            timeout=limits.timeout,
            env=environment,
            stdin=subprocess.DEVNULL,
            # The child limits itself first thing (no preexec_fn: not safe in threaded servers).
            start_new_session=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Extraction(TIMED_OUT)
    except OSError:
        return Extraction(UNREADABLE)
    if completed.returncode != 0:
        return Extraction(UNREADABLE)
    text = completed.stdout.decode("utf-8", errors="replace")
    return Extraction(EXTRACTED, text[: limits.max_chars])
