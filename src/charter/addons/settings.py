"""Settings an add-on declares: the same ``Setting`` declarations as the core's.

An add-on lists them in a module-level ``SETTINGS`` tuple in the module its
entry point names. Charter parses them with the core's (same parsers, same
one-line errors, same environment overrides) before anything is included, so
an add-on reads typed values from ``registry.settings``. A key under
``charter.`` that neither the core nor an enabled add-on declares is still
refused as unknown, so a typo in an add-on's key stops start-up too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from charter.addons.loader import Addon, enabled_addons
from charter.settings import SETTINGS, Setting, SettingsError

SETTINGS_ATTRIBUTE = "SETTINGS"
ADDON_KEY_PREFIX = "charter."


def declared_settings(addon: Addon) -> tuple[Setting, ...]:
    """The settings ``addon`` declares (none when its module has no ``SETTINGS``)."""
    declared = getattr(addon.module, SETTINGS_ATTRIBUTE, ())
    if not isinstance(declared, tuple | list) or not all(
        isinstance(setting, Setting) for setting in declared
    ):
        raise SettingsError(
            f"Add-on {addon.name!r}: {addon.module.__name__}.{SETTINGS_ATTRIBUTE} "
            "must be a tuple of charter.addons.Setting"
        )
    for setting in declared:
        if not setting.key.startswith(ADDON_KEY_PREFIX):
            raise SettingsError(
                f"Add-on {addon.name!r} declares setting {setting.key}; "
                f"add-on settings start with {ADDON_KEY_PREFIX}"
            )
    return tuple(declared)


def addon_settings(raw: Mapping[str, Any]) -> tuple[Setting, ...]:
    """The settings declared by the add-ons ``raw`` enables, for ``parse_settings``.

    Two declarations of one key (by the core or another add-on) stop start-up.
    """
    owners = {setting.key: "Charter" for setting in SETTINGS}
    collected: list[Setting] = []
    for addon in enabled_addons(raw):
        for setting in declared_settings(addon):
            if setting.key in owners:
                raise SettingsError(
                    f"Add-on {addon.name!r} declares setting {setting.key}, "
                    f"which {owners[setting.key]} declares already"
                )
            owners[setting.key] = f"add-on {addon.name!r}"
            collected.append(setting)
    return tuple(collected)
