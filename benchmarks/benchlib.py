"""Helpers the benchmarks share: their databases, Charter's engine, and latency figures."""

from __future__ import annotations

import secrets
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from charter.accounts.services import AccountService, TokenService
from charter.db.engine import make_engine
from charter.db.migrations import upgrade
from charter.security.roles import DEFAULT_ROOT_GRANTS
from charter.security.sharing import SharingService
from charter.settings import parse_settings
from charter.testing.databases import drop_database, recreate_database
from charter.tree.models import Node

# Every benchmark database is dropped and recreated; a name without this word
# is refused so that a mistyped URL cannot wipe a real site.
BENCH_MARKER = "bench"
DEFAULT_SERVER_DATABASE = "charter_bench"
MARIADB_URL = f"mysql+mysqlconnector://root@127.0.0.1:3306/{DEFAULT_SERVER_DATABASE}"


class BenchmarkError(SystemExit):
    """The benchmark cannot run as asked; the message says why in one line."""


def database_url(base: str | None, suffix: str | None, sqlite_folder: Path) -> URL:
    """The URL of one benchmark database.

    ``base`` is the user's ``--database-url`` (SQLite in ``sqlite_folder``
    when None); ``suffix`` keeps the databases of different benchmarks and
    tree sizes apart (``charter_bench_1k``, ``charter-bench-1k.sqlite``).
    """
    if base is None:
        name = "charter-bench" + (f"-{suffix}" if suffix else "")
        return make_url(f"sqlite:///{sqlite_folder / (name + '.sqlite')}")
    url = make_url(base)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or sqlite_folder / "charter-bench.sqlite")
        if suffix:
            path = path.with_name(f"{path.stem}-{suffix}{path.suffix or '.sqlite'}")
        url = url.set(database=str(path))
        name = path.name
    else:
        name = (url.database or DEFAULT_SERVER_DATABASE) + (f"_{suffix}" if suffix else "")
        url = url.set(database=name)
    if BENCH_MARKER not in name:
        raise BenchmarkError(
            f"Refusing to use database {name!r}: benchmarks drop and recreate their "
            f"databases, so the name must contain {BENCH_MARKER!r} (e.g. {MARIADB_URL})"
        )
    return url


def shown(url: URL) -> str:
    """The URL as printed in reports, password hidden."""
    return url.render_as_string(hide_password=True)


def fresh_database(url: URL) -> None:
    """Create ``url``'s database empty and migrate it to Charter's newest schema."""
    recreate_database(url)
    engine = charter_engine(url)
    try:
        with engine.begin() as connection:
            upgrade(connection)
    finally:
        engine.dispose()


def remove_database(url: URL) -> None:
    """Drop ``url``'s database (delete the SQLite file)."""
    drop_database(url)


def app_settings(url: URL, pool_size: int = 2) -> dict[str, str]:
    """The ini settings of a Charter app on ``url``, as production would set them."""
    return {
        "sqlalchemy.url": url.render_as_string(hide_password=False),
        "charter.site_title": "Charter benchmark",
        "charter.db.pool_size": str(pool_size),
        # Sessions are signed with this; the benchmarks' readers use tokens,
        # so a throw-away secret per run is all it needs.
        "charter.session.secret": secrets.token_urlsafe(32),
        "pyramid.reload_templates": "false",
    }


def charter_engine(url: URL, pool_size: int = 2) -> Engine:
    """An engine set up exactly as Charter's app sets up its own."""
    return make_engine(parse_settings(app_settings(url, pool_size), environ={}))


def open_to_readers(session: Session, root: Node) -> str:
    """Share the site as charter-init does and return an API token of an ordinary reader.

    Every logged-in person may read (DESIGN's intranet default); the
    benchmarks read as an integration partner would, with a bearer token.
    """
    SharingService(session).update(root, DEFAULT_ROOT_GRANTS)
    reader = AccountService(session).create_user(
        "bench-reader", "bench-reader@example.com", secrets.token_urlsafe(16), "Benchmark reader"
    )
    _, token = TokenService(session).create(reader, "benchmarks")
    return token


def describe_server(engine: Engine) -> str:
    """One line naming the database server and what most affects its speed here."""
    backend = engine.url.get_backend_name()
    with engine.connect() as connection:
        if backend in {"mysql", "mariadb"}:
            version, pool = connection.execute(
                text("SELECT @@version, @@innodb_buffer_pool_size")
            ).one()
            return f"MySQL/MariaDB {version}, innodb_buffer_pool_size {int(pool) >> 20} MiB"
        if backend == "postgresql":
            version = connection.execute(text("SHOW server_version")).scalar_one()
            buffers = connection.execute(text("SHOW shared_buffers")).scalar_one()
            return f"PostgreSQL {version}, shared_buffers {buffers}"
        version = connection.execute(text("SELECT sqlite_version()")).scalar_one()
        return f"SQLite {version}"


def describe_tree_size(engine: Engine) -> str:
    """How much room the tree's tables take, to compare with the server's cache."""
    backend = engine.url.get_backend_name()
    with engine.connect() as connection:
        if backend in {"mysql", "mariadb"}:
            data, indexes = connection.execute(
                text(
                    "SELECT SUM(data_length), SUM(index_length) FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() "
                    "AND table_name IN ('nodes', 'documents', 'node_viewers')"
                )
            ).one()
            return f"{int(data) / 2**20:.1f} MiB data + {int(indexes) / 2**20:.1f} MiB indexes"
        if backend == "postgresql":
            total = connection.execute(
                text(
                    "SELECT pg_total_relation_size('nodes') + pg_total_relation_size('documents')"
                    " + pg_total_relation_size('node_viewers')"
                )
            ).scalar_one()
            return f"{int(total) / 2**20:.1f} MiB with indexes"
        pages, page_size = (
            connection.execute(text("PRAGMA page_count")).scalar_one(),
            connection.execute(text("PRAGMA page_size")).scalar_one(),
        )
        return f"{pages * page_size / 2**20:.1f} MiB database file"


@dataclass(frozen=True)
class Latency:
    """Summary of one operation's timings, in milliseconds."""

    count: int
    median_ms: float
    p95_ms: float
    mean_ms: float

    @classmethod
    def from_ns(cls, samples: Sequence[int]) -> Latency:
        """Summarise timings measured with ``time.perf_counter_ns``."""
        millis = sorted(sample / 1e6 for sample in samples)
        return cls(
            count=len(millis),
            median_ms=statistics.median(millis),
            p95_ms=percentile(millis, 95),
            mean_ms=statistics.fmean(millis),
        )


def percentile(sorted_values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        raise ValueError("no samples")
    rank = max(1, round(percent / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def verdict(passed: bool) -> str:
    """PASS or FAIL, as the reports print it."""
    return "PASS" if passed else "FAIL"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain aligned table: first column left, the others right."""
    cells = [[str(header) for header in headers]] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    for index, row in enumerate(cells):
        parts = [
            cell.ljust(widths[column]) if column == 0 else cell.rjust(widths[column])
            for column, cell in enumerate(row)
        ]
        print("  " + "  ".join(parts).rstrip())
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))
