"""The Alembic migrations: they reach head, match the models, and go down and up again."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import charter.models  # noqa: F401 - registers every table on the metadata
from alembic import command
from charter.db.meta import Base
from charter.db.migrations import (
    alembic_config,
    current_revisions,
    head_revisions,
    schema_status,
    script_location,
    upgrade,
)
from charter.search.models import is_engine_difference

TABLES = set(Base.metadata.tables)


def schema_differences(connection):
    """What autogenerate would change to make the database match the models (less the search
    engine's own structures, which 0008 makes per database and no model maps)."""
    differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [difference for difference in differences if not is_engine_difference(difference)]


def downgrade_to_base(connection):
    """Run every migration's downgrade on ``connection``."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


def test_script_location_holds_the_environment_and_versions():
    location = script_location()

    assert (location / "env.py").is_file()
    assert any((location / "versions").glob("*.py"))


def test_history_is_linear_with_one_head():
    scripts = ScriptDirectory.from_config(alembic_config())

    assert len(scripts.get_heads()) == 1
    assert len(scripts.get_bases()) == 1
    assert head_revisions() == set(scripts.get_heads())


def test_test_database_is_at_head(db_connection):
    assert current_revisions(db_connection) == head_revisions()


def test_nothing_is_pending_on_the_test_database(charter_engine):
    status = schema_status(charter_engine)
    assert status.at_head
    assert not status.newer
    assert status.pending == set()


def test_upgrading_again_changes_nothing(db_connection):
    upgrade(db_connection)

    assert current_revisions(db_connection) == head_revisions()


def test_models_and_migrations_do_not_drift(db_connection):
    differences = schema_differences(db_connection)

    assert differences == [], "autogenerate finds differences:\n" + "\n".join(
        repr(difference) for difference in differences
    )


def test_migrations_create_the_named_constraints_and_indexes(db_connection):
    inspector = inspect(db_connection)

    assert set(inspector.get_table_names()) >= TABLES
    if db_connection.dialect.name not in {"mysql", "mariadb"}:
        # MySQL names every primary key PRIMARY, whatever it was created as.
        assert inspector.get_pk_constraint("nodes")["name"] == "pk_nodes"
    assert {ix["name"] for ix in inspector.get_indexes("nodes")} >= {
        "ix_nodes_parent_id_position_id",
        "ix_nodes_path",
    }
    assert {uq["name"] for uq in inspector.get_unique_constraints("nodes")} >= {
        "uq_nodes_uid",
        "uq_nodes_path_hash",
        "uq_nodes_parent_id_name",
    }
    assert {fk["name"] for fk in inspector.get_foreign_keys("nodes")} == {
        "fk_nodes_parent_id_nodes",
        "fk_nodes_owner_id_users",
        "fk_nodes_created_by_id_users",
        "fk_nodes_modified_by_id_users",
    }
    (document_fk,) = inspector.get_foreign_keys("documents")
    assert document_fk["name"] == "fk_documents_id_nodes"
    assert document_fk["options"].get("ondelete", "").upper() == "CASCADE"


def test_names_and_paths_compare_exactly(db_connection):
    dialect = db_connection.dialect.name
    if dialect == "sqlite":
        pytest.skip("SQLite compares text byte for byte already")
    mysql = dialect in {"mysql", "mariadb"}
    expected = "utf8mb4_bin" if mysql else "C"
    schema = db_connection.scalar(text("SELECT DATABASE()" if mysql else "SELECT current_schema()"))
    rows = db_connection.execute(
        text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = :schema AND ("
            "(table_name = 'nodes' AND column_name IN ('name', 'path')) OR "
            "(table_name = 'users' AND column_name = 'login'))"
        ),
        {"schema": schema},
    ).all()

    assert sorted((table, column) for table, column, _ in rows) == [
        ("nodes", "name"),
        ("nodes", "path"),
        ("users", "login"),
    ]
    for table, column, collation in rows:
        assert collation == expected, f"{table}.{column} collates as {collation}"


def test_mysql_tables_are_innodb_utf8mb4(db_connection):
    if db_connection.dialect.name not in {"mysql", "mariadb"}:
        pytest.skip("MySQL/MariaDB only")
    rows = db_connection.execute(
        text(
            "SELECT table_name, engine, table_collation FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name <> 'alembic_version'"
        )
    ).all()

    assert sorted(row[0] for row in rows) == sorted(TABLES)
    for name, engine, collation in rows:
        assert (engine, collation) == ("InnoDB", "utf8mb4_unicode_ci"), name


def test_downgrade_to_base_then_upgrade_to_head(scratch_engine):
    with scratch_engine.begin() as connection:
        upgrade(connection)
    with scratch_engine.begin() as connection:
        assert current_revisions(connection) == head_revisions()
        downgrade_to_base(connection)
    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == set()
        assert TABLES.isdisjoint(inspect(connection).get_table_names())
    with scratch_engine.begin() as connection:
        upgrade(connection)
    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == head_revisions()
        assert set(inspect(connection).get_table_names()) >= TABLES


def test_empty_database_is_pending_every_head(scratch_engine):
    status = schema_status(scratch_engine)
    assert not status.at_head
    assert status.pending == head_revisions()
    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == set()
