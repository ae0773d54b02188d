"""Throughput: Charter's JSON GET of a document against a bare Pyramid "hello world".

Both apps run under waitress with the same thread count, in their own
processes, on 127.0.0.1; the same load generator drives each for the same
time. Charter is read as an integration partner reads it: an ordinary
reader's API token in an ``Authorization: Bearer`` header. DESIGN.md's
budget: Charter serves at least half the hello world's requests per second.
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from benchlib import (
    charter_engine,
    database_url,
    describe_server,
    fresh_database,
    open_to_readers,
    print_table,
    remove_database,
    shown,
    verdict,
)
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from charter.content.services import ContentService

TARGET_RATIO = 0.5
SERVE_SCRIPT = Path(__file__).with_name("serve.py")
DOCUMENT_PATH = "/guides/handbook/install"
DOCUMENT_URL_PATH = "/api/v1/content" + DOCUMENT_PATH
SERVER_START_TIMEOUT_S = 60
SERVER_STOP_TIMEOUT_S = 10
WRK = "wrk"

DOCUMENT_BODY = """\
## Before you start

You need a database server and Python **3.11** or newer. Ask the operations
team for an account on the staging database; the [handbook](/guides/handbook)
lists who to ask.

1. Create a virtual environment.
2. Install Charter with its PostgreSQL or MySQL extra.
3. Run `charter-init production.ini` once.

| Setting | Typical value |
| ------- | ------------- |
| charter.db.pool_size | 10 |
| retry.attempts | 3 |

> Keep `charter.debug` off in production.
"""


@dataclass(frozen=True)
class LoadResult:
    """What one timed run of the load generator saw."""

    requests_per_second: float
    requests: int
    errors: int
    socket_errors: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None


@dataclass(frozen=True)
class ThroughputOptions:
    """How long and how hard to drive each server."""

    threads: int
    connections: int
    duration_s: int
    warmup_s: int
    rounds: int = 1


def seed_document(url: URL) -> str:
    """A migrated site with a Markdown document at depth 3; returns a reader's API token."""
    fresh_database(url)
    engine = charter_engine(url)
    try:
        with Session(engine) as session, session.begin():
            content = ContentService(session)
            root = content.create_root("Charter benchmark")
            token = open_to_readers(session, root)
            guides = content.add_folder(root, "guides", "Guides", "How we work.")
            handbook = content.add_folder(guides, "handbook", "Handbook")
            content.add_document(
                handbook, "install", "Installing Charter", DOCUMENT_BODY, "For operators."
            )
    finally:
        engine.dispose()
    return token


@contextmanager
def served(app: str, threads: int, log: IO[str], database: URL | None = None) -> Iterator[str]:
    """Run ``serve.py app`` as a subprocess; yields its base URL; always stops it."""
    command = [sys.executable, str(SERVE_SCRIPT), app, "--threads", str(threads)]
    if database is not None:
        command += ["--database-url", database.render_as_string(hide_password=False)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        yield _wait_for_address(process, app)
    finally:
        process.terminate()
        try:
            process.wait(SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_for_address(process: subprocess.Popen[str], app: str) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(SERVER_START_TIMEOUT_S)
    found = re.match(r"listening on (http://127\.0\.0\.1:\d+)", line[0] if line else "")
    if found is None:
        raise RuntimeError(f"the {app} server did not start (see its log)")
    return found.group(1)


def check_response(url: str, headers: dict[str, str], expect: bytes) -> None:
    """One GET that must answer 200 with ``expect`` in the body, before any load."""
    address = re.match(r"http://([^:/]+):(\d+)(.*)", url)
    if address is None:
        raise ValueError(url)
    connection = http.client.HTTPConnection(address[1], int(address[2]), timeout=30)
    try:
        connection.request("GET", address[3] or "/", headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200 or expect not in body:
        raise RuntimeError(f"GET {url} answered {response.status}: {body[:200]!r}")


def run_wrk(url: str, headers: dict[str, str], connections: int, duration_s: int) -> LoadResult:
    """Drive ``url`` with wrk (one thread: the other core is the server's)."""
    header_options = [f"--header={name}: {value}" for name, value in headers.items()]
    output = subprocess.run(
        [WRK, "-t1", f"-c{connections}", f"-d{duration_s}s", "--latency", *header_options, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rate is None or total is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.findall(r"(?:connect|read|write|timeout) (\d+)", output)
    return LoadResult(
        requests_per_second=float(rate[1]),
        requests=int(total[1]),
        errors=int(errors[1]) if errors else 0,
        socket_errors=sum(int(count) for count in socket_errors),
        latency_p50_ms=_wrk_latency(output, "50%"),
        latency_p99_ms=_wrk_latency(output, "99%"),
    )


def _wrk_latency(output: str, percent: str) -> float | None:
    found = re.search(rf"^\s+{re.escape(percent)}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if found is None:
        return None
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[found[2]]
    return float(found[1]) * scale


def run_python_client(
    url: str, headers: dict[str, str], connections: int, duration_s: int
) -> LoadResult:
    """A plain keep-alive HTTP client in threads: the fallback when wrk is missing.

    Python threads send requests more slowly than wrk, so both apps' figures
    are lower bounds and the ratio is less sharp.
    """
    address = re.match(r"http://([^:/]+):(\d+)(.*)", url)
    if address is None:
        raise ValueError(url)
    host, port, path = address[1], int(address[2]), address[3] or "/"
    deadline = time.monotonic() + duration_s
    counts: list[tuple[int, int, int]] = []
    lock = threading.Lock()

    def drive() -> None:
        done = failed = broken = 0
        connection = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < deadline:
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                broken += 1
                connection.close()
                continue
            done += 1
            failed += response.status >= 400
        connection.close()
        with lock:
            counts.append((done, failed, broken))

    started = time.monotonic()
    workers = [threading.Thread(target=drive) for _ in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    total = sum(done for done, _, _ in counts)
    return LoadResult(
        requests_per_second=total / elapsed,
        requests=total,
        errors=sum(failed for _, failed, _ in counts),
        socket_errors=sum(broken for _, _, broken in counts),
        latency_p50_ms=None,
        latency_p99_ms=None,
    )


def compare(
    hello_url: str,
    charter_url: str,
    charter_headers: dict[str, str],
    options: ThroughputOptions,
    use_wrk: bool,
) -> tuple[list[LoadResult], list[LoadResult]]:
    """Warm both servers up, then measure them in turn, round after round.

    Alternating the two in several rounds spreads whatever else the machine
    is doing over both, instead of letting it land on one of them.
    """
    run = run_wrk if use_wrk else run_python_client
    if options.warmup_s:
        run(hello_url, {}, options.connections, options.warmup_s)
        run(charter_url, charter_headers, options.connections, options.warmup_s)
    hello: list[LoadResult] = []
    charter: list[LoadResult] = []
    for _ in range(options.rounds):
        hello.append(run(hello_url, {}, options.connections, options.duration_s))
        charter.append(run(charter_url, charter_headers, options.connections, options.duration_s))
    return hello, charter


def median_result(results: list[LoadResult]) -> LoadResult:
    """The round with the median rate (the lower middle one for an even count)."""
    ordered = sorted(results, key=lambda result: result.requests_per_second)
    return ordered[(len(ordered) - 1) // 2]


def run_throughput(
    base_url: str | None, options: ThroughputOptions, keep: bool, work_folder: Path
) -> bool:
    """Run the benchmark, print its figures, and return whether it met the budget.

    ``work_folder`` holds the servers' log (and the SQLite file by default).
    """
    print("== Throughput: JSON GET of a document vs. a bare Pyramid hello world ==")
    use_wrk = shutil.which(WRK) is not None
    if not use_wrk:
        print(
            "  wrk is not installed, so a slower Python client generates the load; "
            "install wrk with 'apt-get install -y wrk' for accurate figures."
        )
    url = database_url(base_url, None, work_folder)
    log_path = work_folder / "servers.log"
    try:
        charter_headers = {"Authorization": f"Bearer {seed_document(url)}"}
        engine = charter_engine(url)
        try:
            server = describe_server(engine)
        finally:
            engine.dispose()
        print(f"  database: {shown(url)} ({server})")
        print(
            f"  waitress threads: {options.threads}; load: "
            f"{'wrk -t1' if use_wrk else 'python client'}, {options.connections} connections; "
            f"{options.warmup_s} s warm-up, then {options.rounds} round(s) of "
            f"{options.duration_s} s per app, alternating",
            flush=True,
        )
        with (
            log_path.open("w") as log,
            served("hello", options.threads, log) as hello_base,
            served("charter", options.threads, log, url) as charter_base,
        ):
            check_response(hello_base + "/", {}, b"Hello World!")
            check_response(charter_base + DOCUMENT_URL_PATH, charter_headers, b'"body_html"')
            hello_runs, charter_runs = compare(
                hello_base + "/",
                charter_base + DOCUMENT_URL_PATH,
                charter_headers,
                options,
                use_wrk,
            )
    except BaseException:
        if log_path.exists():
            print(f"  server log ({log_path}):\n{log_path.read_text()[-4000:]}")
        raise
    finally:
        if not keep:
            remove_database(url)

    hello, charter = median_result(hello_runs), median_result(charter_runs)
    # Each round's two runs sat side by side in time, so their ratio is the
    # fairest single comparison; the verdict takes the median round's.
    ratios = [
        charter_run.requests_per_second / hello_run.requests_per_second
        for hello_run, charter_run in zip(hello_runs, charter_runs, strict=True)
    ]
    ratio = statistics.median(ratios)
    rows = [
        _row("Pyramid hello world  GET /", hello),
        _row(f"Charter document     GET {DOCUMENT_URL_PATH}", charter),
    ]
    print_table(
        ["app (median round)", "req/s", "requests", "non-2xx", "socket errors", "p50 ms", "p99 ms"],
        rows,
    )
    if options.rounds > 1:
        for label, runs in (("hello world", hello_runs), ("Charter", charter_runs)):
            rates = ", ".join(f"{run.requests_per_second:,.0f}" for run in runs)
            print(f"  {label} req/s by round: {rates}")
        print(f"  ratio by round: {', '.join(f'{value:.2f}' for value in ratios)}")
    errors = sum(run.errors for run in hello_runs + charter_runs)
    socket_errors = sum(run.socket_errors for run in hello_runs + charter_runs)
    passed = ratio >= TARGET_RATIO and errors == 0 and socket_errors == 0
    print(
        f"  Charter / hello world = {ratio:.2f} (median of rounds; target >= {TARGET_RATIO}): "
        f"{verdict(passed)}"
    )
    if errors or socket_errors:
        print(
            f"  FAIL: {errors} error responses and {socket_errors} socket errors in all "
            f"rounds; the servers' log is {log_path} (kept with --keep)."
        )
    if keep:
        print(f"  kept: {shown(url)}")
    print()
    return passed


def _row(label: str, result: LoadResult) -> list[object]:
    def millis(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    return [
        label,
        f"{result.requests_per_second:,.0f}",
        f"{result.requests:,}",
        result.errors,
        result.socket_errors,
        millis(result.latency_p50_ms),
        millis(result.latency_p99_ms),
    ]
