"""Alembic environment for Charter.

Run with the app's ini file (``alembic -c development.ini upgrade head``): the
database URL comes from its ``[app:main]`` section, parsed like the app does,
so ``CHARTER_DATABASE_URL`` overrides it here too. Code that already holds a
connection (charter-init, the tests) passes it in ``config.attributes``.
"""

from pyramid.paster import get_appsettings

import charter.models  # noqa: F401 - registers every table on the metadata
from alembic import context
from charter.db.engine import make_engine
from charter.db.meta import Base
from charter.settings import parse_settings

config = context.config
target_metadata = Base.metadata


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def app_settings() -> dict:
    return parse_settings(get_appsettings(config.config_file_name, name="main"))


if context.is_offline_mode():
    context.configure(
        url=app_settings()["sqlalchemy.url"], target_metadata=target_metadata, literal_binds=True
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
