"""The public API for add-on authors, and the loader that includes the enabled add-ons.

An add-on is a distribution with an entry point in the ``charter.addons``
group whose value is its ``includeme(config)``; the ``charter.addons`` ini
setting lists the add-ons that load, in order. The module the entry point
names may declare ``SETTINGS`` (a tuple of ``Setting``, parsed like the
core's) and ``MIGRATIONS`` (``"package:folder"`` of Alembic revisions).
``docs/addons.md`` is the author's guide; content types are registered with
``config.add_content_type`` (charter.content.registry).
"""

from charter.addons.loader import (
    ENTRY_POINT_GROUP,
    Addon,
    enabled_addons,
    include_addons,
    installed_addons,
)
from charter.addons.migrations import addon_version_locations, version_table
from charter.addons.settings import addon_settings, declared_settings
from charter.settings import (
    Parser,
    Setting,
    SettingsError,
    boolean,
    integer,
    nonempty_text,
    one_of,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Addon",
    "Parser",
    "Setting",
    "SettingsError",
    "addon_settings",
    "addon_version_locations",
    "boolean",
    "declared_settings",
    "enabled_addons",
    "include_addons",
    "installed_addons",
    "integer",
    "nonempty_text",
    "one_of",
    "version_table",
]
