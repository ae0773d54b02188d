"""Throughput: Charter's reads and writes against the floor app and a bare "hello world".

Three apps run under waitress with the same thread count, each in its own
process, on 127.0.0.1, on the same database: Charter, the **floor**
(benchmarks/floor.py: one primary-key SELECT through pyramid_tm and
zope.sqlalchemy, the row as JSON; the least any app answering from the
database can do) and Pyramid's hello world (no database: the ceiling). The
same load generator drives each kind of request for the same time, the kinds
one after the other and round after round, so that what else the machine
does falls on all of them alike; every ratio is taken within a round and
the verdict uses the median round (the range is printed too).

Then Charter runs under gunicorn with 1 and with 2 worker processes
(gthread, the same threads each), measured alternately the same way.
Charter is read as an integration partner reads it: an ordinary reader's
API token in ``Authorization: Bearer``; the writes are an Editor's.
"""

from __future__ import annotations

import http.client
import importlib.util
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from benchlib import (
    charter_engine,
    database_url,
    describe_server,
    print_table,
    remove_database,
    shown,
    verdict,
)
from benchsite import (
    API_PREFIX,
    BIG_FOLDER_PATH,
    DOCUMENT_PATH,
    EDITS_FOLDER_PATH,
    Site,
    edit_name,
    seed_site,
)
from sqlalchemy.engine import URL

SERVE_SCRIPT = Path(__file__).with_name("serve.py")
DOCUMENT_URL_PATH = API_PREFIX + DOCUMENT_PATH
SERVER_START_TIMEOUT_S = 180
SERVER_STOP_TIMEOUT_S = 10
WRK = "wrk"
HTML = {"Accept": "text/html"}


@dataclass(frozen=True)
class LoadResult:
    """What one timed run of the load generator saw."""

    requests_per_second: float
    requests: int
    errors: int
    socket_errors: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    # The statuses of the python client's error responses, one each.
    bad_statuses: tuple[int, ...] = ()


@dataclass(frozen=True)
class ThroughputOptions:
    """How long and how hard to drive each server."""

    threads: int
    connections: int
    duration_s: int
    warmup_s: int
    rounds: int = 1
    workers: bool = True


@dataclass(frozen=True)
class Kind:
    """One kind of request: which server, what to ask, and what a good answer holds."""

    key: str
    label: str
    server: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    expect: bytes = b""
    status: int = 200


@dataclass(frozen=True)
class Ratio:
    """A row of the issue's table: numerator ÷ denominator, per round, against a target."""

    label: str
    numerator: str
    denominator: str
    target: float
    at_most: bool = False

    def passes(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        return value <= self.target if self.at_most else value >= self.target


RATIOS = [
    Ratio("JSON GET of a document (reader token) ÷ the one-SELECT floor", "json", "floor", 0.8),
    Ratio("HTML view of a document ÷ the floor", "html", "floor", 0.7),
    Ratio("first page (50) of a 1,000-child folder, JSON ÷ HTML", "folder-json", "folder-html", 1),
    Ratio("If-None-Match revalidation (304) of a document ÷ hello world", "304", "hello", 0.3),
    Ratio("JSON GET of a document ÷ hello world (DESIGN.md's budget)", "json", "hello", 0.5),
    Ratio("PATCH of a document, req/s ÷ GET of it (Editor token)", "patch", "get", 0.4),
    Ratio("2 gunicorn workers ÷ 1 worker (JSON GET of a document)", "workers-2", "workers-1", 1.7),
]


def kinds_for(site: Site) -> list[Kind]:
    """The kinds of request the load generator drives, in the order of each round."""
    return [
        Kind("floor", "floor app  GET /node", "floor", "/node", {}, b'"version"'),
        Kind("hello", "hello world  GET /", "hello", "/", {}, b"Hello World!"),
        Kind(
            "json",
            f"Charter  GET {DOCUMENT_URL_PATH}",
            "charter",
            DOCUMENT_URL_PATH,
            site.headers,
            b'"body_html"',
        ),
        Kind(
            "html",
            f"Charter  GET {DOCUMENT_PATH} (HTML)",
            "charter",
            DOCUMENT_PATH,
            {**site.headers, **HTML},
            b'id="content"',
        ),
        Kind(
            "304",
            "Charter  GET document, If-None-Match (304)",
            "charter",
            DOCUMENT_URL_PATH,
            {**site.headers, "If-None-Match": f'"{site.document_version}"'},
            status=304,
        ),
        Kind(
            "folder-json",
            f"Charter  GET {API_PREFIX}{BIG_FOLDER_PATH}",
            "charter",
            API_PREFIX + BIG_FOLDER_PATH,
            site.headers,
            b'"next"',
        ),
        Kind(
            "folder-html",
            f"Charter  GET {BIG_FOLDER_PATH} (HTML)",
            "charter",
            BIG_FOLDER_PATH,
            {**site.headers, **HTML},
            b"Item 0",
        ),
    ]


@contextmanager
def served(
    app: str,
    threads: int,
    log: IO[str],
    database: URL | None = None,
    extra: tuple[str, ...] = (),
) -> Iterator[ServerAddress]:
    """Run ``serve.py app`` as a subprocess; yields its base URL (with its pid); always stops it."""
    command = [sys.executable, str(SERVE_SCRIPT), app, "--threads", str(threads), *extra]
    if database is not None:
        command += ["--database-url", database.render_as_string(hide_password=False)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        yield ServerAddress(_wait_for_address(process, app), process.pid)
    finally:
        process.terminate()
        try:
            process.wait(SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


class ServerAddress(str):
    """A server's base URL that also knows the server's process id (for its memory)."""

    pid: int

    def __new__(cls, url: str, pid: int) -> ServerAddress:
        address = super().__new__(cls, url)
        address.pid = pid
        return address


def _wait_for_address(process: subprocess.Popen[str], app: str) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(SERVER_START_TIMEOUT_S)
    found = re.match(r"listening on (http://127\.0\.0\.1:\d+)", line[0] if line else "")
    if found is None:
        raise RuntimeError(f"the {app} server did not start (see its log)")
    return found.group(1)


def check_response(url: str, headers: dict[str, str], expect: bytes, status: int = 200) -> None:
    """One GET that must answer ``status`` with ``expect`` in the body, before any load."""
    address = re.match(r"http://([^:/]+):(\d+)(.*)", url)
    if address is None:
        raise ValueError(url)
    connection = http.client.HTTPConnection(address[1], int(address[2]), timeout=60)
    try:
        connection.request("GET", address[3] or "/", headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != status or expect not in body:
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


# One client connection's work: (connection, its number) -> the status of one request.
Step = Callable[[http.client.HTTPConnection, int], int]


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
    path = address[3] or "/"

    def get(connection: http.client.HTTPConnection, number: int) -> int:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status

    return drive_connections(url, [get] * connections, duration_s, {200, 304})


def drive_connections(url: str, steps: list[Step], duration_s: int, good: set[int]) -> LoadResult:
    """Run each step again and again on a keep-alive connection of its own for ``duration_s``."""
    address = re.match(r"http://([^:/]+):(\d+)", url)
    if address is None:
        raise ValueError(url)
    host, port = address[1], int(address[2])
    deadline = time.monotonic() + duration_s
    counts: list[tuple[int, int, int]] = []
    bad: set[int] = set()
    lock = threading.Lock()

    def drive(step: Step, number: int) -> None:
        done = failed = broken = 0
        connection = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < deadline:
            try:
                status = step(connection, number)
            except (OSError, http.client.HTTPException):
                broken += 1
                connection.close()
                continue
            done += 1
            if status not in good:
                failed += 1
                bad.add(status)
        connection.close()
        with lock:
            counts.append((done, failed, broken))

    started = time.monotonic()
    workers = [
        threading.Thread(target=drive, args=(step, number)) for number, step in enumerate(steps)
    ]
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
        bad_statuses=tuple(sorted(bad)),
    )


class Editing:
    """Each client connection reads or changes a document of its own in ``/edits``.

    ``get`` reads it (200); ``patch`` changes its title with the ``If-Match``
    of the ETag it last saw, so every PATCH is a real change that must
    answer 200 (a 412 would be counted as an error).
    """

    def __init__(self, site: Site, clients: int) -> None:
        self.headers = site.editor_headers
        self.paths = [f"{API_PREFIX}{EDITS_FOLDER_PATH}/{edit_name(n)}" for n in range(clients)]
        self.etags: dict[int, str] = {}
        self.changes = 0

    def get(self, connection: http.client.HTTPConnection, number: int) -> int:
        """GET the client's document."""
        connection.request("GET", self.paths[number], headers=self.headers)
        response = connection.getresponse()
        response.read()
        self.etags[number] = response.getheader("ETag", "")
        return response.status

    def patch(self, connection: http.client.HTTPConnection, number: int) -> int:
        """PATCH the client's document's title."""
        if number not in self.etags:
            self.get(connection, number)
        self.changes += 1
        body = f'{{"title": "Edited {number}-{self.changes}"}}'
        headers = {
            **self.headers,
            "Content-Type": "application/json",
            "If-Match": self.etags[number],
        }
        connection.request("PATCH", self.paths[number], body=body.encode(), headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            self.etags[number] = response.getheader("ETag", "")
        else:
            # Counted as an error; the next PATCH reads the document afresh.
            del self.etags[number]
        return response.status


@dataclass
class Runs:
    """Every measured run, by kind, in round order."""

    by_kind: dict[str, list[LoadResult]] = field(default_factory=dict)

    def add(self, key: str, result: LoadResult) -> None:
        """Record one run."""
        self.by_kind.setdefault(key, []).append(result)

    def ratios(self, ratio: Ratio) -> list[float]:
        """The ratio in each round where both sides were measured."""
        tops, bottoms = self.by_kind.get(ratio.numerator), self.by_kind.get(ratio.denominator)
        if not tops or not bottoms:
            return []
        return [
            top.requests_per_second / bottom.requests_per_second
            for top, bottom in zip(tops, bottoms, strict=False)
            if bottom.requests_per_second
        ]


def measure(
    bases: dict[str, str],
    kinds: list[Kind],
    editing: Editing,
    options: ThroughputOptions,
    use_wrk: bool,
    runs: Runs,
) -> None:
    """Warm every kind up, then measure them in turn, round after round."""
    run = run_wrk if use_wrk else run_python_client
    charter = bases["charter"]
    clients = options.connections
    writes: list[tuple[str, Callable[[int], LoadResult]]] = [
        ("get", lambda s: drive_connections(charter, [editing.get] * clients, s, {200})),
        ("patch", lambda s: drive_connections(charter, [editing.patch] * clients, s, {200})),
    ]
    if options.warmup_s:
        for kind in kinds:
            run(bases[kind.server] + kind.path, kind.headers, clients, options.warmup_s)
        for _, drive in writes:
            drive(options.warmup_s)
    for number in range(options.rounds):
        print(f"  round {number + 1} of {options.rounds}...", flush=True)
        for kind in kinds:
            runs.add(
                kind.key,
                run(bases[kind.server] + kind.path, kind.headers, clients, options.duration_s),
            )
        for key, drive in writes:
            runs.add(key, drive(options.duration_s))


def measure_workers(
    url: URL,
    site: Site,
    options: ThroughputOptions,
    use_wrk: bool,
    log: IO[str],
    runs: Runs,
) -> str | None:
    """Charter under gunicorn with 1 and 2 workers, alternately; None, or why it was not run."""
    if importlib.util.find_spec("gunicorn") is None:
        return "gunicorn is not installed (.venv/bin/pip install gunicorn)"
    run = run_wrk if use_wrk else run_python_client
    # Enough connections to keep two processes' threads busy.
    clients = 2 * options.connections
    with ExitStack() as stack:
        bases = {
            workers: stack.enter_context(
                served("charter", options.threads, log, url, ("--workers", str(workers)))
            )
            for workers in (1, 2)
        }
        for base in bases.values():
            check_response(base + DOCUMENT_URL_PATH, site.headers, b'"body_html"')
            if options.warmup_s:
                run(base + DOCUMENT_URL_PATH, site.headers, clients, options.warmup_s)
        for _ in range(options.rounds):
            for workers, base in bases.items():
                result = run(base + DOCUMENT_URL_PATH, site.headers, clients, options.duration_s)
                runs.add(f"workers-{workers}", result)
    return None


def run_throughput(
    base_url: str | None, options: ThroughputOptions, keep: bool, work_folder: Path
) -> tuple[bool, list[list[str]]]:
    """Run the benchmark and print its figures; returns the verdict and the summary rows."""
    print("== Throughput: Charter against the one-SELECT floor and a bare hello world ==")
    use_wrk = shutil.which(WRK) is not None
    if not use_wrk:
        print(
            "  wrk is not installed, so a slower Python client generates the load; "
            "install wrk with 'apt-get install -y wrk' for accurate figures."
        )
    url = database_url(base_url, None, work_folder)
    log_path = work_folder / "servers.log"
    runs = Runs()
    skipped = None
    try:
        print("  seeding the site...", flush=True)
        site = seed_site(url)
        engine = charter_engine(url)
        try:
            server = describe_server(engine)
        finally:
            engine.dispose()
        print(f"  database: {shown(url)} ({server})")
        print(
            f"  waitress threads: {options.threads}; reads: "
            f"{'wrk -t1' if use_wrk else 'python client'}, writes and their GETs: python "
            f"client; {options.connections} connections; {options.warmup_s} s warm-up, then "
            f"{options.rounds} round(s) of {options.duration_s} s per kind, alternating",
            flush=True,
        )
        kinds = kinds_for(site)
        with ExitStack() as stack:
            log = stack.enter_context(log_path.open("w"))
            bases = {
                "hello": stack.enter_context(served("hello", options.threads, log)),
                "floor": stack.enter_context(
                    served("floor", options.threads, log, url, ("--node-id", str(site.document_id)))
                ),
                "charter": stack.enter_context(served("charter", options.threads, log, url)),
            }
            for kind in kinds:
                check_response(
                    bases[kind.server] + kind.path, kind.headers, kind.expect, kind.status
                )
            measure(bases, kinds, Editing(site, options.connections), options, use_wrk, runs)
            if options.workers:
                print("  gunicorn, 1 and 2 workers...", flush=True)
                skipped = measure_workers(url, site, options, use_wrk, log, runs)
    except BaseException:
        if log_path.exists():
            print(f"  server log ({log_path}):\n{log_path.read_text()[-4000:]}")
        raise
    finally:
        if not keep:
            remove_database(url)
    return report(runs, kinds, skipped, options, log_path, keep, url)


def report(
    runs: Runs,
    kinds: list[Kind],
    skipped: str | None,
    options: ThroughputOptions,
    log_path: Path,
    keep: bool,
    url: URL,
) -> tuple[bool, list[list[str]]]:
    """Print the rates and the ratios; return the verdict and the summary rows."""
    labels = {kind.key: kind.label for kind in kinds}
    labels.update(
        get="Charter  GET /edits/<own document> (Editor, python client)",
        patch="Charter  PATCH /edits/<own document> (Editor, python client)",
        **{"workers-1": "Charter under gunicorn, 1 worker", "workers-2": "... 2 workers"},
    )
    rows = []
    for key, results in runs.by_kind.items():
        rates = [result.requests_per_second for result in results]
        median = sorted(results, key=lambda result: result.requests_per_second)[
            (len(results) - 1) // 2
        ]
        rows.append(
            [
                labels.get(key, key),
                f"{statistics.median(rates):,.0f}",
                f"{min(rates):,.0f}-{max(rates):,.0f}",
                sum(result.errors for result in results),
                sum(result.socket_errors for result in results),
                "-" if median.latency_p50_ms is None else f"{median.latency_p50_ms:.2f}",
            ]
        )
    print_table(["requests", "req/s (median)", "range", "errors", "socket errors", "p50 ms"], rows)
    errors = sum(r.errors + r.socket_errors for results in runs.by_kind.values() for r in results)
    for key, results in runs.by_kind.items():
        statuses = sorted({status for result in results for status in result.bad_statuses})
        if statuses:
            print(f"  {labels.get(key, key)}: error statuses {statuses}")
    summary = []
    all_passed = errors == 0
    for ratio in RATIOS:
        values = runs.ratios(ratio)
        if not values:
            reason = skipped if ratio.numerator.startswith("workers") else "not measured"
            summary.append([ratio.label, "-", _target(ratio), f"not run: {reason}"])
            continue
        value = statistics.median(values)
        passed = ratio.passes(value)
        all_passed &= passed
        shown_values = ", ".join(f"{v:.2f}" for v in values)
        summary.append(
            [
                ratio.label,
                f"{value:.2f} ({min(values):.2f}-{max(values):.2f})",
                _target(ratio),
                verdict(passed),
            ]
        )
        print(f"  {ratio.label}: by round {shown_values}")
    if errors:
        print(
            f"  FAIL: {errors} error responses or socket errors in all runs; the servers' "
            f"log is {log_path} (kept with --keep)."
        )
    if keep:
        print(f"  kept: {shown(url)}")
    print()
    return all_passed, summary


def _target(ratio: Ratio) -> str:
    return f"{'<=' if ratio.at_most else '>='} {ratio.target:g}"
