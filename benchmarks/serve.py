"""Serve one app with waitress on a free 127.0.0.1 port, for the throughput benchmark.

``serve.py hello --threads 4`` serves a bare Pyramid "hello world";
``serve.py charter --threads 4 --database-url URL`` serves Charter built by
``charter.main`` exactly as an ini file would. The first line printed is
``listening on http://127.0.0.1:PORT``; the process serves until it is
terminated.
"""

from __future__ import annotations

import argparse
import logging

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


def main() -> None:
    """Build the chosen app and serve it until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=["hello", "charter"])
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    parser.add_argument("--database-url", help="Charter's database (required for 'charter')")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # waitress warns on every request that has to wait for a free thread;
    # writing those lines would cost both apps time that says nothing of them.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    if options.app == "charter":
        if not options.database_url:
            parser.error("'charter' needs --database-url")
        app = charter_app(options.database_url, options.threads)
    else:
        app = hello_app()
    server = create_server(app, host="127.0.0.1", port=0, threads=options.threads)
    print(f"listening on http://127.0.0.1:{server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
