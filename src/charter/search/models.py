"""The search index: one row of normalised terms and readable text per node.

The engine-specific structures sit beside ``search_index`` and are created
by migration 0008 for the database in use (see docs/search.md):

* SQLite: the FTS5 table ``search_fts`` (external content: ``search_index``),
  kept in step by triggers;
* PostgreSQL: the stored generated column ``search_index.vector``
  (``to_tsvector('simple', terms)``) under the GIN index ``ix_search_index_vector``;
* MariaDB/MySQL: the InnoDB ``FULLTEXT`` index ``ft_search_index_terms``.

They are not mapped: no code reads or writes them except through the
backends' SQL (charter.search.backends).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from charter.db.meta import LONG_TEXT, MYSQL_TABLE_OPTIONS, Base, Identifier, UTCDateTime, utcnow

# What became of a file's bytes (SearchEntry.file_text).
NO_FILE = ""
PENDING = "pending"
EXTRACTED = "extracted"
UNREADABLE = "unreadable"
TIMED_OUT = "timeout"
TOO_LARGE = "too-large"
UNSUPPORTED = "unsupported"

ENGINE_TABLE_PREFIX = "search_fts"
FULLTEXT_INDEX = "ft_search_index_terms"
VECTOR_COLUMN = "vector"
VECTOR_INDEX = "ix_search_index_vector"
ENGINE_INDEXES = frozenset({FULLTEXT_INDEX, VECTOR_INDEX})


class SearchEntry(Base):
    """What search knows of one node: its terms (for the engine) and text (for snippets)."""

    __tablename__ = "search_index"
    __table_args__ = (
        Index("ix_search_index_blob_sha256", "blob_sha256"),
        MYSQL_TABLE_OPTIONS,
    )

    node_id: Mapped[int] = mapped_column(
        Identifier, ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True
    )
    # Encoded terms (charter.search.text) of the title, name, description, body,
    # file name, the text inside a file and an add-on type's searchable fields.
    terms: Mapped[str] = mapped_column(LONG_TEXT)
    # The description and body as readable text, for snippets.
    text: Mapped[str] = mapped_column(LONG_TEXT)
    # A file's bytes whose text is in ``text`` (reused by copies and later versions).
    blob_sha256: Mapped[str | None] = mapped_column(String(64))
    file_text: Mapped[str] = mapped_column(String(16), default=NO_FILE)
    indexed: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReindexRun(Base):
    """Where ``charter-search reindex`` got to, so an interrupted run can resume."""

    __tablename__ = "search_reindex"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_node_id: Mapped[int] = mapped_column(Identifier, default=0)
    done: Mapped[int] = mapped_column(Identifier, default=0)
    started: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def is_engine_difference(difference: object) -> bool:
    """Whether an Alembic autogenerate difference is about an engine structure of 0008.

    Those are created per database on purpose and have no model (see the module's docstring).
    """
    if not isinstance(difference, tuple) or not difference:
        return False
    kind = difference[0]
    if kind in {"remove_table", "add_table"}:
        return difference[1].name.startswith(ENGINE_TABLE_PREFIX)
    if kind in {"remove_index", "add_index"}:
        return difference[1].name in ENGINE_INDEXES
    if kind in {"remove_column", "add_column"}:
        return (difference[2], difference[3].name) == ("search_index", VECTOR_COLUMN)
    return False
