"""Where the time of one request goes: Charter's reads in-process, next to the floor app.

No server and no sockets: each app is called as a WSGI callable, so what is
measured is the app's own work (and its database's). Three ways to look:

``profiler.py``                        milliseconds per request of each kind (median of batches)
``profiler.py --cprofile json``        cProfile's top functions for one kind
``profiler.py --callgrind json``       CPU instructions per request under valgrind's callgrind:
                                      repeatable to a fraction of a per cent on a busy machine

Kinds: ``json`` (a document's API JSON, reader token), ``html`` (its page),
``304`` (If-None-Match revalidation), ``folder-json`` / ``folder-html``
(first page of 50 of a 1,000-child folder), ``patch`` (a title change with
If-Match, editor token), ``floor`` (the one-SELECT floor app), ``hello``.
The site is seeded afresh (benchmarks/benchsite.py) on ``--database-url``
(default: a temporary SQLite file) and dropped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from benchlib import app_settings, charter_engine, database_url, remove_database, shown
from benchsite import API_PREFIX, BIG_FOLDER_PATH, DOCUMENT_PATH, EDITED_PATH, Site, seed_site
from floor import floor_app
from serve import hello_app

KINDS = ("floor", "hello", "json", "304", "html", "folder-json", "folder-html", "patch")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ_for(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> dict:
    """A WSGI environ as waitress builds it for a request to 127.0.0.1."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "6543",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:6543",
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.errors": sys.stderr,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
            environ[key] = value
        else:
            environ["HTTP_" + key] = value
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    environ["charter.bench.body"] = body
    return environ


class Caller:
    """Calls one app with one request, again and again; checks every answer's status."""

    def __init__(self, app: WSGIApp, make_environ: Callable[[], dict], expect: int) -> None:
        self.app = app
        self.make_environ = make_environ
        self.expect = expect

    def __call__(self) -> None:
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(environ.pop("charter.bench.body"))
        status: list[str] = []

        def start_response(line: str, headers: list, exc_info: Any = None) -> None:
            status.append(line)

        result = self.app(environ, start_response)
        try:
            for _chunk in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if int(status[0][:3]) != self.expect:
            raise RuntimeError(f"{environ['PATH_INFO']} answered {status[0]}, not {self.expect}")


def callers(url_text: str, site: Site) -> dict[str, Caller]:
    """One caller per kind of request, on apps built on ``url_text``'s database."""
    from sqlalchemy.engine import make_url

    from charter import main

    url = make_url(url_text)
    charter = main({}, **app_settings(url, pool_size=4))
    floor = floor_app(charter_engine(url, pool_size=4), site.document_id)
    hello = hello_app()
    json_path = API_PREFIX + DOCUMENT_PATH
    version = _current_version(charter, json_path, site)
    html = {**site.headers, "Accept": "text/html"}
    edited_path = API_PREFIX + EDITED_PATH
    patch_state = {"version": _current_version(charter, edited_path, site), "number": 0}

    def patch_environ() -> dict:
        # Each PATCH moves the version on; the next one sends the new one.
        patch_state["number"] += 1
        body = json.dumps({"title": f"Installing Charter {patch_state['number']}"}).encode()
        environ = environ_for(
            "PATCH",
            edited_path,
            {
                **site.editor_headers,
                "Content-Type": "application/json",
                "If-Match": f'"{patch_state["version"]}"',
            },
            body,
        )
        patch_state["version"] += 1
        return environ

    def fixed(method: str, path: str, headers: dict[str, str]) -> Callable[[], dict]:
        template = environ_for(method, path, headers)
        return lambda: dict(template)

    return {
        "floor": Caller(floor, fixed("GET", "/node", {}), 200),
        "hello": Caller(hello, fixed("GET", "/", {}), 200),
        "json": Caller(charter, fixed("GET", json_path, site.headers), 200),
        "304": Caller(
            charter,
            fixed("GET", json_path, {**site.headers, "If-None-Match": f'"{version}"'}),
            304,
        ),
        "html": Caller(charter, fixed("GET", DOCUMENT_PATH, html), 200),
        "folder-json": Caller(
            charter, fixed("GET", API_PREFIX + BIG_FOLDER_PATH, site.headers), 200
        ),
        "folder-html": Caller(charter, fixed("GET", BIG_FOLDER_PATH, html), 200),
        "patch": Caller(charter, patch_environ, 200),
    }


def _current_version(app: WSGIApp, path: str, site: Site) -> int:
    environ = environ_for("GET", path, site.headers)
    environ["wsgi.input"] = io.BytesIO(b"")
    body = b"".join(app(environ, lambda *args: None))
    return int(json.loads(body)["version"])


def time_kinds(calls: dict[str, Caller], kinds: list[str], count: int, batches: int) -> None:
    """Print milliseconds per request of each kind: the median of ``batches`` batches."""
    for call in calls.values():
        for _ in range(20):
            call()  # warm-up: caches, pools, the token's last-used write
    per_kind: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(batches):
        for kind in kinds:  # alternating, so the machine's moods fall on all kinds alike
            call = calls[kind]
            started = time.perf_counter()
            for _ in range(count):
                call()
            per_kind[kind].append((time.perf_counter() - started) * 1000 / count)
    floor = statistics.median(per_kind["floor"]) if "floor" in per_kind else None
    print(f"  {'kind':<12} {'ms/request':>10} {'min':>7} {'max':>7} {'÷ floor':>8}")
    for kind in kinds:
        values = per_kind[kind]
        median = statistics.median(values)
        ratio = f"{floor / median:.2f}" if floor else "-"
        print(f"  {kind:<12} {median:>10.3f} {min(values):>7.3f} {max(values):>7.3f} {ratio:>8}")


def run_cprofile(call: Caller, count: int, top: int, sort: str) -> None:
    """cProfile ``count`` calls and print the ``top`` functions by ``sort``."""
    for _ in range(20):
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats(sort).print_stats(top)


def callgrind_inner(call: Caller, count: int) -> None:
    """Under valgrind: switch instrumentation on for ``count`` calls only (after a warm-up)."""
    for _ in range(20):
        call()
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    for _ in range(count):
        call()
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)


def callgrind_outer(args: argparse.Namespace, url_text: str, out_folder: Path) -> None:
    """Run this script under callgrind for each kind and print instructions per request."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install -y valgrind)")
    results = {}
    for kind in args.callgrind:
        out_file = out_folder / f"callgrind.{kind}.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out_file}",
            sys.executable,
            __file__,
            "--inner-callgrind",
            kind,
            "--database-url",
            url_text,
            "--seeded",
            json.dumps(args.seeded_site),
            "--count",
            str(args.count),
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        summary = re.search(r"^totals: (\d+)", out_file.read_text(), re.MULTILINE)
        if done.returncode or summary is None:
            print(f"  {kind}: failed\n{done.stderr[-2000:]}", flush=True)
            continue
        results[kind] = int(summary[1]) / args.count
        print(f"  {kind}: {results[kind]:,.0f} instructions per request", flush=True)
        if args.annotate:
            annotated = subprocess.run(
                ["callgrind_annotate", "--inclusive=yes", str(out_file)],
                capture_output=True,
                text=True,
            ).stdout
            print(f"--- {kind} (inclusive) ---")
            print("\n".join(annotated.splitlines()[:60]))
    floor = results.get("floor")
    print(f"  {'kind':<12} {'instructions/request':>21} {'÷ floor':>8}")
    for kind, per_request in results.items():
        ratio = f"{floor / per_request:.3f}" if floor else "-"
        print(f"  {kind:<12} {per_request:>21,.0f} {ratio:>8}")


def main() -> None:
    """Seed, then time, profile or count instructions."""
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--database-url", help="default: a temporary SQLite file")
    cli.add_argument("--kinds", default=",".join(KINDS), help="kinds to time, comma-separated")
    cli.add_argument("--count", type=int, default=200, help="requests per batch (or profile)")
    cli.add_argument("--batches", type=int, default=5, help="timed batches of each kind")
    cli.add_argument("--cprofile", choices=KINDS, help="cProfile this kind of request")
    cli.add_argument("--sort", default="tottime", help="cProfile sort key (tottime, cumulative)")
    cli.add_argument("--top", type=int, default=40, help="cProfile: functions to print")
    cli.add_argument(
        "--callgrind", type=lambda text: text.split(","), help="kinds to count instructions of"
    )
    cli.add_argument("--annotate", action="store_true", help="callgrind: print the top functions")
    cli.add_argument("--inner-callgrind", choices=KINDS, help=argparse.SUPPRESS)
    cli.add_argument("--seeded", help=argparse.SUPPRESS)
    args = cli.parse_args()

    if args.inner_callgrind:
        site = Site(**json.loads(args.seeded))
        callgrind_inner(callers(args.database_url, site)[args.inner_callgrind], args.count)
        return

    folder = Path(tempfile.mkdtemp(prefix="charter-profile-"))
    url = database_url(args.database_url, "profile", folder)
    url_text = url.render_as_string(hide_password=False)
    try:
        site = seed_site(url)
        print(f"database: {shown(url)}")
        if args.callgrind:
            args.seeded_site = site.__dict__
            callgrind_outer(args, url_text, folder)
        elif args.cprofile:
            run_cprofile(callers(url_text, site)[args.cprofile], args.count, args.top, args.sort)
        else:
            kinds = args.kinds.split(",")
            time_kinds(callers(url_text, site), kinds, args.count, args.batches)
    finally:
        remove_database(url)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
