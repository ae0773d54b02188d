"""``charter-export CONFIG_URI PATH DIR``: write the subtree at PATH to a new folder DIR.

The folder (manifest, one JSON document per item, each item's revisions and
workflow steps, the bytes of files and of their earlier versions by SHA-256)
is what ``charter-import`` reads on this or another site; its format is in
docs/operations.md. On a terminal a progress bar runs on
stderr. Errors print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from charter.blobs import format_size
from charter.errors import CharterError
from charter.ops.export import export_subtree
from charter.ops.transfer import TransferError
from charter.scripts.environment import app_environment

ERROR_STATUS = 2


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``charter-export``."""
    parser = argparse.ArgumentParser(
        prog="charter-export",
        description="Write a subtree (its items, local roles, states, files, revisions and "
        "workflow history) to a folder that charter-import reads.",
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    parser.add_argument("path", help="the path of the subtree's top, e.g. /projects")
    parser.add_argument("folder", type=Path, help="a new or empty folder to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-export``."""
    args = build_parser().parse_args(argv)
    bar = tqdm(desc="Exporting", unit="item", file=sys.stderr, disable=not sys.stderr.isatty())
    try:
        with app_environment(args.config_uri) as env:
            manifest = export_subtree(env, args.path, args.folder, bar.update)
    except (TransferError, CharterError) as error:
        bar.close()
        detail = error.detail if isinstance(error, CharterError) else str(error)
        print(f"charter-export: {detail}", file=sys.stderr)
        return ERROR_STATUS
    bar.close()
    blobs = manifest["blobs"]
    print(
        f"Exported {manifest['nodes']} item(s) from {manifest['root']} and {blobs['count']} "
        f"file(s) ({format_size(blobs['bytes'])}) to {args.folder}."
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
