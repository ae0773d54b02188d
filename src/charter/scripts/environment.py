"""Loading the app from an ini file for a command-line tool, and cleaning up after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyramid.paster import bootstrap, setup_logging


@contextmanager
def app_environment(config_uri: str) -> Iterator[dict[str, Any]]:
    """The app's bootstrap environment (registry, request...) built from ``config_uri``.

    A missing ini file stops the command with one line; the database
    connections are closed when the block ends.
    """
    ini_path = Path(config_uri.split("#", 1)[0])
    if not ini_path.is_file():
        raise SystemExit(f"No such configuration file: {ini_path}")
    setup_logging(config_uri)
    with bootstrap(config_uri) as env:
        try:
            yield env
        finally:
            env["registry"]["charter.db.engine"].dispose()
