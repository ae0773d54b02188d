"""Charter's benchmarks: throughput, scale, query counts and load against DESIGN.md's budget.

Run ``python benchmarks/run.py`` (all of them) or name one: ``throughput``,
``scale``, ``queries``, ``load``, ``audit``, ``search``, ``workflow``,
``webhooks`` or ``ops``. See
benchmarks/README.md for what each measures.
It prints figures and PASS/FAIL lines; with ``--check`` a FAIL also makes
the exit status 1. Servers it starts listen on 127.0.0.1 only and are
stopped at the end; the databases it creates are dropped unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import load
import scale
from audit import run_audit
from benchlib import MARIADB_URL, BenchmarkError, print_table
from load import LoadOptions, run_load
from ops import run_ops
from querycounts import run_querycounts
from scale import run_scale
from search import run_search
from throughput import ThroughputOptions, run_throughput
from webhooks import run_webhooks
from workflow import run_workflow

BENCHMARKS = [
    "throughput",
    "scale",
    "queries",
    "load",
    "audit",
    "search",
    "workflow",
    "webhooks",
    "ops",
]
FULL_SIZES = [1_000, 1_000_000]
QUICK_SIZES = [1_000, 100_000]
FULL_LOAD_S = 60
QUICK_LOAD_S = 20
FULL_AUDIT_ROWS = 1_000_000
QUICK_AUDIT_ROWS = 100_000
FULL_SEARCH_DOCS = 100_000
QUICK_SEARCH_DOCS = 10_000
# The workflow benchmark's bulk takes 1,000 items from /bulk, a tenth of the tree.
FULL_WORKFLOW_NODES = 100_000
QUICK_WORKFLOW_NODES = 20_000


def parse_sizes(text: str) -> list[int]:
    """``1000,20000`` or ``1k,20k``, ``1m``: the tree sizes of the scale benchmark."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        multiplier = {"k": 1_000, "m": 1_000_000}.get(part[-1:], 1)
        digits = part[:-1] if multiplier > 1 else part
        if not digits.isdigit() or int(digits) * multiplier < 200:
            raise argparse.ArgumentTypeError(f"{text!r}: expected sizes of at least 200 nodes")
        sizes.append(int(digits) * multiplier)
    return sizes


def positive(text: str) -> int:
    """A whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of at least 1")
    return int(text)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument(
        "benchmark",
        nargs="?",
        default="all",
        choices=["all", *BENCHMARKS],
        help="which benchmark to run (default: all)",
    )
    cli.add_argument(
        "--database-url",
        help="database for every benchmark (its name must contain 'bench'); default: "
        f"{MARIADB_URL}, except a temporary SQLite file for queries, webhooks and ops, "
        "and both of them for load",
    )
    cli.add_argument(
        "--quick",
        action="store_true",
        help=f"scale: trees of {QUICK_SIZES} nodes instead of {FULL_SIZES}; "
        f"load: {QUICK_LOAD_S} s instead of {FULL_LOAD_S}; workflow: a tree of "
        f"{QUICK_WORKFLOW_NODES:,} nodes instead of {FULL_WORKFLOW_NODES:,}",
    )
    cli.add_argument("--nodes", type=parse_sizes, help="scale: tree sizes to compare, e.g. 1k,20k")
    options: list[tuple[str, int, str]] = [
        ("--samples", 2000, "scale: timed operations of each kind"),
        ("--warmup-ops", 200, "scale: untimed operations of each kind first"),
        ("--seed", 2026, "scale and load: seed of the random picks"),
        ("--duration", 5, "throughput: seconds measured per kind of request and round"),
        ("--warmup", 3, "throughput: seconds of warm-up per app"),
        ("--rounds", 3, "throughput: measured rounds, alternating the apps"),
        ("--threads", 4, "throughput and load: waitress threads of each server"),
        ("--clients", 16, "load: concurrent clients"),
    ]
    for flag, default, text in options:
        cli.add_argument(flag, type=positive, default=default, help=f"{text} (default: {default})")
    cli.add_argument(
        "--connections",
        type=positive,
        help="throughput: concurrent connections (default: as many as --threads)",
    )
    cli.add_argument(
        "--load-duration",
        type=positive,
        help=f"load: seconds of load on each database (default: {FULL_LOAD_S})",
    )
    cli.add_argument("--show-sql", action="store_true", help="queries: print each statement")
    cli.add_argument(
        "--no-workers", action="store_true", help="throughput: skip gunicorn's 1 vs 2 workers"
    )
    cli.add_argument("--keep", action="store_true", help="keep the databases it created")
    cli.add_argument("--check", action="store_true", help="exit with status 1 if a budget FAILs")
    return cli


def load_rows(urls: list[str | None], clients: int) -> list[list[str]]:
    """The load test's rows of the summary table, one pair per database."""
    rows = []
    for url, errors, growth in zip(urls, load.LAST_ERRORS, load.LAST_MEMORY_GROWTH, strict=False):
        name = "SQLite" if url is None else url.split("+")[0].split(":")[0]
        rows.append(
            [
                f"errors and 5xx, {clients} clients of mixed reads and writes, {name}",
                str(errors),
                "0",
                "PASS" if errors == 0 else "FAIL",
            ]
        )
        rows.append(
            [
                f"server memory growth after warm-up under that load, {name}",
                f"{growth:+.1f} MiB",
                f"< {load.MAX_RSS_GROWTH_MB} MiB",
                "PASS" if growth < load.MAX_RSS_GROWTH_MB else "FAIL",
            ]
        )
    return rows


def stop_on_terminate(signal_number: int, frame: object) -> None:
    """Turn SIGTERM (``timeout``, a CI runner) into an exit that still cleans up."""
    raise SystemExit(128 + signal_number)


def main() -> int:
    """Run the chosen benchmarks and print a summary."""
    options = parser().parse_args()
    # The finally blocks stop the servers and drop the databases; without this
    # a terminated run would leave both behind.
    signal.signal(signal.SIGTERM, stop_on_terminate)
    chosen = BENCHMARKS if options.benchmark == "all" else [options.benchmark]
    sizes = options.nodes or (QUICK_SIZES if options.quick else FULL_SIZES)
    print(
        f"Charter benchmarks, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print()
    verdicts: dict[str, bool] = {}
    # The rows of issue 12's table each benchmark measured: measure, figure, target, verdict.
    table: list[list[str]] = []
    work_folder = Path(tempfile.mkdtemp(prefix="charter-bench-"))
    started = time.monotonic()
    try:
        if "throughput" in chosen:
            verdicts["throughput"], rows = run_throughput(
                options.database_url or MARIADB_URL,
                ThroughputOptions(
                    threads=options.threads,
                    connections=options.connections or options.threads,
                    duration_s=options.duration,
                    warmup_s=options.warmup,
                    rounds=options.rounds,
                    workers=not options.no_workers,
                ),
                options.keep,
                work_folder,
            )
            table += rows
        if "scale" in chosen:
            verdicts["scale"] = run_scale(
                options.database_url or MARIADB_URL,
                sizes,
                "--nodes" if options.nodes else "--quick" if options.quick else "full run",
                options.samples,
                options.warmup_ops,
                options.seed,
                options.keep,
                work_folder,
            )
            table.extend(scale.SUMMARY_ROWS)
        if "queries" in chosen:
            verdicts["queries"] = run_querycounts(
                options.database_url, options.keep, options.show_sql, work_folder
            )
        if "load" in chosen:
            load_urls = [options.database_url] if options.database_url else [None, MARIADB_URL]
            verdicts["load"] = run_load(
                load_urls,
                LoadOptions(
                    clients=options.clients,
                    duration_s=options.load_duration
                    or (QUICK_LOAD_S if options.quick else FULL_LOAD_S),
                    seed=options.seed,
                ),
                options.threads,
                options.keep,
                work_folder,
            )
            table.extend(load_rows(load_urls, options.clients))
        if "audit" in chosen:
            verdicts["audit"] = run_audit(
                options.database_url or MARIADB_URL,
                QUICK_AUDIT_ROWS if options.quick else FULL_AUDIT_ROWS,
                min(options.samples, 200),
                options.seed,
                options.keep,
                work_folder,
            )
        if "search" in chosen:
            verdicts["search"] = run_search(
                options.database_url or MARIADB_URL,
                QUICK_SEARCH_DOCS if options.quick else FULL_SEARCH_DOCS,
                min(options.samples, 30),
                options.keep,
                work_folder,
            )
        if "workflow" in chosen:
            verdicts["workflow"] = run_workflow(
                options.database_url or MARIADB_URL,
                QUICK_WORKFLOW_NODES if options.quick else FULL_WORKFLOW_NODES,
                options.keep,
                work_folder,
            )
        if "webhooks" in chosen:
            verdicts["webhooks"] = run_webhooks(options.database_url)
        if "ops" in chosen:
            verdicts["ops"] = run_ops(options.database_url)
    except BenchmarkError as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        if not options.keep:
            shutil.rmtree(work_folder, ignore_errors=True)
        elif not any(work_folder.iterdir()):
            work_folder.rmdir()
    if table:
        print("== The performance targets (issue 12), figures of this run ==")
        print_table(["measure", "figure (median round, range)", "target", "verdict"], table)
        print()
    summary = ", ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in verdicts.items())
    print(f"Summary: {summary} ({time.monotonic() - started:.0f} s)")
    return 1 if options.check and not all(verdicts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
