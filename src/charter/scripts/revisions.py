"""``charter-revisions CONFIG_URI prune [--dry-run]``: prune revisions past the number kept.

Made for cron. Every node keeps its newest ``charter.revisions.keep``
revisions, and always its first; with 0 (the default) nothing is pruned.
The bytes of old file versions pruned here are left to ``charter-blobs gc``.
The run is one transaction, written to the audit log as ``revisions.pruned``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pyramid.request import Request

from charter.audit.service import Actor
from charter.history.revisions import PruneReport
from charter.scripts.environment import app_environment

CLI_ACTOR = Actor(login="cli")


def report(pruned: PruneReport, keep: int, dry_run: bool) -> str:
    """What was (or would be) pruned, in one line."""
    kept = f"each node keeps its first revision and its newest {keep}"
    if not pruned.revisions:
        return f"Nothing to prune: {kept} already."
    counted = f"{pruned.revisions} revision(s) of {pruned.nodes} node(s)"
    if dry_run:
        return f"Dry run: would prune {counted}; {kept}. Nothing was removed."
    return f"Pruned {counted}; {kept}."


def prune(request: Request, args: argparse.Namespace) -> str:
    """``prune``: delete every node's revisions beyond the configured number."""
    keep = request.registry.settings["charter.revisions.keep"]
    if keep == 0:
        return "charter.revisions.keep is 0: every revision is kept; nothing was pruned."
    pruned = request.revisions.prune(keep, dry_run=args.dry_run)
    if pruned.revisions and not args.dry_run:
        request.audit.record(
            "revisions.pruned", CLI_ACTOR, count=pruned.revisions, nodes=pruned.nodes, keep=keep
        )
    return report(pruned, keep, args.dry_run)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``charter-revisions``."""
    parser = argparse.ArgumentParser(
        prog="charter-revisions", description="Maintain the revisions (history) of content."
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    pruning = commands.add_parser(
        "prune",
        help="delete revisions beyond charter.revisions.keep per node",
        description="Delete every node's revisions beyond its newest charter.revisions.keep, "
        "never its first nor its current one.",
    )
    pruning.add_argument(
        "--dry-run", action="store_true", help="say what would be pruned; change nothing"
    )
    pruning.set_defaults(run=prune)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-revisions``."""
    args = build_parser().parse_args(argv)
    with app_environment(args.config_uri) as env:
        request = env["request"]
        with request.tm:
            message = args.run(request, args)
    print(message)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
