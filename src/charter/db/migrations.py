"""Running and inspecting Alembic migrations from code (init, readiness, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

import charter
from alembic import command


def script_location() -> Path:
    """The folder holding ``env.py`` and ``versions/``.

    A source checkout (the usual, editable install) has it at the top level
    as ``alembic/``; a built wheel carries a copy at ``charter/alembic``.
    """
    package = Path(charter.__file__).resolve().parent
    packaged = package / "alembic"
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "alembic"


def alembic_config(ini_path: str | None = None) -> Config:
    """An Alembic config for Charter's migrations, reading ``ini_path`` if given."""
    config = Config(ini_path) if ini_path else Config()
    config.set_main_option("script_location", str(script_location()))
    return config


def upgrade(connection: Connection, ini_path: str | None = None) -> None:
    """Upgrade the database behind ``connection`` to the newest revision."""
    config = alembic_config(ini_path)
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


def head_revisions() -> set[str]:
    """The revisions a fully migrated database is at."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    """The revisions the database behind ``connection`` is at (empty when never migrated)."""
    return set(MigrationContext.configure(connection).get_current_heads())


def pending_revisions(engine: Engine, heads: set[str]) -> set[str]:
    """Head revisions the database has not reached yet; raises if it is unreachable."""
    with engine.connect() as connection:
        return heads - current_revisions(connection)
