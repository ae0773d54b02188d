"""Serve one app with waitress on a free 127.0.0.1 port, for the throughput benchmark.

``serve.py hello --threads 4`` serves a bare Pyramid "hello world";
``serve.py floor --threads 4 --database-url URL --node-id N`` the floor app
(benchmarks/floor.py: one primary-key SELECT through pyramid_tm and
zope.sqlalchemy); ``serve.py charter --threads 4 --database-url URL`` serves
Charter built by ``charter.main`` exactly as an ini file would. With
``--workers N`` the app runs under gunicorn (gthread workers of ``--threads``
threads each) instead of waitress. The first line printed is
``listening on http://127.0.0.1:PORT``; the process serves until it is
terminated.
"""

from __future__ import annotations

import argparse
import logging
import socket
from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response
from pyramid.router import Router
from waitress.server import create_server


def hello_world(request: Request) -> Response:
    """The reference view: a fixed text, no database."""
    return Response("Hello World!")


def hello_app() -> Router:
    """Pyramid's own minimal application: one route, one view."""
    with Configurator() as config:
        config.add_route("hello", "/")
        config.add_view(hello_world, route_name="hello")
        return config.make_wsgi_app()


def charter_app(database_url: str, threads: int) -> Router:
    """Charter as production runs it: no debug pages, one pooled connection per thread."""
    from benchlib import app_settings
    from sqlalchemy.engine import make_url

    from charter import main

    return main({}, **app_settings(make_url(database_url), pool_size=threads))


def floor(database_url: str, threads: int, node_id: int) -> Router:
    """The floor app on Charter's database, its engine built as Charter builds its own."""
    from benchlib import charter_engine
    from floor import floor_app
    from sqlalchemy.engine import make_url

    return floor_app(charter_engine(make_url(database_url), pool_size=threads), node_id)


def serve_with_gunicorn(factory: Callable[[], Router], workers: int, threads: int) -> None:
    """Serve under gunicorn: ``workers`` processes, each building its own app (and engine)."""
    from gunicorn.app.base import BaseApplication

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Application(BaseApplication):
        def load_config(self) -> None:
            for name, value in {
                "bind": f"127.0.0.1:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "accesslog": None,
                "loglevel": "warning",
                "preload_app": False,
            }.items():
                self.cfg.set(name, value)

        def load(self) -> Router:
            return factory()

    print(f"listening on http://127.0.0.1:{port}", flush=True)
    Application().run()


def main() -> None:
    """Build the chosen app and serve it until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=["hello", "floor", "charter"])
    parser.add_argument("--threads", type=int, default=4, help="worker threads (per process)")
    parser.add_argument("--database-url", help="the database of 'charter' and 'floor'")
    parser.add_argument("--node-id", type=int, help="the row the floor app reads")
    parser.add_argument("--workers", type=int, help="serve with gunicorn and this many workers")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # waitress warns on every request that has to wait for a free thread;
    # writing those lines would cost both apps time that says nothing of them.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    if options.app != "hello" and not options.database_url:
        parser.error(f"'{options.app}' needs --database-url")
    if options.app == "floor" and options.node_id is None:
        parser.error("'floor' needs --node-id")
    factories: dict[str, Callable[[], Router]] = {
        "hello": hello_app,
        "floor": lambda: floor(options.database_url, options.threads, options.node_id),
        "charter": lambda: charter_app(options.database_url, options.threads),
    }
    if options.workers:
        serve_with_gunicorn(factories[options.app], options.workers, options.threads)
        return
    app = factories[options.app]()
    server = create_server(app, host="127.0.0.1", port=0, threads=options.threads)
    print(f"listening on http://127.0.0.1:{server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
