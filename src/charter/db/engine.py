"""Creating the SQLAlchemy engine for SQLite, MySQL/MariaDB or PostgreSQL.

All per-database differences in how Charter connects live here, so the
services above run one code path on every database.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from charter.db.retry import mark_transient_errors_retryable

log = logging.getLogger(__name__)

MYSQL_CHARSET = "utf8mb4"
MYSQL_COLLATION = "utf8mb4_unicode_ci"
# Strict mode so that MySQL refuses bad data instead of silently truncating it.
MYSQL_SQL_MODE = (
    "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
)
SQLITE_BUSY_TIMEOUT_MS = 5000
# Execution option set on the engine a request that may write uses (charter.db.session).
WRITES_OPTION = "charter_writes"


def make_engine(settings: dict[str, Any], **overrides: Any) -> Engine:
    """Build the engine described by parsed settings (see charter.settings)."""
    url = make_url(settings["sqlalchemy.url"])
    backend = url.get_backend_name()
    options: dict[str, Any] = {"echo": settings.get("charter.db.echo", False)}

    if backend == "sqlite":
        _ensure_sqlite_folder(url)
    else:
        options.update(
            pool_size=settings["charter.db.pool_size"],
            max_overflow=settings["charter.db.max_overflow"],
            pool_timeout=settings["charter.db.pool_timeout"],
            pool_recycle=settings["charter.db.pool_recycle"],
            pool_pre_ping=True,
        )
    if backend in {"mysql", "mariadb"}:
        defaults = {"charset": MYSQL_CHARSET, "collation": MYSQL_COLLATION}
        url = url.update_query_dict({k: v for k, v in defaults.items() if k not in url.query})
        # READ COMMITTED instead of InnoDB's REPEATABLE READ: it takes no gap
        # locks, so concurrent inserts into one folder do not deadlock each
        # other, and every statement sees what others have committed. Lost
        # updates are prevented by the node version check, not by isolation.
        options["isolation_level"] = "READ COMMITTED"
    options.update(overrides)

    engine = create_engine(url, **options)
    if backend == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
    elif backend in {"mysql", "mariadb"}:
        event.listen(engine, "connect", _configure_mysql_connection)
        log_mysql_driver_implementation(url)
    mark_transient_errors_retryable(engine)
    return engine


def _ensure_sqlite_folder(url: URL) -> None:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def sha256_digest(text: str | None) -> bytes | None:
    """SQLite has no SHA-256 of its own; Charter registers this one (32 bytes, as a blob)."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8")).digest()


def _configure_sqlite_connection(dbapi_connection: sqlite3.Connection, record: Any) -> None:
    # pysqlite opens transactions late and on its own, which breaks SAVEPOINT
    # and lets reads run outside the request's transaction; Charter turns
    # that off and emits BEGIN itself (the recipe in SQLAlchemy's docs).
    dbapi_connection.isolation_level = None
    dbapi_connection.create_function("charter_sha256", 1, sha256_digest, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    # Write-ahead logging lets readers go on while one request writes.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    # A transaction that will write takes SQLite's write lock at once, so it
    # queues behind other writers for the busy timeout; a deferred one that
    # read first could only fail ("database is locked") when it came to write.
    writes = connection.get_execution_options().get(WRITES_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _configure_mysql_connection(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET SESSION sql_mode = '{MYSQL_SQL_MODE}', time_zone = '+00:00'")
    cursor.close()


def log_mysql_driver_implementation(url: URL) -> None:
    """Say at start-up whether mysql-connector-python runs its C extension."""
    import mysql.connector

    use_pure = str(url.query.get("use_pure", "false")).lower() in {"1", "true"}
    if mysql.connector.HAVE_CEXT and not use_pure:
        log.info("mysql-connector-python %s: C extension in use", mysql.connector.__version__)
    else:
        log.warning(
            "mysql-connector-python %s: pure-Python implementation in use "
            "(C extension %s); expect slower requests",
            mysql.connector.__version__,
            "disabled by use_pure" if use_pure else "failed to load",
        )
