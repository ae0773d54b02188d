"""Enabling charter-events adds its ``events`` table through its own migration.

The add-on's revisions are recorded in ``alembic_version_charter_events``,
apart from the core's; the tables match the models on every database.
"""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from charter.addons import addon_version_locations
from charter.db.meta import Base
from charter.db.migrations import alembic_config, current_revisions, head_revisions, upgrade
from charter.search.models import is_engine_difference
from sqlalchemy import inspect

import charter_events.models  # noqa: F401 - the add-on's table on the metadata

EVENT_COLUMNS = {"id", "starts_at", "ends_at", "all_day", "time_zone", "location"}


def events_location():
    """Where the add-on's revisions are, and the table that records them."""
    (location,) = addon_version_locations({"charter.addons": "charter-events"})
    return location


def test_the_addon_records_its_revisions_in_a_version_table_of_its_own():
    location = events_location()

    assert location.name == "charter-events"
    assert location.version_table == "alembic_version_charter_events"
    assert location.folder.name == "migrations"
    assert "charter-events@0001" in head_revisions([location])


def test_the_test_database_has_the_events_table_from_the_addons_migration(db_connection):
    inspector = inspect(db_connection)

    assert {column["name"] for column in inspector.get_columns("events")} == EVENT_COLUMNS
    (foreign_key,) = inspector.get_foreign_keys("events")
    assert foreign_key["referred_table"] == "nodes"
    assert foreign_key["constrained_columns"] == ["id"]
    assert foreign_key["options"]["ondelete"].upper() == "CASCADE"
    assert current_revisions(db_connection, events_location()) == {"0001"}


def test_models_and_migrations_do_not_drift(db_connection):
    def not_a_version_table(name, type_, parent_names):
        return not (type_ == "table" and name.startswith("alembic_version"))

    context = MigrationContext.configure(db_connection, opts={"include_name": not_a_version_table})
    differences = compare_metadata(context, Base.metadata)

    # The full-text structures each database's search backend builds have no model.
    assert [found for found in differences if not is_engine_difference(found)] == []


def test_the_table_comes_with_the_addon_and_goes_with_its_downgrade(scratch_engine):
    location = events_location()
    with scratch_engine.begin() as connection:
        upgrade(connection)  # the core alone: the add-on is not enabled
    with scratch_engine.connect() as connection:
        assert "events" not in inspect(connection).get_table_names()
        core_revisions = current_revisions(connection)

    with scratch_engine.begin() as connection:
        report = upgrade(connection, [location])

    assert "Schema of add-on charter-events upgraded from nothing to 0001." in report
    with scratch_engine.connect() as connection:
        assert "events" in inspect(connection).get_table_names()
        assert current_revisions(connection, location) == {"0001"}
        assert current_revisions(connection) == core_revisions

    with scratch_engine.begin() as connection:
        config = alembic_config(location)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    with scratch_engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        assert "events" not in tables
        assert "nodes" in tables
        assert current_revisions(connection, location) == frozenset()
        assert current_revisions(connection) == core_revisions


def test_readiness_waits_for_the_addons_revision_too(anonymous_app):
    body = anonymous_app.get("/readyz").json

    assert "charter-events@0001" in body["revisions"]
