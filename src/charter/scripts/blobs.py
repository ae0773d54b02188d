"""``charter-blobs CONFIG_URI gc [--dry-run] [--min-age-hours N]``: remove unreferenced blobs.

A blob is garbage when no row of ``files`` or ``revisions`` points at it:
its file was deleted (with its history), its old versions were pruned, or
its upload's transaction failed after the bytes were placed.
Only blobs untouched for ``--min-age-hours`` go, so a blob whose row is
being committed right now is never taken. Errors print one line on stderr
and exit with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from charter.blobs import collect_garbage, format_size
from charter.blobs.store import Garbage
from charter.scripts.environment import app_environment

ERROR_STATUS = 2
DEFAULT_MIN_AGE_HOURS = 24
MAX_MIN_AGE_HOURS = 24 * 3650
REFERENCING_TABLE = "files"
# Old versions of files: a database from before migration 0005 has no such table.
REVISIONS_TABLE = "revisions"


def referenced_blobs(connection: Connection) -> set[str] | None:
    """The SHA-256 of every blob a file or a file's revision points at; None if there is no
    ``files`` table."""
    tables = inspect(connection)
    if not tables.has_table(REFERENCING_TABLE):
        return None
    query = "SELECT blob_sha256 FROM files"
    if tables.has_table(REVISIONS_TABLE):
        query += " UNION SELECT blob_sha256 FROM revisions WHERE blob_sha256 IS NOT NULL"
    return set(connection.scalars(text(query)))


def report(garbage: Garbage, min_age_hours: int, dry_run: bool) -> str:
    """What was (or would be) removed, one line each, and the bytes freed."""
    verb = "Would remove" if dry_run else "Removed"
    lines = [f"{verb} blob {blob.sha256} ({format_size(blob.size)})" for blob in garbage.blobs]
    lines += [
        f"{verb} abandoned upload tmp/{name} ({format_size(size)})"
        for name, size in garbage.abandoned_uploads
    ]
    lines += [
        f"{verb} thumbnail of blob {name} ({format_size(size)})"
        for name, size in garbage.thumbnails
    ]
    if not lines:
        return (
            f"Nothing to remove: every blob older than {_hours(min_age_hours)} is referenced "
            "and no upload was abandoned."
        )
    counts = [
        f"{len(garbage.blobs)} unreferenced blob(s)",
        f"{len(garbage.abandoned_uploads)} abandoned upload(s)",
    ]
    if garbage.thumbnails:
        counts.append(f"{len(garbage.thumbnails)} thumbnail(s)")
    counted = f"{', '.join(counts[:-1])} and {counts[-1]}"
    freed = format_size(garbage.freed_bytes)
    if dry_run:
        lines.append(f"Dry run: {counted} would free {freed}; nothing was removed.")
    else:
        lines.append(f"Removed {counted}; freed {freed}.")
    return "\n".join(lines)


def gc(env: dict[str, Any], args: argparse.Namespace) -> int:
    """``gc``: remove the blobs no row references."""
    request = env["request"]
    with request.registry["charter.db.engine"].connect() as connection:
        referenced = referenced_blobs(connection)
    if referenced is None:
        print(
            f"The database has no {REFERENCING_TABLE} table, so nothing is known to reference "
            "any blob; run charter-migrate first. Nothing was removed.",
            file=sys.stderr,
        )
        return ERROR_STATUS
    garbage = collect_garbage(
        request.blobs, referenced, timedelta(hours=args.min_age_hours), dry_run=args.dry_run
    )
    # A thumbnail can always be made again: those of unreferenced blobs go whatever their age.
    thumbnails = request.thumbnails.collect_garbage(referenced, dry_run=args.dry_run)
    garbage = dataclasses.replace(garbage, thumbnails=thumbnails)
    print(report(garbage, args.min_age_hours, args.dry_run))
    return 0


def min_age_hours(value: str) -> int:
    """Parse ``--min-age-hours``: a whole number of hours from 1 to MAX_MIN_AGE_HOURS."""
    try:
        hours = int(value)
    except ValueError:
        hours = 0
    if not 1 <= hours <= MAX_MIN_AGE_HOURS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of hours from 1 to {MAX_MIN_AGE_HOURS}, got {value!r}"
        )
    return hours


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``charter-blobs``."""
    parser = argparse.ArgumentParser(
        prog="charter-blobs", description="Maintain the blob store (the bytes of files)."
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    collect = commands.add_parser(
        "gc",
        help="remove blobs that no file or old version of a file references",
        description="Remove blobs that no row of the files or revisions tables references.",
    )
    collect.add_argument(
        "--dry-run", action="store_true", help="list what would be removed; remove nothing"
    )
    collect.add_argument(
        "--min-age-hours",
        type=min_age_hours,
        default=DEFAULT_MIN_AGE_HOURS,
        metavar="N",
        help=(
            "keep blobs written or reused within the last N hours "
            f"(default {DEFAULT_MIN_AGE_HOURS}; at least 1)"
        ),
    )
    collect.set_defaults(run=gc)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-blobs``."""
    args = build_parser().parse_args(argv)
    with app_environment(args.config_uri) as env:
        return args.run(env, args)


def _hours(hours: int) -> str:
    return "1 hour" if hours == 1 else f"{hours} hours"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
