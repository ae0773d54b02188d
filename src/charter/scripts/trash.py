"""``charter-trash CONFIG_URI purge [--older-than DAYS] [--dry-run]``: empty the trash of old items.

Made for cron: items deleted more than ``charter.trash.retention_days`` ago
(or ``--older-than`` days) are deleted for good, each in its own
transaction, written to the audit log as ``content.purged`` by ``cli``.
Items under legal hold stay, and the report says so. On a terminal a
progress bar runs on stderr; under cron it stays quiet. The bytes of purged
files are left to ``charter-blobs gc``. Errors print one line on stderr and
exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pyramid.request import Request
from tqdm import tqdm

from charter.audit.service import Actor
from charter.blobs import format_size
from charter.content.registry import types_of
from charter.errors import CharterError
from charter.i18n import english
from charter.scripts.environment import app_environment
from charter.trash.services import TrashService

CLI_ACTOR = Actor(login="cli")
ERROR_STATUS = 2
MAX_DAYS = 36500


def older_than_days(value: str) -> int:
    """Parse ``--older-than``: a whole number of days from 0 to MAX_DAYS."""
    try:
        days = int(value)
    except ValueError:
        days = -1
    if not 0 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days from 0 to {MAX_DAYS}, got {value!r}"
        )
    return days


def trash_of(request: Request) -> TrashService:
    """The whole trash, acting as ``cli``."""
    return TrashService(
        request.dbsession,
        types=types_of(request.registry),
        actor=CLI_ACTOR,
        notify=request.registry.notify,
        audit=request.audit,
    )


def _described(title: str, path: str, items: int, size: int) -> str:
    what = f"“{title}” ({path}, {items} item{'s' if items != 1 else ''}"
    return what + (f", {format_size(size)} of files)" if size else ")")


def purge(env: dict[str, Any], args: argparse.Namespace) -> int:
    """``purge``: delete for good what has been in the trash longer than the retention."""
    request = env["request"]
    days = args.older_than
    if days is None:
        days = request.registry.settings["charter.trash.retention_days"]
        if days == 0:
            print("charter.trash.retention_days is 0: the trash keeps everything; nothing purged.")
            return 0
    with request.tm:
        expired = [
            (
                entry.id,
                _described(entry.title, entry.original_path, entry.item_count, entry.file_bytes),
                entry.item_count,
                entry.file_bytes,
            )
            for entry in trash_of(request).expired(timedelta(days=days))
        ]
    lines: list[str] = []
    held: list[str] = []
    purged = items = size = 0
    verb = "Would purge" if args.dry_run else "Purged"
    bar = tqdm(
        expired,
        desc="Purging",
        unit="item",
        file=sys.stderr,
        disable=args.dry_run or not sys.stderr.isatty(),
    )
    for entry_id, description, count, file_bytes in bar:
        with request.tm:
            trash = trash_of(request)
            entry = trash.lock(entry_id)
            if entry is None:
                continue  # restored or purged meanwhile
            hold = trash.hold_of(entry)
            if hold is not None:
                held.append(f"Kept {description}: {english(hold)}")
                continue
            if not args.dry_run:
                count = trash.purge(entry_id)
        lines.append(f"{verb} {description}")
        purged, items, size = purged + 1, items + count, size + file_bytes
    bar.close()
    when = f"deleted more than {days} day{'s' if days != 1 else ''} ago"
    if not purged and not held:
        lines.append(f"Nothing to purge: nothing in the trash was {when}.")
    else:
        summary = f"{purged} deleted item(s) {when} ({items} item(s), {format_size(size)} of files)"
        lines.append(
            f"Dry run: would purge {summary}; nothing was removed."
            if args.dry_run
            else f"Purged {summary}; their files' bytes go at the next charter-blobs gc."
        )
    lines += held
    if held:
        lines.append(f"{len(held)} item(s) under legal hold stayed in the trash.")
    print("\n".join(lines))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``charter-trash``."""
    parser = argparse.ArgumentParser(
        prog="charter-trash", description="Maintain the trash (deleted items)."
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    purging = commands.add_parser(
        "purge",
        help="delete for good what was deleted longer ago than the retention",
        description="Delete for good the items deleted more than charter.trash.retention_days "
        "(or --older-than) days ago, except those under legal hold.",
    )
    purging.add_argument(
        "--older-than",
        type=older_than_days,
        metavar="DAYS",
        help="purge what was deleted more than DAYS days ago (default: "
        "charter.trash.retention_days; 0 purges everything not under legal hold)",
    )
    purging.add_argument(
        "--dry-run", action="store_true", help="list what would be purged; change nothing"
    )
    purging.set_defaults(run=purge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-trash``."""
    args = build_parser().parse_args(argv)
    try:
        with app_environment(args.config_uri) as env:
            return args.run(env, args)
    except CharterError as error:
        print(f"charter-trash: {error.detail}", file=sys.stderr)
        return ERROR_STATUS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
