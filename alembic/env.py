"""Alembic environment for Charter.

Run with the app's ini file (``alembic -c development.ini upgrade head``): the
database URL comes from its ``[app:main]`` section, parsed like the app does,
so ``CHARTER_DATABASE_URL`` overrides it here too. Code that already holds a
connection (charter-init, the tests) passes it in ``config.attributes``.
"""

from pyramid.paster import get_appsettings

import charter.models  # noqa: F401 - registers every table on the metadata
from alembic import context
from charter.addons import addon_settings
from charter.db.engine import make_engine
from charter.db.meta import Base
from charter.settings import parse_settings

config = context.config
target_metadata = Base.metadata
# Charter's own revisions are recorded in alembic_version; each add-on's in a
# table of its own; charter.db.migrations.alembic_config says which.
version_table = config.get_main_option("version_table", "alembic_version")


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        version_table=version_table,
    )
    with context.begin_transaction():
        context.run_migrations()


def app_settings() -> dict:
    raw = get_appsettings(config.config_file_name, name="main")
    return parse_settings(raw, extra_settings=addon_settings(raw))


if context.is_offline_mode():
    context.configure(
        url=app_settings()["sqlalchemy.url"],
        target_metadata=target_metadata,
        literal_binds=True,
        version_table=version_table,
    )
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run_with(config.attributes["connection"])
else:
    engine = make_engine(app_settings())
    try:
        with engine.begin() as connection:
            run_with(connection)
    finally:
        engine.dispose()
