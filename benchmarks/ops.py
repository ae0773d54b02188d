"""Operations benchmark: the probes' latency and what the ops tween costs per request.

``python benchmarks/ops.py [--database-url URL] [--requests N]``

Calls the whole WSGI app in-process (no HTTP server, so the figures are
Charter's own time): ``/healthz`` and ``/readyz`` must answer well under
50 ms (checked: p99 under 50 ms, median under 25 ms), and the ops tween (request id,
access log line, metrics) must add little to a request: the difference
in CPU time between ``/healthz`` with the access log and metrics on and with
both off is printed, with a budget of 10 times a fixed pure-Python workload (about 100 us on an
idle core), so that a loaded machine is not mistaken for a slow tween.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

from benchlib import (
    app_settings,
    database_url,
    fresh_database,
    percentile,
    print_table,
    remove_database,
    shown,
    verdict,
)

from charter import make_configurator
from charter.ops.logging import JSONFormatter

PROBE_BUDGET_MS = 50.0
# The tween's budget in units of a fixed pure-Python workload (sum(range(1000)),
# about 10 us on an idle 2020s core), so a busy shared machine does not fail it.
TWEEN_BUDGET_UNITS = 10.0


def call(app, path: str, clock=time.perf_counter) -> float:
    """Seconds one GET of ``path`` takes through the whole app (its body read), by ``clock``."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "HTTP_HOST": "bench",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    statuses = []
    started = clock()
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    for _ in body:
        pass
    elapsed = clock() - started
    if not statuses[0].startswith("200"):
        raise SystemExit(f"{path} answered {statuses[0]}")
    return elapsed


def sample(app, path: str, count: int, clock=time.perf_counter) -> list[float]:
    for _ in range(min(50, count)):
        call(app, path)  # warm up
    return sorted(call(app, path, clock) for _ in range(count))


def run_ops(base_url: str | None, requests: int = 2000) -> bool:
    """Time the probes and the ops tween; True when both meet their budgets."""
    folder = Path(tempfile.mkdtemp(prefix="charter-bench-ops-"))
    url = database_url(base_url, "ops", folder)
    fresh_database(url)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    access = logging.getLogger("charter.access")
    try:
        base = {**app_settings(url), "charter.blobs.path": str(folder / "blobs")}
        plain = make_configurator(base, environ={}).make_wsgi_app()
        observed = make_configurator(
            {**base, "charter.metrics.enabled": "true"}, environ={}
        ).make_wsgi_app()

        access.setLevel(logging.WARNING)
        bare = sample(plain, "/healthz", requests)
        bare_cpu = sample(plain, "/healthz", requests, time.thread_time)
        access.setLevel(logging.INFO)
        full = sample(observed, "/healthz", requests)
        full_cpu = sample(observed, "/healthz", requests, time.thread_time)
        readyz = sample(observed, "/readyz", requests // 4)
    finally:
        root.removeHandler(handler)
        remove_database(url)
        shutil.rmtree(folder, ignore_errors=True)

    def ms(values: list[float], percent: float) -> str:
        return f"{percentile(values, percent) * 1000:.3f}"

    print(f"ops benchmark on {shown(url)}, {requests} requests per figure, in-process")
    print_table(
        ["request", "p50 ms", "p99 ms"],
        [
            ["/healthz, access log and metrics off", ms(bare, 50), ms(bare, 99)],
            ["/healthz, access log (JSON) and metrics on", ms(full, 50), ms(full, 99)],
            ["/readyz (database, migrations, blob store)", ms(readyz, 50), ms(readyz, 99)],
        ],
    )
    # CPU time of the thread: what the tween costs, not how long the (shared)
    # machine made the request wait for a core.
    overhead_us = (statistics.mean(full_cpu) - statistics.mean(bare_cpu)) * 1e6
    unit_us = min(timeit.repeat(lambda: sum(range(1000)), number=200, repeat=5)) / 200 * 1e6
    probe_ok = all(
        percentile(values, 99) * 1000 < PROBE_BUDGET_MS
        and percentile(values, 50) * 1000 < PROBE_BUDGET_MS / 2
        for values in (full, readyz)
    )
    tween_ok = overhead_us < TWEEN_BUDGET_UNITS * unit_us
    print(
        f"{verdict(probe_ok)} probes: p99 under {PROBE_BUDGET_MS:.0f} ms, "
        f"median under {PROBE_BUDGET_MS / 2:.0f} ms"
    )
    print(
        f"{verdict(tween_ok)} access log + metrics add {overhead_us:.1f} us of CPU per request "
        f"= {overhead_us / unit_us:.1f} x sum(range(1000)) ({unit_us:.1f} us here); "
        f"budget {TWEEN_BUDGET_UNITS:.0f} x"
    )
    return probe_ok and tween_ok


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--database-url", help="a server database URL (default: SQLite)")
    cli.add_argument("--requests", type=int, default=2000, help="requests per figure")
    cli.add_argument("--check", action="store_true", help="exit with status 1 on a FAIL")
    args = cli.parse_args()
    passed = run_ops(args.database_url, args.requests)
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
