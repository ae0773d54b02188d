"""Finding, checking and including the add-ons that ``charter.addons`` lists.

An add-on is an installed distribution with an entry point in the
``charter.addons`` group: the entry point's name is the add-on's name, its
value points at the add-on's ``includeme(config)``. Installed is not enough:
only the add-ons the ``charter.addons`` setting names are imported and
included, in the order it names them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

from pyramid.config import Configurator

from charter.settings import SETTINGS_BY_KEY, SettingsError

ENTRY_POINT_GROUP = "charter.addons"
ADDONS_SETTING = "charter.addons"


@dataclass(frozen=True)
class Addon:
    """An enabled add-on, imported: its name, ``includeme`` and module.

    ``module`` is the module the entry point names; it may also declare the
    add-on's ``SETTINGS`` and ``MIGRATIONS`` (see charter.addons.settings and
    charter.addons.migrations).
    """

    name: str
    includeme: Callable[[Configurator], None]
    module: ModuleType


def installed_addons() -> dict[str, list[EntryPoint]]:
    """The entry points of every add-on installed in this Python environment, by name."""
    installed: dict[str, list[EntryPoint]] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        installed.setdefault(entry_point.name, []).append(entry_point)
    return installed


def listed_addons(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The add-on names ``charter.addons`` lists, from raw (text) or parsed settings."""
    value = settings.get(ADDONS_SETTING)
    if value is None:
        return ()
    if isinstance(value, tuple):
        return value  # parsed already by charter.settings.parse_settings
    parser = SETTINGS_BY_KEY[ADDONS_SETTING].parser
    try:
        return parser(str(value))
    except ValueError:
        raise SettingsError(
            f"Bad setting {ADDONS_SETTING} = {value!r}: expected {parser.expected}"
        ) from None


def enabled_addons(settings: Mapping[str, Any]) -> tuple[Addon, ...]:
    """Import the add-ons ``charter.addons`` lists, in its order.

    A name no installed distribution provides (or two provide) stops start-up
    with a ``SettingsError`` of one line.
    """
    names = listed_addons(settings)
    if not names:
        return ()
    installed = installed_addons()
    for name in names:
        if name not in installed:
            raise SettingsError(
                f"Unknown add-on {name!r} in {ADDONS_SETTING}; installed add-ons: "
                + (", ".join(sorted(installed)) or "none")
            )
        if len(installed[name]) > 1:
            providers = " and ".join(sorted(_provider(ep) for ep in installed[name]))
            raise SettingsError(
                f"Add-on {name!r} in {ADDONS_SETTING} is installed twice, by {providers}; "
                "uninstall one"
            )
    return tuple(_load(installed[name][0]) for name in names)


def include_addons(config: Configurator) -> None:
    """Include each enabled add-on's ``includeme``, in the order ``charter.addons`` lists them.

    Call it after the core domains are included, so an add-on can use every
    directive and request method the core provides.
    """
    for addon in enabled_addons(config.registry.settings):
        config.include(addon.includeme)


def _load(entry_point: EntryPoint) -> Addon:
    includeme = entry_point.load()
    if not callable(includeme):
        raise SettingsError(
            f"Add-on {entry_point.name!r}: its entry point {entry_point.value} "
            "must name an includeme(config) function"
        )
    return Addon(
        name=entry_point.name,
        includeme=includeme,
        module=importlib.import_module(entry_point.module),
    )


def _provider(entry_point: EntryPoint) -> str:
    distribution = entry_point.dist
    if distribution is None:
        return entry_point.value
    return f"{distribution.name} {distribution.version}"
