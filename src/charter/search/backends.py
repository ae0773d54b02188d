"""One backend per database: how a parsed query becomes that engine's match and score.

Every backend answers the same two questions about a ``Query``
(charter.search.query): which ``search_index`` rows match (a SQL condition),
and how well (a score, higher is better). The service builds everything
else (permissions, filters, facets, order, pages) once, for all of them.

The query text handed to an engine is made only of encoded terms
(``[a-z0-9]``), operators and quotes Charter writes itself, and is sent as
a bound parameter: no input reaches the SQL or the engine's syntax raw.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    or_,
    table,
    text,
    type_coerce,
)
from sqlalchemy.dialects.mysql import match as mysql_match
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from charter.search.models import SearchEntry
from charter.search.query import Atom, Phrase, Query


@dataclass(frozen=True)
class Match:
    """A compiled query: join what the engine needs, filter on ``condition``, rank by ``score``."""

    condition: ColumnElement[bool] | TextClause
    score: ColumnElement[Any]

    def join(self, query: Select) -> Select:
        """``query`` (over search_index) with what the engine needs joined to it."""
        return query


class SearchTooSlow(Exception):
    """The database stopped a search statement at the search's time limit."""


class SearchBackend:
    """The interface: compile a query for one database. Subclasses per engine."""

    name = "abstract"

    def time_limit(self, session: Session, seconds: float) -> AbstractContextManager[None]:
        """Statements run inside stop after ``seconds`` (SearchTooSlow); the session's
        transaction stays usable."""
        raise NotImplementedError

    def compile(self, query: Query) -> Match:
        """The match condition and score of ``query``."""
        raise NotImplementedError

    def engine_text(self, query: Query) -> str:
        """The query in the engine's own syntax (shown by ``charter-search explain``)."""
        raise NotImplementedError


def _phrase_words(atom: Phrase) -> str:
    return " ".join(atom.terms)


class SQLiteBackend(SearchBackend):
    """SQLite FTS5 over ``search_fts``, ranked with bm25."""

    name = "sqlite"

    def engine_text(self, query: Query) -> str:
        """FTS5 query syntax: ``("a" OR "b" *) AND "c d" NOT ("e")``."""
        positive = " AND ".join(
            "(" + " OR ".join(self._atom(atom) for atom in group) + ")" for group in query.required
        )
        if query.excluded:
            excluded = " OR ".join(self._atom(atom) for atom in query.excluded)
            return f"({positive}) NOT ({excluded})"
        return positive

    def _atom(self, atom: Atom) -> str:
        if isinstance(atom, Phrase):
            return f'"{_phrase_words(atom)}"'
        parts = [f'"{prefix}" *' for prefix in atom.prefixes]
        parts += [f'"{term}"' for term in atom.exact]
        return " OR ".join(parts)

    @contextmanager
    def time_limit(self, session: Session, seconds: float) -> Iterator[None]:
        """A progress handler that interrupts the connection's statement once late."""
        connection = session.connection().connection.dbapi_connection
        deadline = time.monotonic() + seconds
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            yield
        except DBAPIError as error:
            if "interrupted" in str(error.orig):
                raise SearchTooSlow() from error
            raise
        finally:
            connection.set_progress_handler(None, 0)

    def compile(self, query: Query) -> Match:
        """``search_fts MATCH :q`` on the FTS5 table joined by rowid; score ``-bm25``."""
        condition = text("search_fts MATCH :search_query").bindparams(
            bindparam("search_query", self.engine_text(query))
        )
        return _SQLiteMatch(condition, -func.bm25(literal_column("search_fts")))


FTS_TABLE = table("search_fts", column("rowid"))


class _SQLiteMatch(Match):
    def join(self, query: Select) -> Select:
        return query.join(FTS_TABLE, FTS_TABLE.c.rowid == SearchEntry.node_id)


class PostgreSQLBackend(SearchBackend):
    """PostgreSQL: ``vector @@ to_tsquery('simple', ...)`` over a GIN index, ranked by ts_rank."""

    name = "postgresql"

    def engine_text(self, query: Query) -> str:
        """tsquery syntax: ``(a | b:*) & (c <-> d) & !e``."""
        parts = [
            "(" + " | ".join(self._atom(atom) for atom in group) + ")" for group in query.required
        ]
        parts += [f"!({self._atom(atom)})" for atom in query.excluded]
        return " & ".join(parts)

    def _atom(self, atom: Atom) -> str:
        if isinstance(atom, Phrase):
            return " <-> ".join(atom.terms) if len(atom.terms) > 1 else atom.terms[0]
        parts = [f"{prefix}:*" for prefix in atom.prefixes] + list(atom.exact)
        return " | ".join(parts)

    @contextmanager
    def time_limit(self, session: Session, seconds: float) -> Iterator[None]:
        """``statement_timeout`` for this transaction, inside a savepoint: a cancelled
        statement rolls back to it instead of failing the request's transaction."""
        savepoint = session.begin_nested()
        try:
            previous = session.execute(
                text(
                    "SELECT current_setting('statement_timeout'),"
                    " set_config('statement_timeout', :ms, true)"
                ),
                {"ms": str(int(seconds * 1000))},
            ).one()[0]
            yield
            session.execute(
                text("SELECT set_config('statement_timeout', :previous, true)"),
                {"previous": previous},
            )
        except DBAPIError as error:
            savepoint.rollback()
            if getattr(error.orig, "sqlstate", None) == "57014":  # query_canceled
                raise SearchTooSlow() from error
            raise
        except BaseException:
            savepoint.rollback()
            raise
        else:
            savepoint.commit()

    def compile(self, query: Query) -> Match:
        """The condition and ts_rank of the tsquery."""
        tsquery = func.to_tsquery(
            literal_column("'simple'::regconfig"),
            bindparam("search_query", self.engine_text(query)),
        )
        vector = literal_column("search_index.vector")
        # As double precision: a real (float4) read into Python is not the same number when
        # sent back, and the next page's cursor compares scores exactly.
        score = type_coerce(func.ts_rank(vector, tsquery), Float).cast(DOUBLE_PRECISION)
        return Match(vector.op("@@")(tsquery), score)


class MySQLBackend(SearchBackend):
    """MariaDB/MySQL: InnoDB ``MATCH (terms) AGAINST (... IN BOOLEAN MODE)``.

    A phrase is not handed to InnoDB as a phrase: to check one, InnoDB reads the
    text of every item holding all its words before returning a single row (a
    phrase common in the corpus cost seconds, whatever the LIMIT). The engine is
    asked for items with all the words, and the order of the words is checked in
    the same statement on the terms of each row it returns (which it reads
    anyway), so a LIMIT bounds the work.
    """

    name = "mysql"

    def engine_text(self, query: Query) -> str:
        """Boolean-mode syntax: ``+(a b*) +((+c +d)) -e`` (a left-out phrase is checked in SQL)."""
        parts = [
            "+(" + " ".join(self._atom(atom) for atom in group) + ")" for group in query.required
        ]
        parts += [f"-({self._atom(atom)})" for atom in query.excluded if not _is_phrase(atom)]
        return " ".join(parts)

    def _atom(self, atom: Atom) -> str:
        if isinstance(atom, Phrase):
            if len(atom.terms) > 1:
                return "(" + " ".join(f"+{term}" for term in atom.terms) + ")"
            return atom.terms[0]
        return " ".join([f"{prefix}*" for prefix in atom.prefixes] + list(atom.exact))

    @contextmanager
    def time_limit(self, session: Session, seconds: float) -> Iterator[None]:
        """MariaDB's ``max_statement_time`` (MySQL's ``max_execution_time``) for the
        session meanwhile; an interrupted SELECT leaves the transaction as it was."""
        if session.connection().dialect.is_mariadb:
            limit, value, default = "max_statement_time", f"{seconds:.3f}", "DEFAULT"
        else:
            limit, value, default = "max_execution_time", str(int(seconds * 1000)), "DEFAULT"
        session.execute(text(f"SET SESSION {limit} = {value}"))
        try:
            yield
        except DBAPIError as error:
            # 1969: MariaDB's max_statement_time; 3024: MySQL's max_execution_time.
            if getattr(error.orig, "errno", None) in (1969, 3024):
                raise SearchTooSlow() from error
            raise
        finally:
            session.execute(text(f"SET SESSION {limit} = {default}"))

    def compile(self, query: Query) -> Match:
        """The MATCH expression serves as condition (relevance > 0) and score; phrases are
        checked on the row's terms."""
        relevance = mysql_match(
            SearchEntry.terms, against=bindparam("search_query", self.engine_text(query))
        ).in_boolean_mode()
        checks = [
            or_(*(_contains(atom) for atom in group))
            for group in query.required
            if any(_is_phrase(atom) for atom in group)
        ]
        checks += [~_contains(atom) for atom in query.excluded if _is_phrase(atom)]
        condition = and_(relevance, *checks) if checks else relevance
        return Match(condition, type_coerce(relevance, Float))


def _is_phrase(atom: Atom) -> bool:
    return isinstance(atom, Phrase) and len(atom.terms) > 1


def _contains(atom: Atom) -> ColumnElement[bool]:
    """SQL: the row's terms (single spaces between them) hold ``atom`` as whole terms."""
    padded = func.concat(" ", SearchEntry.terms, " ")
    if isinstance(atom, Phrase):
        needles = [" " + " ".join(atom.terms) + " "]
    else:
        needles = [f" {prefix}" for prefix in atom.prefixes] + [f" {term} " for term in atom.exact]
    return or_(*(func.instr(padded, literal(needle)) > 0 for needle in needles))


BACKENDS: dict[str, type[SearchBackend]] = {
    "sqlite": SQLiteBackend,
    "postgresql": PostgreSQLBackend,
    "mysql": MySQLBackend,
    "mariadb": MySQLBackend,
}


def backend_for(dialect_name: str) -> SearchBackend:
    """The backend of the database whose SQLAlchemy dialect is ``dialect_name``."""
    try:
        return BACKENDS[dialect_name]()
    except KeyError:
        raise ValueError(f"no search backend for the {dialect_name} database") from None
