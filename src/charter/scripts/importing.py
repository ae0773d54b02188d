"""``charter-import CONFIG_URI DIR TARGET_FOLDER [--new-uids] [--name NAME]``: recreate an export.

Reads a folder written by ``charter-export`` and makes its items inside the
folder at TARGET_FOLDER through the content services, acting as ``cli``, in
one transaction, with their revisions, workflow steps, dates, creators and
editors (format version 2): when anything is refused (a uid already on this
site or taken by another import meanwhile, a name taken, an unknown format
version, a checksum that does not match, an invalid field) nothing is
written, the reason is printed on stderr in one line and the exit status
is 2. Owners and local roles naming accounts or groups this site does not
have are listed on stderr and left out. On a terminal a progress bar runs
on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from charter.audit.service import Actor
from charter.errors import CharterError
from charter.ops.importer import import_subtree
from charter.ops.transfer import TransferError
from charter.scripts.environment import app_environment

CLI_ACTOR = Actor(login="cli")
ERROR_STATUS = 2


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``charter-import``."""
    parser = argparse.ArgumentParser(
        prog="charter-import",
        description="Recreate a subtree written by charter-export inside a folder of this site.",
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    parser.add_argument("folder", type=Path, help="the folder charter-export wrote")
    parser.add_argument("target", help="the path of the folder to import into, e.g. /")
    parser.add_argument(
        "--new-uids",
        action="store_true",
        help="give every item a new uid (needed to import a second copy on one site)",
    )
    parser.add_argument("--name", help="the name of the imported top item (default: its own)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-import``."""
    args = build_parser().parse_args(argv)
    bar = tqdm(desc="Importing", unit="item", file=sys.stderr, disable=not sys.stderr.isatty())
    try:
        with app_environment(args.config_uri) as env:
            report = import_subtree(
                env,
                args.folder,
                args.target,
                CLI_ACTOR,
                new_uids=args.new_uids,
                name=args.name,
                progress=bar.update,
            )
    except (TransferError, CharterError) as error:
        bar.close()
        detail = error.detail if isinstance(error, CharterError) else str(error)
        print(f"charter-import: {detail}; nothing was imported.", file=sys.stderr)
        return ERROR_STATUS
    bar.close()
    for skipped in report.skipped:
        print(f"Skipped {skipped}", file=sys.stderr)
    history = (
        f", {report.revisions} revision(s), {report.workflow_steps} workflow step(s)"
        if report.revisions or report.workflow_steps
        else ""
    )
    print(
        f"Imported {report.nodes} item(s) ({report.files} file(s){history}) as {report.path}"
        + (f"; {len(report.skipped)} owner(s) or role(s) skipped." if report.skipped else ".")
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
