"""The Alembic version locations of the enabled add-ons.

An add-on with tables sets ``MIGRATIONS = "its_package:migrations"`` in the
module its entry point names: a folder of Alembic revision scripts. Each
add-on's revisions are recorded in a version table of its own
(``alembic_version_<name>``), not in the core's ``alembic_version``; so an
add-on that is switched off (or uninstalled) leaves revisions behind that the
core never has to resolve, and the core keeps upgrading and reporting ready.
Charter upgrades the core to its heads first, then each add-on in the order
``charter.addons`` lists them: an add-on's revisions may rely on every core
table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from charter.addons.loader import Addon, enabled_addons
from charter.db.migrations import VersionLocation
from charter.settings import SettingsError

MIGRATIONS_ATTRIBUTE = "MIGRATIONS"
VERSION_TABLE_PREFIX = "alembic_version_"
# PostgreSQL cuts identifiers at 63 characters (MySQL refuses beyond 64).
MAX_IDENTIFIER_LENGTH = 63


def version_table(addon_name: str) -> str:
    """The table that records how far the database is in an add-on's revisions."""
    return VERSION_TABLE_PREFIX + re.sub(r"[^a-z0-9]+", "_", addon_name.lower()).strip("_")


def version_location(addon: Addon) -> VersionLocation | None:
    """Where ``addon``'s revision scripts are and what records them; None without any."""
    spec = getattr(addon.module, MIGRATIONS_ATTRIBUTE, None)
    if spec is None:
        return None
    path = _folder(str(spec))
    if path is None:
        raise SettingsError(
            f"Add-on {addon.name!r}: {MIGRATIONS_ATTRIBUTE} = {spec!r} must name a folder "
            "as package:folder"
        )
    table = version_table(addon.name)
    if len(table) > MAX_IDENTIFIER_LENGTH:
        raise SettingsError(
            f"Add-on {addon.name!r}: its name is too long for its version table {table}"
        )
    return VersionLocation(folder=path, version_table=table, name=addon.name)


def addon_version_locations(settings: Mapping[str, Any]) -> list[VersionLocation]:
    """The version locations of the add-ons ``settings`` enables, in their listed order."""
    locations: list[VersionLocation] = []
    for addon in enabled_addons(settings):
        location = version_location(addon)
        if location is None:
            continue
        clash = next((o for o in locations if o.version_table == location.version_table), None)
        if clash is not None:
            raise SettingsError(
                f"Add-ons {clash.name!r} and {addon.name!r} would share the version table "
                f"{location.version_table}; rename one"
            )
        locations.append(location)
    return locations


def _folder(spec: str) -> Path | None:
    package, _, folder = spec.partition(":")
    if not folder:
        return None
    try:
        path = Path(str(files(package).joinpath(folder)))
    except (ModuleNotFoundError, TypeError):  # no such package, or a plain module
        return None
    return path if path.is_dir() else None
