"""Counting the SQL statements a piece of code sends, for query-budget tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event

# Transaction control the test harness itself causes (the outer transaction
# and the savepoint each request joins through); production requests do not
# send these, so they are not counted against a budget.
_HARNESS_STATEMENT = re.compile(r"^\s*(BEGIN|SAVEPOINT|RELEASE|ROLLBACK)\b", re.IGNORECASE)


class QueryRecorder:
    """Records the statements executed on one connection while recording is on."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._active: list[str] | None = None
        event.listen(connection, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._active is not None and not _HARNESS_STATEMENT.match(statement):
            self._active.append(statement)

    @contextmanager
    def record(self) -> Iterator[list[str]]:
        """Collect the statements run inside the ``with`` block into the yielded list."""
        statements: list[str] = []
        self._active = statements
        try:
            yield statements
        finally:
            self._active = None

    def close(self) -> None:
        """Stop listening."""
        event.remove(self.connection, "before_cursor_execute", self._record)
