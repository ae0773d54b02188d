"""``charter-worker CONFIG_URI [--once]``: deliver webhooks and prune the change feed.

Runs until stopped (SIGTERM or Ctrl-C finish the delivery in hand first).
Several workers may run against one MariaDB or PostgreSQL database: each
claims its own rows (charter.changes.delivery). With SQLite, run one. Every
minute it also drops feed entries older than ``charter.changes.retention_days``
and expired idempotency keys.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from charter.changes.delivery import Deliverer
from charter.changes.feed import prune
from charter.changes.idempotency import IdempotencyStore
from charter.db.session import WRITES_ENGINE_KEY
from charter.scripts.environment import app_environment

log = logging.getLogger("charter.worker")
HOUSEKEEPING_S = 60


def housekeeping(registry: Any) -> str:
    """Prune the feed and the expired idempotency keys; what was removed, in one line."""
    settings = registry.settings
    engine = registry[WRITES_ENGINE_KEY]
    with Session(engine) as session, session.begin():
        entries = prune(session, settings["charter.changes.retention_days"])
    keys = IdempotencyStore(engine.begin, settings["charter.api.idempotency_hours"]).prune()
    return f"pruned {entries} feed entries and {keys} expired idempotency keys"


def run(registry: Any, once: bool, stop: threading.Event, batch: int = 20) -> int:
    """Deliver until ``stop`` is set (or, with ``once``, until nothing is due); messages sent."""
    settings = registry.settings
    deliverer = Deliverer(registry[WRITES_ENGINE_KEY], settings)
    pause = settings["charter.webhooks.poll_interval_ms"] / 1000
    sent = 0
    next_housekeeping = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_housekeeping:
            log.info(housekeeping(registry))
            next_housekeeping = time.monotonic() + HOUSEKEEPING_S
        done = deliverer.run_once(batch)
        sent += done
        if done:
            continue
        if once:
            break
        stop.wait(pause)
    return sent


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-worker``."""
    parser = argparse.ArgumentParser(prog="charter-worker", description=__doc__.splitlines()[0])
    parser.add_argument("config_uri", help="the ini file, such as production.ini")
    parser.add_argument(
        "--once", action="store_true", help="deliver what is due now, then exit (for cron)"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    with app_environment(args.config_uri) as env:
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        sent = run(env["registry"], args.once, stop)
    print(f"Delivered or attempted {sent} webhook message(s).")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
