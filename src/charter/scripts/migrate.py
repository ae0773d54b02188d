"""``charter-migrate CONFIG_URI``: upgrade the database to the newest schema."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from charter.addons import addon_version_locations
from charter.db.migrations import upgrade
from charter.scripts.environment import app_environment


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-migrate``."""
    parser = argparse.ArgumentParser(
        prog="charter-migrate",
        description="Upgrade the database to the newest schema: the core's, then each "
        "enabled add-on's.",
    )
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    with (
        app_environment(args.config_uri) as env,
        env["registry"]["charter.db.engine"].begin() as connection,
    ):
        print(upgrade(connection, addon_version_locations(env["registry"].settings)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
