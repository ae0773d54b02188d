"""``charter-search CONFIG_URI reindex [--restart] [--batch-size N]``: rebuild the search index.

Every node (those in the trash too, so that a restore needs nothing) gets its
search row written again, ``--batch-size`` nodes per short transaction, in
id order: the site stays up and searchable meanwhile (a row is replaced, never
removed). Where it got to is recorded after each batch (``search_reindex``),
so a run that was stopped resumes where it stopped; ``--restart`` starts over.
The text of a file already read is reused; files whose text was never read
(pending) are read now, with the usual limits. On a terminal a progress bar
runs on stderr. Run it after upgrading to schema 0008 and whenever docs/search.md
says the index format changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import with_polymorphic
from tqdm import tqdm

from charter.db.meta import utcnow
from charter.errors import CharterError
from charter.scripts.environment import app_environment
from charter.search import indexer_of
from charter.search.models import ReindexRun
from charter.tree.models import Node

ERROR_STATUS = 2
RUN_NAME = "reindex"


def batch_size(value: str) -> int:
    """Parse ``--batch-size``: 1 to 10,000 nodes per transaction."""
    try:
        size = int(value)
    except ValueError:
        size = 0
    if not 1 <= size <= 10_000:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 10000, got {value!r}")
    return size


def reindex(env: dict[str, Any], args: argparse.Namespace) -> int:
    """``reindex``: write every node's search row again, batch by batch, resumably."""
    request = env["request"]
    indexer = indexer_of(request.registry)
    with request.tm:
        session = request.dbsession
        run = session.get(ReindexRun, RUN_NAME)
        if run is None or run.finished is not None or args.restart:
            if run is None:
                run = ReindexRun(name=RUN_NAME)
                session.add(run)
            run.last_node_id, run.done, run.started, run.finished = 0, 0, utcnow(), None
            resumed = False
        else:
            resumed = True
        start = run.last_node_id
        total = session.scalar(select(func.count()).select_from(Node).where(Node.id > start))
    if resumed:
        print(f"Resuming after node {start}: {total} node(s) to go.")
    bar = tqdm(
        total=total, desc="Indexing", unit="node", file=sys.stderr, disable=not sys.stderr.isatty()
    )
    began = time.monotonic()
    indexed = 0
    last = start
    while True:
        with request.tm:
            session = request.dbsession
            every_type = with_polymorphic(Node, "*")
            nodes = list(
                session.scalars(
                    select(every_type)
                    .where(every_type.id > last)
                    .order_by(every_type.id)
                    .limit(args.batch_size)
                )
            )
            if not nodes:
                run = session.get(ReindexRun, RUN_NAME)
                run.finished = utcnow()
                break
            indexer.index_all(session, nodes)
            last = nodes[-1].id
            run = session.get(ReindexRun, RUN_NAME)
            run.last_node_id, run.done = last, run.done + len(nodes)
        # Committed: the batch is searchable (files' text was read right after the commit).
        indexed += len(nodes)
        bar.update(len(nodes))
    bar.close()
    seconds = max(time.monotonic() - began, 1e-6)
    print(f"Indexed {indexed} node(s) in {seconds:.1f} s ({indexed / seconds:.0f} per second).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``charter-search``."""
    parser = argparse.ArgumentParser(
        prog="charter-search", description="Maintain the search index."
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rebuilding = commands.add_parser(
        "reindex",
        help="write every node's search row again (resumable; the site stays up)",
        description="Rebuild the search index in short transactions, resuming an unfinished run.",
    )
    rebuilding.add_argument(
        "--restart", action="store_true", help="start over even if a run was left unfinished"
    )
    rebuilding.add_argument(
        "--batch-size",
        type=batch_size,
        default=200,
        metavar="N",
        help="nodes per transaction (default 200)",
    )
    rebuilding.set_defaults(run=reindex)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-search``."""
    args = build_parser().parse_args(argv)
    try:
        with app_environment(args.config_uri) as env:
            return args.run(env, args)
    except CharterError as error:
        print(f"charter-search: {error.detail}", file=sys.stderr)
        return ERROR_STATUS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
