"""``charter-audit CONFIG_URI export|prune``: take the audit log out, and retire old entries.

``export`` writes a filtered selection (every entry by default) as NDJSON or
CSV to a file or stdout, streamed a batch at a time.

``prune --before DATE --export FILE`` is the only way entries ever leave
the log: in one transaction it first writes every entry older than DATE to
FILE (NDJSON; gzip when the name ends in ``.gz``), then deletes exactly
those, past the append-only triggers (charter.audit.triggers), and records
an ``audit.pruned`` entry naming the cut-off, the count, the file and its
SHA-256. If anything fails nothing is deleted. Errors print one line on
stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.orm import Session

from charter.audit.export import csv_lines, ndjson_lines
from charter.audit.models import AuditEntry
from charter.audit.reading import EVERYTHING, AuditQuery, stream
from charter.audit.service import Actor, AuditLog
from charter.audit.triggers import allow_prune, end_prune
from charter.db.session import WRITES_ENGINE_KEY
from charter.errors import CharterError, ValidationFailed
from charter.scripts.environment import app_environment

CLI_ACTOR = Actor(login="cli")
ERROR_STATUS = 2
FILTERS = ("actor", "action", "path", "since", "until")


class PruneFailed(CharterError):
    """A prune that removed nothing, and why."""


def _query(args: argparse.Namespace, settings: dict[str, Any]) -> AuditQuery:
    params = {name: getattr(args, name) for name in FILTERS if getattr(args, name, None)}
    return AuditQuery.from_params(params, settings)


@contextmanager
def _output(path: str | None) -> Iterator[IO[bytes]]:
    if path in (None, "-"):
        yield sys.stdout.buffer
        return
    target = Path(path)
    if target.exists():
        raise ValidationFailed([("output", f"{target} exists already; it is not overwritten")])
    opener = gzip.open if target.suffix == ".gz" else open
    with opener(target, "xb") as handle:
        yield handle
        handle.flush()
        if hasattr(handle, "fileno"):
            os.fsync(handle.fileno())


def export(env: dict[str, Any], args: argparse.Namespace) -> int:
    """``export``: the selection, newest first, to ``--output`` (stdout by default)."""
    registry = env["registry"]
    query = _query(args, registry.settings)
    lines = csv_lines if args.format == "csv" else ndjson_lines
    count = 0
    with registry["charter.db.engine"].connect() as connection, _output(args.output) as out:
        for line in lines(stream(connection, query, EVERYTHING)):
            out.write(line)
            count += 1
    if args.output not in (None, "-"):
        rows = count - 1 if args.format == "csv" else count
        print(f"Exported {rows} entr{'y' if rows == 1 else 'ies'} to {args.output}.")
    return 0


def prune_before(connection: Connection, before: dt.datetime, path: str) -> tuple[int, str]:
    """Export every entry older than ``before`` to ``path``, delete exactly those and record
    it, in ``connection``'s transaction (the caller commits); (count, SHA-256 of the file)."""
    older = AuditEntry.at < before
    total, newest_id = connection.execute(
        select(func.count(AuditEntry.id), func.max(AuditEntry.id)).where(older)
    ).one()
    if not total:
        return 0, ""
    query = AuditQuery(limit=1, until=before - dt.timedelta(microseconds=1))
    written = 0
    with _output(path) as out:
        for line in ndjson_lines(stream(connection, query, EVERYTHING)):
            out.write(line)
            written += 1
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if written != total:
        raise PruneFailed(f"exported {written} entries but {total} are older: nothing deleted")
    allow_prune(connection, before)
    removed = connection.execute(
        delete(AuditEntry).where(older, AuditEntry.id <= newest_id)
    ).rowcount
    end_prune(connection)
    if removed != written:
        raise PruneFailed(
            f"{removed} entries would go but {written} were exported: nothing deleted"
        )
    session = Session(bind=connection)
    AuditLog(session).record(
        "audit.pruned",
        CLI_ACTOR,
        "audit_log",
        before=before.isoformat(),
        count=removed,
        export=str(Path(path).resolve()),
        sha256=digest,
    )
    session.flush()
    session.close()
    return removed, digest


def prune(env: dict[str, Any], args: argparse.Namespace) -> int:
    """``prune``: export, then delete, the entries older than ``--before``."""
    before = args.before
    if before > dt.datetime.now(dt.UTC):
        raise ValidationFailed([("before", "must not lie in the future")])
    engine = env["registry"][WRITES_ENGINE_KEY]
    with engine.connect() as connection:
        with connection.begin():
            count, digest = prune_before(connection, before, args.export)
        if connection.dialect.name in {"mysql", "mariadb"}:
            # The session variable must not outlive the prune, even on a pooled connection.
            connection.invalidate()
    if not count:
        print(f"Nothing to prune: no entry is older than {before.isoformat()}.")
    else:
        print(
            f"Pruned {count} entr{'y' if count == 1 else 'ies'} older than {before.isoformat()}; "
            f"exported first to {args.export} (SHA-256 {digest})."
        )
    return 0


def moment(value: str) -> dt.datetime:
    """Parse ``--before``: a date (its midnight, UTC) or a moment with its UTC offset."""
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2026-01-01 or a moment with its offset, got {value!r}"
        )
    return parsed.astimezone(dt.UTC)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``charter-audit``."""
    parser = argparse.ArgumentParser(
        prog="charter-audit", description="Export the audit log, or retire its old entries."
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    exporting = commands.add_parser(
        "export",
        help="write entries (all, or a filtered selection) as NDJSON or CSV",
        description="Write the audit log, newest first, streamed: memory stays flat.",
    )
    exporting.add_argument("--output", "-o", metavar="FILE", help="where (default: stdout)")
    exporting.add_argument("--format", choices=("ndjson", "csv"), default="ndjson")
    exporting.add_argument("--actor", help="entries by this login")
    exporting.add_argument("--action", help="entries of this action code")
    exporting.add_argument("--path", help="entries about this path or below it")
    exporting.add_argument("--since", help="from this date or moment")
    exporting.add_argument("--until", help="until this date (inclusive) or moment")
    exporting.set_defaults(run=export)
    pruning = commands.add_parser(
        "prune",
        help="export, then delete, the entries older than a date",
        description="Write every entry older than --before to --export, then delete exactly "
        "those, in one transaction; the prune itself is recorded in the log.",
    )
    pruning.add_argument("--before", type=moment, required=True, metavar="DATE")
    pruning.add_argument(
        "--export",
        required=True,
        metavar="FILE",
        help="NDJSON file to write first (a new file; .gz compresses it)",
    )
    pruning.set_defaults(run=prune)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-audit``."""
    args = build_parser().parse_args(argv)
    try:
        with app_environment(args.config_uri) as env:
            return args.run(env, args)
    except CharterError as error:
        print(f"charter-audit: {error.detail}", file=sys.stderr)
        return ERROR_STATUS
    except OSError as error:
        print(f"charter-audit: {error}", file=sys.stderr)
        return ERROR_STATUS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
