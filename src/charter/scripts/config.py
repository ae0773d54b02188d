"""``charter-config CONFIG_URI check``: validate an ini file and the environment, print the
effective settings, start nothing.

Every declared setting (Charter's and the enabled add-ons') is parsed as the
app would parse it; a bad or missing one prints the same one line as a failed
start-up and exits with status 1. Otherwise each setting is printed with its
effective value and where it came from (the ini file, an environment
variable, the default); secrets are shown as ``<hidden>``, a database URL
with its password masked.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pyramid.paster import get_appsettings
from sqlalchemy.engine import make_url

from charter.addons import addon_settings
from charter.settings import SETTINGS, Setting, SettingsError, parse_settings


def shown_value(setting: Setting, text: str) -> str:
    """``text`` as it may be printed: secrets hidden, a URL's password masked."""
    if setting.key in {"sqlalchemy.url", "sqlalchemy.replica.url"} or setting.key.endswith("_url"):
        if not text:
            return ""
        try:
            return make_url(text).render_as_string(hide_password=True)
        except Exception:
            return "<hidden>"
    return "<hidden>" if setting.sensitive and text else text


def effective(
    raw: Mapping[str, Any], environ: Mapping[str, str], settings: Sequence[Setting]
) -> list[tuple[str, str, str]]:
    """(key, shown value, source) of every setting, in declaration order."""
    rows = []
    for setting in settings:
        if setting.env and environ.get(setting.env):
            text, source = environ[setting.env], f"environment {setting.env}"
        elif str(raw.get(setting.key) or "").strip():
            text, source = str(raw[setting.key]), "ini"
        else:
            text, source = setting.default or "", "default"
        rows.append((setting.key, shown_value(setting, text.strip()), source))
    return rows


def check(config_uri: str, environ: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Parse the ``[app:main]`` settings of ``config_uri`` with ``environ``; the effective
    settings. Raises SettingsError (one line) on a bad one."""
    raw = dict(get_appsettings(config_uri))
    extra = addon_settings(raw)
    parse_settings(raw, environ, extra_settings=extra)
    return effective(raw, environ, (*SETTINGS, *extra))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-config``."""
    parser = argparse.ArgumentParser(
        prog="charter-config",
        description="Check a Charter ini file and the environment without starting anything.",
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "check", help="validate every setting and print the effective values, secrets masked"
    )
    args = parser.parse_args(argv)
    if not Path(args.config_uri.split("#", 1)[0]).is_file():
        print(f"No such configuration file: {args.config_uri}", file=sys.stderr)
        return 1
    try:
        rows = check(args.config_uri, os.environ)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    width = max(len(key) for key, _, _ in rows)
    for key, value, source in rows:
        print(f"{key:<{width}}  {value}  ({source})")
    print(f"OK: {len(rows)} settings valid.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
