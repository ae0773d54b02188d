"""``charter-init CONFIG_URI``: migrate, create the root, the admin account and sample content.

Running it again changes nothing: each step is skipped when already done.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence

from charter.addons import addon_version_locations
from charter.audit.service import Actor
from charter.content.registry import types_of
from charter.content.sample import add_sample_content
from charter.content.services import ContentService
from charter.db.migrations import upgrade
from charter.errors import CharterError
from charter.scripts.environment import app_environment
from charter.security.principals import user_principal
from charter.security.roles import DEFAULT_ROOT_GRANTS, Role

ADMIN_LOGIN = "admin"
ADMIN_PASSWORD_VARIABLE = "CHARTER_ADMIN_PASSWORD"  # noqa: S105 - a variable name


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        prog="charter-init",
        description="Upgrade the database to the newest schema, then create the root "
        "folder, the 'admin' account and a little sample content if missing.",
    )
    parser.add_argument("config_uri", help="the ini file, e.g. development.ini")
    parser.add_argument(
        "--no-sample", action="store_true", help="do not add the sample folders and documents"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``charter-init``."""
    args = parse_args(argv)
    with app_environment(args.config_uri) as env:
        registry = env["registry"]
        with registry["charter.db.engine"].begin() as connection:
            print(upgrade(connection, addon_version_locations(registry.settings)))

        request = env["request"]
        with request.tm:
            admin = request.accounts.find_by_login(ADMIN_LOGIN)
            if admin is None:
                password = os.environ.get(ADMIN_PASSWORD_VARIABLE) or secrets.token_urlsafe(12)
                try:
                    admin = request.accounts.create_user(
                        ADMIN_LOGIN, "admin@localhost", password, full_name="Administrator"
                    )
                except CharterError as exc:
                    raise SystemExit(f"charter-init: {exc.detail}") from None
                request.sharing.set_global_roles(
                    user_principal(admin.id), [Role.ADMINISTRATOR.value]
                )
                shown = (
                    f"from {ADMIN_PASSWORD_VARIABLE}"
                    if os.environ.get(ADMIN_PASSWORD_VARIABLE)
                    else password
                )
                print(f"Created account '{ADMIN_LOGIN}' with password: {shown}")
            else:
                print(f"Account '{ADMIN_LOGIN}' exists; its password is unchanged.")

            if request.tree.has_root():
                print("The site exists; nothing added.")
            else:
                # The administrator's tool: acts for the admin account, with no
                # permission checks (there is no one logged in to check).
                content = ContentService(
                    request.dbsession,
                    types_of(registry),
                    actor=Actor(admin.id, admin.login),
                    notify=registry.notify,
                    audit=request.audit,
                )
                root = content.create_root(registry.settings["charter.site_title"], by=admin)
                request.sharing.update(root, DEFAULT_ROOT_GRANTS)
                print("Created the root folder; every logged-in user may read it.")
                if not args.no_sample:
                    added = add_sample_content(content, root, admin)
                    print(f"Added {len(added)} sample items.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
