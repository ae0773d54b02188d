"""Webhooks: from a change's commit to its first delivery attempt, with charter-worker running.

A fresh database, one webhook endpoint (a receiver on 127.0.0.1, so the run
sets charter.webhooks.allow_private), and ``charter-worker`` started as its own
process, as production runs it. Writers then commit CHANGES new folders, a
few a second, each in its own transaction through Charter's editing service
(the outbox row is written in that transaction). The receiver notes when each
delivery arrives; the latency is arrival minus the moment the commit
returned. Target: p95 under TARGET_P95_S.

    .venv/bin/python benchmarks/webhooks.py [--database-url URL] [--changes N]
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchlib import app_settings, database_url, fresh_database, percentile, shown, verdict
from sqlalchemy.orm import Session

from charter import make_configurator
from charter.changes.webhooks import EndpointChanges, WebhookService
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.db.session import WRITES_ENGINE_KEY

TARGET_P95_S = 5.0
HERE = Path(__file__).resolve().parent


class Receiver(http.server.ThreadingHTTPServer):
    """Notes when each delivery (by the path of its node) arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                path = json.loads(body)["data"]["path"]
                receiver.arrivals.setdefault(path, time.time())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def write(registry, name: str) -> None:
    """Commit a new folder ``name`` in the root, in a transaction of its own."""
    with Session(registry[WRITES_ENGINE_KEY]) as session, session.begin():
        content = ContentService(session, types=types_of(registry), notify=registry.notify)
        content.create(content.tree.resolve([]).context, "Folder", {"title": name}, name)


def run_webhooks(base_url: str | None, changes: int = 200, per_second: float = 20.0) -> bool:
    """Deliver ``changes`` changes through charter-worker; True when p95 meets the target."""
    url = database_url(base_url, "webhooks", Path(tempfile.gettempdir()))
    fresh_database(url)
    settings = {**app_settings(url), "charter.webhooks.allow_private": "true"}
    registry = make_configurator(settings, environ={}).registry
    engine = registry[WRITES_ENGINE_KEY]
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_port}/hook"

    with Session(engine) as session, session.begin():
        content = ContentService(session, types=types_of(registry), notify=registry.notify)
        content.create_root("Benchmark")
        WebhookService(session, allow_private=True).create(EndpointChanges(url=hook_url), None)

    with tempfile.TemporaryDirectory() as folder:
        ini = Path(folder) / "worker.ini"
        lines = ["[app:main]", "use = egg:charter"]
        lines += [f"{key} = {value}".replace("%", "%%") for key, value in settings.items()]
        ini.write_text("\n".join(lines) + "\n", encoding="utf-8")
        worker = subprocess.Popen(
            [sys.executable, "-m", "charter.scripts.worker", str(ini)],
            env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")},
            stdout=subprocess.DEVNULL,
        )
        try:
            # Measured from when the worker is up: one change delivered before the clock starts.
            write(registry, "warm-up")
            deadline = time.time() + 120
            while "/warm-up" not in receiver.arrivals and time.time() < deadline:
                time.sleep(0.1)
            committed: dict[str, float] = {}
            for number in range(changes):
                name = f"change-{number}"
                write(registry, name)
                committed[f"/{name}"] = time.time()
                time.sleep(1 / per_second)
            deadline = time.time() + 60
            while len(receiver.arrivals) <= changes and time.time() < deadline:
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    receiver.shutdown()

    latencies = sorted(
        receiver.arrivals[p] - t for p, t in committed.items() if p in receiver.arrivals
    )
    missing = changes - len(latencies)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(
        f"database: {shown(url)}; {changes} changes at {per_second}/s; worker polls "
        f"every {registry.settings['charter.webhooks.poll_interval_ms']} ms"
    )
    print(
        f"commit -> first delivery attempt: p50 {p50:.3f} s, p95 {p95:.3f} s, "
        f"max {latencies[-1]:.3f} s; not delivered: {missing}"
    )
    passed = missing == 0 and p95 < TARGET_P95_S
    print(f"p95 under {TARGET_P95_S} s and every change delivered: {verdict(passed)}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--per-second", type=float, default=20.0)
    args = parser.parse_args()
    return 0 if run_webhooks(args.database_url, args.changes, args.per_second) else 1


if __name__ == "__main__":
    sys.exit(main())
