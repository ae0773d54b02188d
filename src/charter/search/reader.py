"""The separate process that reads the text of one file (started by charter.search.extract).

``python -I reader.py KIND PATH MAX_CHARS MEMORY_MB CPU_SECONDS`` limits its
own resources first (address space, CPU seconds, no file written, few file
descriptors, no core dump), then prints at most MAX_CHARS characters of the
file's text, UTF-8, on standard output. It imports nothing of Charter, so it
starts quickly; each reader is a maintained pure-Python library.
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

# An Office file (a zip) whose parts would unpack to more than this is refused unread.
MAX_UNPACKED = 512 * 1024 * 1024


def limit_resources(memory_mb: int, cpu_seconds: int) -> None:
    """Cap this process: address space, CPU seconds, no file written, few descriptors."""
    import resource

    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def _check_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
            raise ValueError("unpacks to too much")


def _pdf(path: Path) -> Iterator[str]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    for page in reader.pages:
        yield page.extract_text() or ""


def _docx(path: Path) -> Iterator[str]:
    import docx

    document = docx.Document(str(path))
    for paragraph in document.paragraphs:
        yield paragraph.text
    for table in document.tables:
        for row in table.rows:
            yield " ".join(cell.text for cell in row.cells)


def _xlsx(path: Path) -> Iterator[str]:
    import openpyxl

    # A file object: given a name, openpyxl refuses one without the .xlsx extension (a blob).
    workbook = openpyxl.load_workbook(path.open("rb"), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            yield sheet.title
            for row in sheet.iter_rows(values_only=True):
                cells = [str(value) for value in row if value is not None]
                if cells:
                    yield " ".join(cells)
    finally:
        workbook.close()


def _pptx(path: Path) -> Iterator[str]:
    from pptx import Presentation

    presentation = Presentation(str(path))
    for slide in presentation.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                yield shape.text_frame.text
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            yield slide.notes_slide.notes_text_frame.text


READERS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "pptx": _pptx}


def main(argv: list[str] | None = None) -> int:
    """Print the text of one file."""
    kind, raw_path, raw_max, raw_memory, raw_cpu = (argv if argv is not None else sys.argv[1:])[:5]
    limit_resources(int(raw_memory), int(raw_cpu))
    path, max_chars = Path(raw_path), int(raw_max)
    if kind != "pdf":
        _check_zip(path)
    out = sys.stdout.buffer
    written = 0
    for piece in READERS[kind](path):
        if not piece:
            continue
        chunk = piece[: max_chars - written] + "\n"
        out.write(chunk.encode("utf-8", errors="replace"))
        written += len(chunk)
        if written >= max_chars:
            break
    out.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
