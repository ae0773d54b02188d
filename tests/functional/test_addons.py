"""Add-ons at work in the whole app: migrations, readiness, routes, templates, start-up errors.

Each test builds its own app (``make_configurator``, like ``pserve``) on a
scratch database of its own, because enabling an add-on changes both the
configuration and the schema. The test add-ons ``probe`` and ``echo`` live in
``tests/fixtures/addons`` beside a ``*.dist-info`` folder that declares their
``charter.addons`` entry points; putting that folder on ``sys.path`` installs
them for one test through the real ``importlib.metadata`` discovery, with
nothing pip installed and nothing patched (see tests/unit/addons/test_loader.py).
"""

import importlib
import sys
from pathlib import Path

import pytest
import webtest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, select, text

import charter.models  # noqa: F401 - registers every core table on the metadata
from charter import main, make_configurator
from charter.addons import addon_version_locations
from charter.addons.migrations import VERSION_TABLE_PREFIX
from charter.db.meta import Base
from charter.db.migrations import current_revisions, head_revisions, upgrade
from charter.scripts import migrate
from charter.search.models import is_engine_difference
from charter.settings import SettingsError

FIXTURE_ADDONS = Path(__file__).resolve().parents[1] / "fixtures" / "addons"
FIXTURE_PACKAGES = ("charter_probe", "charter_echo")
SECRET = "a-session-secret-of-at-least-32-characters"
PROBE_REVISION = "probe@0001"


@pytest.fixture
def fixture_addons(monkeypatch):
    """The add-ons ``probe`` and ``echo`` are installed for this test."""
    monkeypatch.syspath_prepend(str(FIXTURE_ADDONS))
    yield
    for name in list(sys.modules):
        if name.split(".")[0] in FIXTURE_PACKAGES:
            del sys.modules[name]


@pytest.fixture
def app_with(scratch_database_url, tmp_path):
    """Build the app on the scratch database with ``charter.addons`` and extra settings."""
    configs = []

    def build(addons="", **settings):
        config = make_configurator(
            {
                "sqlalchemy.url": scratch_database_url,
                "charter.session.secret": SECRET,
                "charter.session.secure": "false",
                "charter.blobs.path": str(tmp_path / "blobs"),
                "charter.addons": addons,
                **settings,
            },
            environ={},
        )
        configs.append(config)
        return webtest.TestApp(config.make_wsgi_app())

    yield build
    for config in configs:
        config.registry["charter.db.engine"].dispose()


@pytest.fixture
def migrate_with(write_ini):
    """Run ``charter-migrate`` on the scratch database with ``charter.addons`` set."""

    def run(addons=""):
        assert migrate.main([write_ini(f"charter.addons = {addons}")]) == 0

    return run


def probe_module():
    """The probe add-on's module (importable once ``fixture_addons`` is in use)."""
    return importlib.import_module("charter_probe")


def test_charter_migrate_upgrades_the_core_then_each_enabled_addon(
    fixture_addons, migrate_with, scratch_engine, capsys
):
    migrate_with("echo probe")
    migrate_with("echo probe")

    heads = ", ".join(sorted(head_revisions()))
    assert capsys.readouterr().out.splitlines() == [
        f"Database schema upgraded from an empty database to {heads}.",
        "Schema of add-on probe upgraded from nothing to 0001.",
        f"Database schema is up to date at {heads}.",
        "Schema of add-on probe is up to date at 0001.",
    ]
    (probe,) = addon_version_locations({"charter.addons": "probe"})
    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == head_revisions()
        assert current_revisions(connection, probe) == {"0001"}
        columns = {column["name"] for column in inspect(connection).get_columns("probe_notes")}
        (foreign_key,) = inspect(connection).get_foreign_keys("probe_notes")
    assert columns == {"id", "text", "node_id"}
    assert foreign_key["referred_table"] == "nodes"


def test_the_addon_table_matches_its_model_and_the_core_schema_does_not_drift(
    fixture_addons, scratch_engine
):
    with scratch_engine.begin() as connection:
        upgrade(connection, addon_version_locations({"charter.addons": "probe"}))
    combined = MetaData()
    for table in (*Base.metadata.tables.values(), *probe_module().metadata.tables.values()):
        table.to_metadata(combined)

    def not_a_version_table(name, type_, parent_names):
        return not (type_ == "table" and name.startswith(VERSION_TABLE_PREFIX))

    with scratch_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": not_a_version_table})
        # The full-text structures each database's search backend builds have no model.
        differences = [
            found
            for found in compare_metadata(context, combined)
            if not is_engine_difference(found)
        ]

    assert differences == [], "autogenerate finds differences:\n" + "\n".join(
        repr(difference) for difference in differences
    )


def test_readyz_waits_for_an_enabled_addons_migration(fixture_addons, app_with, migrate_with):
    migrate_with("")
    app = app_with("probe")

    response = app.get("/readyz", status=503)

    assert response.json == {
        "status": "unavailable",
        "reason": "database not migrated to head; run charter-migrate",
        "pending": [PROBE_REVISION],
    }

    migrate_with("probe")
    response = app.get("/readyz")

    assert response.json == {
        "status": "ok",
        "reason": "ok",
        "revisions": sorted({*head_revisions(), PROBE_REVISION}),
    }


def test_switching_an_addon_off_leaves_the_core_working(
    fixture_addons, app_with, migrate_with, scratch_engine, capsys
):
    migrate_with("probe")
    with scratch_engine.begin() as connection:
        connection.execute(probe_module().notes.insert(), [{"text": "kept"}])
    capsys.readouterr()

    app = app_with("")

    assert app.get("/healthz").json == {"status": "ok"}
    assert app.get("/readyz").json == {
        "status": "ok",
        "reason": "ok",
        "revisions": sorted(head_revisions()),
    }
    assert app.get("/probe", status=404).status_int == 404
    migrate_with("")
    heads = ", ".join(sorted(head_revisions()))
    assert capsys.readouterr().out.splitlines() == [f"Database schema is up to date at {heads}."]
    with scratch_engine.connect() as connection:
        assert connection.scalars(text("SELECT text FROM probe_notes")).all() == ["kept"]


@pytest.mark.parametrize("listed", ["echo probe", "probe echo"])
def test_an_addon_route_reads_its_settings_and_table_in_the_listed_order(
    fixture_addons, app_with, migrate_with, scratch_engine, listed
):
    migrate_with("probe")
    notes = probe_module().notes
    with scratch_engine.begin() as connection:
        connection.execute(notes.insert(), [{"text": t} for t in ("first", "second", "third")])
    app = app_with(listed, **{"charter.probe.limit": "2", "charter.probe.greeting": "Hi there"})

    response = app.get("/probe")

    assert response.json == {
        "greeting": "Hi there",
        "limit": 2,
        "notes": ["first", "second"],
        "load_order": listed.split(),
    }
    assert response.headers["X-Charter-Echo"] == "loaded"
    with scratch_engine.connect() as connection:
        assert connection.scalar(select(notes.c.text).where(notes.c.id == 3)) == "third"


def test_an_addon_page_renders_its_own_template_inside_the_core_layout(
    fixture_addons, app_with, migrate_with
):
    migrate_with("probe")

    response = app_with("probe").get("/probe/page")

    assert response.status_int == 200
    assert response.content_type == "text/html"
    assert response.html.find(id="probe-greeting").text == "Hello from the probe"
    assert response.html.title.text == "Probe · Charter"
    # The footer also holds the language menu.
    assert response.html.find("footer").text.strip().startswith("Charter · powered by Charter")


def test_an_addon_overrides_a_core_template_only_while_enabled(
    fixture_addons, app_with, migrate_with
):
    migrate_with("probe")
    marker = "shown by the probe add-on"

    with_probe = app_with("probe").get("/no-such-page", headers={"Accept": "text/html"}, status=404)
    core_only = app_with("").get("/no-such-page", headers={"Accept": "text/html"}, status=404)

    assert with_probe.html.find(id="probe-error-page") is not None
    assert marker in with_probe.text
    assert "Page not found" in with_probe.text
    assert marker not in core_only.text
    assert "Page not found" in core_only.text


def test_an_unknown_addon_stops_the_app_factory_with_one_line(fixture_addons):
    with pytest.raises(SettingsError) as caught:
        main(
            {},
            **{
                "sqlalchemy.url": "sqlite://",
                "charter.session.secret": SECRET,
                "charter.addons": "probe charter-evnts",
            },
        )

    message = str(caught.value)
    start, installed = message.split("; installed add-ons: ")
    assert start == "Unknown add-on 'charter-evnts' in charter.addons"
    assert {"echo", "probe"} <= set(installed.split(", "))
    assert "\n" not in message


def test_charter_migrate_refuses_an_unknown_addon_and_changes_nothing(
    fixture_addons, write_ini, scratch_engine
):
    ini = write_ini("charter.addons = charter-evnts")

    with pytest.raises(SettingsError, match=r"^Unknown add-on 'charter-evnts' in charter\.addons"):
        migrate.main([ini])

    with scratch_engine.connect() as connection:
        assert current_revisions(connection) == set()
        assert inspect(connection).get_table_names() == []


def test_a_bad_addon_setting_stops_the_app_factory_naming_the_key(fixture_addons, app_with):
    with pytest.raises(SettingsError) as caught:
        app_with("probe", **{"charter.probe.limit": "0"})

    assert str(caught.value) == (
        "Bad setting charter.probe.limit = '0': expected a whole number from 1 to 100"
    )
