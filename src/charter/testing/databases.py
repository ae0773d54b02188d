"""Creating and dropping a throw-away test database on SQLite, MySQL/MariaDB or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

DEFAULT_TEST_DATABASE = "charter_test"


def worker_database_url(base_url: str | None, worker: str, sqlite_folder: Path) -> URL:
    """The URL of this pytest-xdist worker's own database.

    ``base_url`` (``CHARTER_TEST_DB``) names a server and a database name;
    each worker gets that name with its id appended. Unset means SQLite in
    ``sqlite_folder``.
    """
    if not base_url:
        return make_url(f"sqlite:///{sqlite_folder / f'charter-{worker}.sqlite'}")
    url = make_url(base_url)
    if url.get_backend_name() == "sqlite":
        database = Path(url.database or sqlite_folder / "charter.sqlite")
        return url.set(database=str(database.with_name(f"{database.stem}-{worker}.sqlite")))
    return url.set(database=f"{url.database or DEFAULT_TEST_DATABASE}_{worker}")


def recreate_database(url: URL) -> None:
    """Drop ``url``'s database if it exists and create it empty."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = Path(url.database or "")
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    name = url.database
    if backend in {"mysql", "mariadb"}:
        statements = [
            f"DROP DATABASE IF EXISTS `{name}`",
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        ]
        server = url.set(database="mysql")
    elif backend == "postgresql":
        statements = [
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0",
        ]
        server = url.set(database="postgres")
    else:
        raise ValueError(f"no test database support for {backend}")
    _run_on_server(server, statements)


def drop_database(url: URL) -> None:
    """Remove ``url``'s database."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = Path(url.database or "")
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    elif backend in {"mysql", "mariadb"}:
        _run_on_server(url.set(database="mysql"), [f"DROP DATABASE IF EXISTS `{url.database}`"])
    elif backend == "postgresql":
        _run_on_server(
            url.set(database="postgres"),
            [f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'],
        )


def _run_on_server(server: URL, statements: list[str]) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()
