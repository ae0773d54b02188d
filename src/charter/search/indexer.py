"""Keeping ``search_index`` in step with the tree, inside the transaction that changes it.

``SearchIndexer.index(node)`` writes a node's row in the session's
transaction: the row becomes visible to search exactly when the change
commits (MariaDB's FULLTEXT sees only committed rows anyway), and a failed
request leaves nothing behind. A file's text is the exception: reading it
can take seconds, which must not hold the transaction's row locks, so the
row is written with the file's name and title at once (``file_text =
'pending'``) and the text is read right after the commit and added in a
short transaction of its own (``extract_pending``). A file whose text
cannot be read stays findable by its name and title.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nh3
from sqlalchemy import Connection, Engine, Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from charter.db.meta import utcnow
from charter.search.extract import Extraction, Limits, extract
from charter.search.models import NO_FILE, PENDING, UNREADABLE, SearchEntry
from charter.search.text import search_terms
from charter.tree.models import Node

log = logging.getLogger(__name__)
PENDING_KEY = "charter.search.pending"
# Characters of terms per character of text: encoded short words grow a little.
TERMS_PER_TEXT = 2


@dataclass(frozen=True)
class PendingFile:
    """A file whose text is to be read after its transaction commits."""

    node_id: int
    sha256: str
    mime_type: str
    filename: str
    heading: str
    description: str


def plain_text(body_html: str) -> str:
    """The text of sanitised HTML (a document's rendered body), without its markup."""
    return html.unescape(nh3.clean(body_html.replace("<", " <"), tags=set()))


# A node's row, written at every change of it: built once, Core statements on the table.
_entries = SearchEntry.__table__
_FILE_OF_ROW = select(_entries.c.blob_sha256, _entries.c.file_text, _entries.c.text).where(
    _entries.c.node_id == bindparam("node_id")
)
# The SET clause is the columns of the values given (all but node_id).
_UPDATE_ROW = update(_entries).where(_entries.c.node_id == bindparam("row"))
_INSERT_ROW = insert(_entries)


class SearchIndexer:
    """Writes the search rows of nodes; one per application (it holds no session)."""

    def __init__(
        self,
        fields: Mapping[str, tuple[str, ...]],
        limits: Limits,
        blob_path: Callable[[str], Path] | None,
    ) -> None:
        self.fields = fields
        self.limits = limits
        self.blob_path = blob_path

    # -- what a node says ------------------------------------------------------------

    def heading(self, node: Node) -> str:
        """The short things always indexed: title, name, a file's name."""
        parts = [node.title or "", node.name or ""]
        filename = getattr(node, "filename", None)
        if filename:
            parts.append(filename)
        return "\n".join(parts)

    def body(self, node: Node) -> str:
        """The node's readable text besides its description: its type's searchable fields."""
        parts: list[str] = []
        for field in self.fields.get(node.type, ()):
            value = getattr(node, field, None)
            if value is None:
                continue
            if field == "body_html":
                parts.append(plain_text(str(value)))
            elif isinstance(value, (list, tuple, set)):
                parts.extend(str(item) for item in value)
            else:
                parts.append(str(value))
        return "\n\n".join(part for part in parts if part)

    def _row(self, heading: str, readable: str) -> tuple[str, str]:
        readable = readable[: self.limits.max_chars]
        terms = search_terms(f"{heading}\n{readable}", self.limits.max_chars * TERMS_PER_TEXT)
        return terms, readable

    # -- writing rows -----------------------------------------------------------------

    def index(self, dbsession: Session, node: Node) -> None:
        """Write ``node``'s search row in the session's transaction (a file's text: see module).

        Core statements on the table (no ORM entry is loaded): an UPDATE, and an
        INSERT when the node has no row yet; a file's row is read first for the
        text already read from its bytes.
        """
        heading = self.heading(node)
        readable = "\n\n".join(p for p in (node.description or "", self.body(node)) if p)
        sha256 = getattr(node, "blob_sha256", None)
        file_text, status = "", NO_FILE
        if sha256 is not None:
            entry = dbsession.execute(_FILE_OF_ROW, {"node_id": node.id}).first()
            known, file_text = self._known_text(dbsession, entry, sha256)
            status = PENDING if known is None else known
        terms, text = self._row(heading, "\n\n".join(p for p in (readable, file_text) if p))
        values = {
            "blob_sha256": sha256,
            "file_text": status,
            "terms": terms,
            "text": text,
            "indexed": utcnow(),
        }
        if dbsession.execute(_UPDATE_ROW, {**values, "row": node.id}).rowcount == 0:
            dbsession.execute(_INSERT_ROW, {**values, "node_id": node.id})
        if status == PENDING:
            self._queue(dbsession, node, sha256, heading, readable)

    def index_all(self, dbsession: Session, nodes: Iterable[Node]) -> int:
        """Index each of ``nodes``; how many."""
        count = 0
        for node in nodes:
            self.index(dbsession, node)
            count += 1
        return count

    def _known_text(
        self, dbsession: Session, entry: Row | None, sha256: str
    ) -> tuple[str | None, str]:
        """The text already read from these bytes (this node's row or a copy's), if any."""
        if (
            entry is not None
            and entry.blob_sha256 == sha256
            and entry.file_text not in {PENDING, NO_FILE}
        ):
            return entry.file_text, _file_part(entry.text)
        row = dbsession.execute(
            select(SearchEntry.file_text, SearchEntry.text)
            .where(
                SearchEntry.blob_sha256 == sha256,
                SearchEntry.file_text.not_in([PENDING, NO_FILE]),
            )
            .limit(1)
        ).first()
        if row is None:
            return None, ""
        return row[0], _file_part(row[1])

    def _queue(
        self, dbsession: Session, node: Node, sha256: str, heading: str, readable: str
    ) -> None:
        pending = dbsession.info.setdefault(PENDING_KEY, {})
        pending[node.id] = PendingFile(
            node.id, sha256, getattr(node, "mime_type", ""), node.filename, heading, readable
        )
        dbsession.info[PENDING_KEY + ".indexer"] = self

    # -- a file's text, after the commit -----------------------------------------------

    def read_file(self, pending: PendingFile) -> Extraction:
        """The text of a pending file's bytes (within the limits); never raises."""
        if self.blob_path is None or self.limits.max_size == 0:
            return Extraction(UNREADABLE)
        try:
            return extract(
                self.blob_path(pending.sha256), pending.mime_type, pending.filename, self.limits
            )
        except Exception:  # a bad file must never fail the request that stored it
            log.exception("reading the text of blob %s failed", pending.sha256)
            return Extraction(UNREADABLE)

    def store_text(self, connection: Connection, pending: PendingFile, result: Extraction) -> bool:
        """Write a file's text into its row unless the row moved on to other bytes meanwhile."""
        readable = "\n\n".join(p for p in (pending.description, FILE_MARK + result.text) if p)
        if not result.text:
            readable = pending.description
        terms, readable = self._row(pending.heading, readable)
        outcome = connection.execute(
            update(SearchEntry)
            .where(
                SearchEntry.node_id == pending.node_id,
                SearchEntry.blob_sha256 == pending.sha256,
            )
            .values(terms=terms, text=readable, file_text=result.status, indexed=utcnow())
        )
        return outcome.rowcount == 1


# Where a file's own text starts in ``text`` (after its description): copies reuse it.
FILE_MARK = "\u2063"


def _file_part(text: str) -> str:
    index = text.find(FILE_MARK)
    return "" if index == -1 else text[index:]


def after_commit(session: Session) -> None:
    """SQLAlchemy ``after_commit``: read the files this transaction queued and store their text.

    Runs after the database committed (locks released); writes in a new short
    transaction, or on the test's connection when the session is bound to one.
    """
    pending: dict[int, PendingFile] = session.info.pop(PENDING_KEY, {})
    indexer: SearchIndexer | None = session.info.pop(PENDING_KEY + ".indexer", None)
    if not pending or indexer is None:
        return
    bind = session.bind
    for item in pending.values():
        result = indexer.read_file(item)
        try:
            if isinstance(bind, Engine):
                with bind.begin() as connection:
                    indexer.store_text(connection, item, result)
            elif isinstance(bind, Connection):
                indexer.store_text(bind, item, result)
        except Exception:
            # The row stays 'pending'; charter-search CONFIG reindex --pending retries it.
            log.exception("storing the text of node %s failed", item.node_id)


def after_rollback(session: Session) -> None:
    """SQLAlchemy ``after_soft_rollback``: nothing queued by a failed transaction is read."""
    session.info.pop(PENDING_KEY, None)
    session.info.pop(PENDING_KEY + ".indexer", None)


def run_pending(dbsession: Session, indexer: SearchIndexer, nodes: Iterable[Any]) -> None:
    """Read now the text of files this session queued (the command line, before its commit)."""
    del nodes
    pending: dict[int, PendingFile] = dbsession.info.pop(PENDING_KEY, {})
    dbsession.info.pop(PENDING_KEY + ".indexer", None)
    if not pending:
        return
    dbsession.flush()
    connection = dbsession.connection()
    for item in pending.values():
        indexer.store_text(connection, item, indexer.read_file(item))
    dbsession.expire_all()
