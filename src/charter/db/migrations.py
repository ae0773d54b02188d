"""Running and inspecting Alembic migrations from code (init, readiness, tests)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
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


def alembic_config() -> Config:
    """An Alembic config for Charter's migrations."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    return config


def upgrade(connection: Connection) -> str:
    """Upgrade the database behind ``connection`` to the newest revision; say what happened."""
    before = current_revisions(connection)
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")
    after = current_revisions(connection)
    if before == after:
        return f"Database schema is up to date at {_revisions(after)}."
    return f"Database schema upgraded from {_revisions(before)} to {_revisions(after)}."


def _revisions(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "an empty database"


@functools.cache
def _scripts() -> ScriptDirectory:
    # Read once per process, on first use: the scripts do not change under it.
    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> frozenset[str]:
    """The revisions a fully migrated database is at."""
    return frozenset(_scripts().get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database behind ``connection`` is at (empty when never migrated)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


@dataclass(frozen=True)
class SchemaStatus:
    """Where the database's schema stands against this release's migrations."""

    current: frozenset[str]
    heads: frozenset[str]
    known: frozenset[str]

    @property
    def at_head(self) -> bool:
        """The database is exactly where this release expects it."""
        return self.current == self.heads

    @property
    def newer(self) -> bool:
        """The database was migrated by a later release (a rolling upgrade is under way)."""
        return bool(self.current - self.known)

    @property
    def pending(self) -> frozenset[str]:
        """Heads of this release the database has not reached."""
        return frozenset() if self.newer else self.heads - self.current


def schema_status(engine: Engine) -> SchemaStatus:
    """Compare the database behind ``engine`` with the migrations; raises if unreachable."""
    scripts = _scripts()
    with engine.connect() as connection:
        current = current_revisions(connection)
    known = frozenset(revision.revision for revision in scripts.walk_revisions())
    return SchemaStatus(current, frozenset(scripts.get_heads()), known)
