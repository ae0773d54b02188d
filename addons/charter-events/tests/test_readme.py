"""The README documents the add-on's settings exactly as ``SETTINGS`` declares them."""

from pathlib import Path

import pytest
from charter.addons import SettingsError, addon_settings
from charter.settings import parse_settings

from charter_events import SETTINGS

README = Path(__file__).resolve().parents[1] / "README.md"


def documented_settings():
    """Each row of the README's settings table: key -> (default, environment variable, text)."""
    section = README.read_text(encoding="utf-8").split("## Settings", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {}
    for row in rows:
        key, default, env, text = (cell.strip() for cell in row.strip("|").split("|"))
        documented[key.strip("`")] = (default.strip("`"), env.strip("`") or None, text)
    return documented


def test_the_readme_lists_exactly_the_declared_settings():
    declared = {setting.key: setting for setting in SETTINGS}
    documented = documented_settings()

    assert set(documented) == set(declared)
    for key, (default, env, text) in documented.items():
        setting = declared[key]
        assert (default, env) == (setting.default, setting.env), key
        assert text.startswith(setting.doc), key


def test_a_bad_setting_stops_start_up_with_one_line():
    raw = {
        "sqlalchemy.url": "sqlite://",
        "charter.session.secret": "x" * 32,
        "charter.addons": "charter-events",
        "charter.events.feed_days": "many",
    }

    with pytest.raises(SettingsError) as refused:
        parse_settings(raw, environ={}, extra_settings=addon_settings(raw))

    assert str(refused.value) == (
        "Bad setting charter.events.feed_days = 'many': expected a whole number from 1 to 3650"
    )
