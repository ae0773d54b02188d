"""``charter-backup CONFIG create DIR`` and ``charter-backup CONFIG restore DIR [--verify]``.

A backup is a folder: a consistent snapshot of the database, a copy of every
blob that snapshot references, and ``manifest.json`` (schema revisions, rows
per table, blobs, checksums). It is taken while the site is in use:

- SQLite: the database's own online backup API (``database.sqlite``);
- MariaDB/MySQL and PostgreSQL: every table read in one REPEATABLE READ,
  read-only transaction (one snapshot, like ``mysqldump --single-transaction``
  or ``pg_dump``), written as gzipped JSON lines (``tables/NAME.jsonl.gz``).

Blobs are content-addressed and never change; the ones the snapshot
references are copied after it, each checked against its SHA-256. ``restore``
fills an empty database (migrated here to the backup's revisions) and an
empty blob store; ``--verify`` then proves equal row counts and zero missing
or corrupt blobs. Errors print one line and exit with status 2; a failed
verification exits with status 1. See docs/operations.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import decimal
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from charter.addons import addon_version_locations
from charter.db.migrations import upgrade
from charter.health import release
from charter.ops.transfer import sha256_of
from charter.scripts.blobs import referenced_blobs
from charter.scripts.environment import app_environment

FORMAT = 1
ERROR_STATUS = 2
VERIFY_FAILED_STATUS = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
TABLES = "tables"
BLOBS = "blobs"
CHUNK = 1 << 20
BATCH = 1000


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why, in one line."""


# -- values to and from JSON ---------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$n": str(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text_value),) = value.items()
        if tag == "$b":
            return base64.b64decode(text_value)
        if tag == "$dt":
            return dt.datetime.fromisoformat(text_value)
        if tag == "$d":
            return dt.date.fromisoformat(text_value)
        if tag == "$n":
            return decimal.Decimal(text_value)
    return value


def _blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


# -- create --------------------------------------------------------------------------------


def create(env: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Write a backup of the site of ``env`` into ``folder`` (new or empty); its manifest."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty; back up into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    registry = env["registry"]
    engine: Engine = registry["charter.db.engine"]
    started = time.time()
    if engine.dialect.name == "sqlite":
        tables, referenced, revisions = _sqlite_snapshot(engine, folder / SQLITE_FILE)
        files = {SQLITE_FILE: sha256_of(folder / SQLITE_FILE)}
    else:
        tables, referenced, revisions, files = _logical_snapshot(engine, folder / TABLES)
    blobs = _copy_blobs(registry["charter.blobs.store"].root, folder / BLOBS, referenced)
    manifest = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 3),
        "charter_version": release(),
        "dialect": engine.dialect.name,
        "revisions": revisions,
        "tables": tables,
        "files": files,
        "blobs": blobs,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _sqlite_snapshot(engine: Engine, target: Path) -> tuple[dict[str, int], set[str], list[str]]:
    raw = engine.raw_connection()
    try:
        destination = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(destination)  # the online backup API: one snapshot
        finally:
            destination.close()
    finally:
        raw.close()
    copy = create_engine(f"sqlite:///{target}")
    try:
        with copy.connect() as connection:
            return _describe(connection)
    finally:
        copy.dispose()


def _logical_snapshot(
    engine: Engine, folder: Path
) -> tuple[dict[str, int], set[str], list[str], dict[str, str]]:
    folder.mkdir()
    files: dict[str, str] = {}
    snapshot = engine.execution_options(isolation_level="REPEATABLE READ")
    with snapshot.connect() as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET TRANSACTION READ ONLY"))
        else:
            # The snapshot starts here, for every table read below.
            connection.execute(text("SELECT 1"))
        tables, referenced, revisions = _describe(connection)
        for name in tables:
            path = folder / f"{name}.jsonl.gz"
            table = Table(name, MetaData(), autoload_with=connection)
            columns = [column.name for column in table.columns]
            order = list(table.primary_key.columns) or list(table.columns)
            with gzip.open(path, "wt", encoding="utf-8") as out:
                out.write(json.dumps({"columns": columns}) + "\n")
                for row in connection.execute(select(table).order_by(*order)):
                    out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
            files[f"{TABLES}/{path.name}"] = sha256_of(path)
    return tables, referenced, revisions, files


def _describe(connection: Connection) -> tuple[dict[str, int], set[str], list[str]]:
    """Rows per table, the blobs referenced, the schema revisions: all from one snapshot."""
    names = sorted(inspect(connection).get_table_names())
    metadata = MetaData()
    tables = {
        name: connection.scalar(select(func.count()).select_from(Table(name, metadata)))
        for name in names
    }
    revisions = sorted(
        str(row[0])
        for name in names
        if name == "alembic_version" or name.endswith("_alembic_version")
        for row in connection.execute(text(f"SELECT version_num FROM {name}"))  # noqa: S608
    )
    return tables, referenced_blobs(connection) or set(), revisions


def _copy_blobs(store_root: Path, target: Path, referenced: set[str]) -> dict[str, Any]:
    copied, size, missing = 0, 0, []
    for sha256 in sorted(referenced):
        source = _blob_path(store_root, sha256)
        destination = _blob_path(target, sha256)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            digest = _copy_hashing(source, destination)
        except FileNotFoundError:
            missing.append(sha256)
            continue
        if digest != sha256:
            destination.unlink()
            missing.append(sha256)
            continue
        copied += 1
        size += destination.stat().st_size
    return {"count": copied, "bytes": size, "missing": missing}


def _copy_hashing(source: Path, destination: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as read, destination.open("wb") as write:
        while chunk := read.read(CHUNK):
            digest.update(chunk)
            write.write(chunk)
        write.flush()
        os.fsync(write.fileno())
    return digest.hexdigest()


# -- restore -------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    """The backup's manifest, its files checked against their checksums."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{folder} holds no readable {MANIFEST}: not a Charter backup") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder}: backup format {manifest.get('format')!r} is not {FORMAT}")
    for name, sha256 in manifest["files"].items():
        if not (folder / name).is_file() or sha256_of(folder / name) != sha256:
            raise BackupError(f"{folder / name} is missing or does not match its checksum")
    return manifest


def restore(env: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Restore the backup in ``folder`` into the empty database and blob store of ``env``."""
    manifest = read_manifest(folder)
    registry = env["registry"]
    engine: Engine = registry["charter.db.engine"]
    store_root: Path = registry["charter.blobs.store"].root
    if inspect(engine).get_table_names():
        raise BackupError("the database is not empty; restore into an empty database")
    if any(_blob_path_entries(store_root)):
        raise BackupError(f"the blob store {store_root} is not empty")
    if SQLITE_FILE in manifest["files"] and engine.dialect.name == "sqlite":
        _sqlite_restore(engine, folder / SQLITE_FILE)
    else:
        _logical_restore(engine, folder, manifest, addon_version_locations(registry.settings))
    for sha256_path in sorted((folder / BLOBS).rglob("*")) if (folder / BLOBS).is_dir() else []:
        if sha256_path.is_file():
            destination = _blob_path(store_root, sha256_path.name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sha256_path, destination)
    return manifest


def _sqlite_restore(engine: Engine, source: Path) -> None:
    """SQLite into SQLite: the backup API copies the file, full-text indexes included."""
    backup_copy = sqlite3.connect(source)
    raw = engine.raw_connection()
    try:
        backup_copy.backup(raw.driver_connection)
    finally:
        raw.close()
        backup_copy.close()
    engine.dispose()  # connections opened before the copy see the old, empty file


def _logical_restore(
    engine: Engine, folder: Path, manifest: dict[str, Any], locations: list[Any]
) -> None:
    """Any other pair: migrate the empty database, then load the backup's rows into it."""
    with engine.begin() as connection:
        upgrade(connection, locations)
    with engine.connect() as connection:
        _, _, revisions = _describe(connection)
    if revisions != manifest["revisions"]:
        raise BackupError(
            f"the backup is at revisions {manifest['revisions']}, this release migrates to "
            f"{revisions}; restore with the release that made it"
        )
    with engine.begin() as connection:
        _load_tables(connection, _source_rows(folder, manifest))


def _blob_path_entries(root: Path) -> Iterator[Path]:
    for first in root.iterdir() if root.is_dir() else []:
        if first.is_dir() and len(first.name) == 2:
            yield from (p for p in first.rglob("*") if p.is_file())


def _source_rows(
    folder: Path, manifest: dict[str, Any]
) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
    if SQLITE_FILE in manifest["files"]:
        source = create_engine(f"sqlite:///{folder / SQLITE_FILE}")
        try:
            with source.connect() as connection:
                for name in sorted(manifest["tables"]):
                    table = Table(name, MetaData(), autoload_with=connection)
                    columns = [column.name for column in table.columns]
                    rows = (list(row) for row in connection.execute(select(table)))
                    yield name, columns, rows
        finally:
            source.dispose()
        return
    for name in sorted(manifest["tables"]):
        with gzip.open(folder / TABLES / f"{name}.jsonl.gz", "rt", encoding="utf-8") as lines:
            columns = json.loads(next(lines))["columns"]
            yield name, columns, ([_decode(v) for v in json.loads(line)] for line in lines)


def _load_tables(
    connection: Connection, source: Iterator[tuple[str, list[str], Iterator[list[Any]]]]
) -> None:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    elif dialect == "postgresql":
        # Constraints and triggers wait (needs a superuser, like pg_restore).
        connection.exec_driver_sql("SET session_replication_role = replica")
    else:
        connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
    metadata = MetaData()
    present = set(inspect(connection).get_table_names())
    for name, columns, rows in source:
        if name not in present or _derived_index(name):
            # A table this database does not have (another database's search
            # index) or one it derives itself from the rows (full-text shadows).
            for _ in rows:
                pass
            continue
        table = Table(name, metadata, autoload_with=connection)
        # Rows the migrations seeded (version numbers, counters) make way for the backup's.
        if connection.scalar(select(func.count()).select_from(table)):
            connection.execute(table.delete())
        # Generated columns (PostgreSQL's search vector) are computed again, not inserted.
        generated = {column.name for column in table.columns if column.computed is not None}
        kept = [i for i, name in enumerate(columns) if name not in generated and name in table.c]
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append({columns[i]: row[i] for i in kept})
            if len(batch) >= BATCH:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
        if dialect == "postgresql":
            _reset_sequences(connection, table)
    if dialect == "postgresql":
        connection.exec_driver_sql("SET session_replication_role = DEFAULT")
    elif dialect != "sqlite":
        connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")


def _derived_index(name: str) -> bool:
    # SQLite FTS5 keeps its index in shadow tables named after the virtual table.
    return name.endswith(("_data", "_idx", "_docsize", "_config", "_content")) and "fts" in name


def _reset_sequences(connection: Connection, table: Table) -> None:
    for column in table.primary_key.columns:
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        )
        if sequence:
            connection.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE((SELECT MAX({column.name}) "  # noqa: S608
                    f"FROM {table.name}), 0) + 1, false)"
                ),
                {"sequence": sequence},
            )


# -- verify --------------------------------------------------------------------------------


def verify(env: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """What differs between the site of ``env`` and the backup ``manifest``: empty when the rows
    per table are equal and every referenced blob is present with its SHA-256."""
    registry = env["registry"]
    engine: Engine = registry["charter.db.engine"]
    store_root: Path = registry["charter.blobs.store"].root
    problems = []
    dialect = engine.dialect.name
    with engine.connect() as connection:
        tables, referenced, _ = _describe(connection)
    for name, count in sorted(manifest["tables"].items()):
        if _derived_index(name) or (name not in tables and manifest["dialect"] != dialect):
            continue  # rebuilt from the rows, or another database's own index
        if tables.get(name) != count:
            problems.append(f"table {name}: {tables.get(name)} rows, the backup has {count}")
    for sha256 in sorted(referenced):
        path = _blob_path(store_root, sha256)
        if not path.is_file():
            problems.append(f"blob {sha256} is missing")
        elif sha256_of(path) != sha256:
            problems.append(f"blob {sha256} is corrupt")
    return problems


# -- command line --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``charter-backup``."""
    parser = argparse.ArgumentParser(
        prog="charter-backup",
        description="Back up and restore a Charter site: its database and blobs, consistently.",
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    make = commands.add_parser("create", help="write a backup into a new folder")
    make.add_argument("folder", type=Path)
    back = commands.add_parser(
        "restore", help="restore a backup into an empty database and blob store"
    )
    back.add_argument("folder", type=Path)
    back.add_argument(
        "--verify",
        action="store_true",
        help="then check equal row counts and every blob present and intact",
    )
    check = commands.add_parser(
        "verify", help="compare the site with a backup: row counts and blobs"
    )
    check.add_argument("folder", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-backup``."""
    args = build_parser().parse_args(argv)
    with app_environment(args.config_uri) as env:
        try:
            if args.command == "create":
                manifest = create(env, args.folder)
                rows = sum(manifest["tables"].values())
                print(
                    f"Backed up {len(manifest['tables'])} tables ({rows} rows) and "
                    f"{manifest['blobs']['count']} blobs ({manifest['blobs']['bytes']} bytes) "
                    f"to {args.folder} in {manifest['seconds']} s."
                )
                if manifest["blobs"]["missing"]:
                    print(
                        f"Missing or corrupt in the blob store: {len(manifest['blobs']['missing'])}"
                        " blob(s), listed in the manifest.",
                        file=sys.stderr,
                    )
                    return VERIFY_FAILED_STATUS
                return 0
            if args.command == "restore":
                manifest = restore(env, args.folder)
                print(
                    f"Restored {len(manifest['tables'])} tables and "
                    f"{manifest['blobs']['count']} blobs from {args.folder}."
                )
                if not args.verify:
                    return 0
            else:
                manifest = read_manifest(args.folder)
            problems = verify(env, manifest)
        except BackupError as exc:
            print(f"charter-backup: {exc}", file=sys.stderr)
            return ERROR_STATUS
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return VERIFY_FAILED_STATUS
    print(
        f"Verified: {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables, "
        f"{manifest['blobs']['count']} blobs; 0 missing, 0 corrupt."
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
