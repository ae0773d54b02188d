"""Running and inspecting Alembic migrations from code (init, readiness, tests)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
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


CORE_VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class VersionLocation:
    """A folder of revision scripts and the table recording how far a database is in them.

    The core's is ``alembic/versions`` in ``alembic_version``; each enabled
    add-on brings its own (charter.addons.migrations). ``name`` is the add-on's,
    empty for the core's; it qualifies what readiness reports ("events@0001").
    """

    folder: Path
    version_table: str = CORE_VERSION_TABLE
    name: str = ""

    def qualified(self, revisions: Iterable[str]) -> frozenset[str]:
        """``revisions`` named so they cannot be taken for another location's."""
        return frozenset(f"{self.name}@{r}" if self.name else r for r in revisions)


def core_versions() -> VersionLocation:
    """Charter's own revision scripts."""
    return VersionLocation(script_location() / "versions")


def alembic_config(location: VersionLocation | None = None) -> Config:
    """An Alembic config for Charter's migrations, or for an add-on's at ``location``."""
    location = location or core_versions()
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(location.folder))
    # Read by env.py: each location records its revisions in a table of its own.
    config.set_main_option("version_table", location.version_table)
    return config


def upgrade(connection: Connection, addons: Sequence[VersionLocation] = ()) -> str:
    """Upgrade the core schema, then each add-on's in order; say what happened, a line each."""
    return "\n".join(_upgrade(connection, location) for location in (core_versions(), *addons))


def _upgrade(connection: Connection, location: VersionLocation) -> str:
    before = current_revisions(connection, location)
    config = alembic_config(location)
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")
    after = current_revisions(connection, location)
    subject = f"Schema of add-on {location.name}" if location.name else "Database schema"
    empty = "nothing" if location.name else "an empty database"
    if before == after:
        return f"{subject} is up to date at {_revisions(after, empty)}."
    return f"{subject} upgraded from {_revisions(before, empty)} to {_revisions(after, empty)}."


def _revisions(revisions: frozenset[str], empty: str) -> str:
    return ", ".join(sorted(revisions)) or empty


@functools.cache
def _scripts(location: VersionLocation) -> ScriptDirectory:
    # Read once per process and location, on first use: the scripts do not change under it.
    return ScriptDirectory.from_config(alembic_config(location))


def head_revisions(addons: Sequence[VersionLocation] = ()) -> frozenset[str]:
    """The revisions a fully migrated database is at (add-ons' qualified by their name)."""
    return frozenset().union(
        *(
            location.qualified(_scripts(location).get_heads())
            for location in (core_versions(), *addons)
        )
    )


def current_revisions(
    connection: Connection, location: VersionLocation | None = None
) -> frozenset[str]:
    """The revisions the database is at in ``location`` (the core's unless given); empty if none."""
    table = (location or core_versions()).version_table
    context = MigrationContext.configure(connection, opts={"version_table": table})
    return frozenset(context.get_current_heads())


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


def schema_status(engine: Engine, addons: Sequence[VersionLocation] = ()) -> SchemaStatus:
    """Compare the database behind ``engine`` with the core's and ``addons``' migrations.

    Raises if the database is unreachable. Add-ons not passed (switched off)
    are not looked at, whatever revisions of theirs the database holds.
    """
    locations = (core_versions(), *addons)
    with engine.connect() as connection:
        current = frozenset().union(
            *(location.qualified(current_revisions(connection, location)) for location in locations)
        )
    known = frozenset().union(
        *(
            location.qualified(
                revision.revision for revision in _scripts(location).walk_revisions()
            )
            for location in locations
        )
    )
    return SchemaStatus(current, head_revisions(addons), known)
