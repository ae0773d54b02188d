"""The audit log's export formats: CSV and NDJSON, written one entry at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from charter.audit.reading import CSV_COLUMNS, entry_record


def csv_lines(entries: Iterable[Any]) -> Iterator[bytes]:
    """CSV of ``entries``, a header first, one encoded row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for entry in entries:
        record = entry_record(entry)
        node = record.pop("node") or {}
        record.update(
            node_uid=node.get("uid"), node_path=node.get("path"), node_title=node.get("title")
        )
        record["details"] = json.dumps(record["details"], ensure_ascii=False, sort_keys=True)
        writer.writerow(["" if record[c] is None else _csv_safe(record[c]) for c in CSV_COLUMNS])
        yield flush()


def _csv_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (a title such as ``=HYPERLINK(...)``)."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def ndjson_lines(entries: Iterable[Any]) -> Iterator[bytes]:
    """One JSON object per entry and line, encoded."""
    for entry in entries:
        yield (json.dumps(entry_record(entry), ensure_ascii=False, sort_keys=True) + "\n").encode()
