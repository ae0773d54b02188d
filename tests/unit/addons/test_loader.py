"""The add-on loader: which add-ons load, in what order, and how their declarations are checked.

How the test add-ons are "installed": Charter finds add-ons through
``importlib.metadata`` entry points, which it reads from every ``*.dist-info``
folder on ``sys.path``. ``tests/fixtures/addons`` holds two small packages
(``charter_probe``, ``charter_echo``) next to a ``charter_fixture_addons-1.0.dist-info``
folder whose ``entry_points.txt`` declares them in the ``charter.addons`` group.
A test that needs them puts that folder on ``sys.path`` (``monkeypatch``
takes it off again) and so exercises the real discovery code: nothing is pip
installed into the virtualenv, nothing in ``importlib.metadata`` is patched,
and no other test can see them. Odd add-ons for a single test (broken
declarations, a name installed twice) are written the same way into the
test's temporary folder.
"""

import importlib
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError

from charter import make_configurator
from charter.addons import (
    addon_settings,
    addon_version_locations,
    enabled_addons,
    include_addons,
    installed_addons,
    version_table,
)
from charter.addons.loader import listed_addons
from charter.db.migrations import VersionLocation
from charter.settings import SettingsError, parse_settings

FIXTURE_ADDONS = Path(__file__).resolve().parents[2] / "fixtures" / "addons"
FIXTURE_PACKAGES = ("charter_probe", "charter_echo")
LOAD_ORDER_KEY = "charter_fixture.load_order"
REQUIRED = {"sqlalchemy.url": "sqlite://", "charter.session.secret": "s" * 32}


def forget_modules(packages):
    """Drop ``packages`` and their submodules from ``sys.modules``."""
    for name in list(sys.modules):
        if name.split(".")[0] in packages:
            del sys.modules[name]


@pytest.fixture
def fixture_addons(monkeypatch):
    """The add-ons ``probe`` and ``echo`` are installed for this test."""
    monkeypatch.syspath_prepend(str(FIXTURE_ADDONS))
    yield
    forget_modules(FIXTURE_PACKAGES)


@pytest.fixture
def make_addon(tmp_path, monkeypatch):
    """Install a distribution with one package and its ``charter.addons`` entry points.

    ``make_addon("odd-addon", {"odd": "odd_addon:includeme"}, "odd_addon", source)``
    """
    monkeypatch.syspath_prepend(str(tmp_path))
    packages = []

    def make(distribution, entry_points, package, source, folders=()):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(textwrap.dedent(source))
        for folder in folders:
            (tmp_path / package / folder).mkdir()
        info = tmp_path / f"{distribution.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n"
        )
        (info / "entry_points.txt").write_text(
            "[charter.addons]\n" + "".join(f"{n} = {v}\n" for n, v in entry_points.items())
        )
        importlib.invalidate_caches()
        packages.append(package)

    yield make
    forget_modules(packages)


def refused(function, *args):
    """The one-line message ``function(*args)`` stops start-up with."""
    with pytest.raises(SettingsError) as caught:
        function(*args)
    message = str(caught.value)
    assert "\n" not in message, "a start-up error must be one line"
    assert caught.value.code == message
    return message


def test_the_list_takes_names_separated_by_spaces_or_new_lines():
    assert listed_addons({"charter.addons": "\n  probe\n  echo extra\n"}) == (
        "probe",
        "echo",
        "extra",
    )


@pytest.mark.parametrize("value", [None, "", "  \n  "])
def test_no_addons_are_listed_by_default(value):
    settings = {} if value is None else {"charter.addons": value}

    assert listed_addons(settings) == ()
    assert enabled_addons(settings) == ()


def test_parsed_settings_keep_the_listed_names():
    parsed = parse_settings({**REQUIRED, "charter.addons": "probe echo"}, environ={})

    assert parsed["charter.addons"] == ("probe", "echo")
    assert listed_addons(parsed) == ("probe", "echo")


@pytest.mark.parametrize("value", ["probe probe", "probe, echo", "probe;echo"])
def test_a_repeated_or_malformed_name_is_a_bad_setting(value):
    assert refused(listed_addons, {"charter.addons": value}) == (
        f"Bad setting charter.addons = {value!r}: expected add-on names separated by "
        "spaces or new lines, each once"
    )


def test_an_unknown_addon_stops_start_up_listing_the_installed_ones(fixture_addons):
    installed = sorted({ep.name for ep in entry_points(group="charter.addons")})
    assert {"echo", "probe"} <= set(installed)

    message = refused(enabled_addons, {"charter.addons": "probe prbe"})

    assert message == (
        "Unknown add-on 'prbe' in charter.addons; installed add-ons: " + ", ".join(installed)
    )
    assert "charter_probe" not in sys.modules, "nothing is imported before every name is known"


def test_an_unknown_addon_with_none_installed_says_so(monkeypatch):
    # An empty sys.path: no distribution at all is visible.
    monkeypatch.setattr(sys, "path", [])

    assert refused(enabled_addons, {"charter.addons": "charter-events"}) == (
        "Unknown add-on 'charter-events' in charter.addons; installed add-ons: none"
    )


def test_installed_is_not_enough_only_listed_addons_are_imported(fixture_addons):
    assert {"echo", "probe"} <= set(installed_addons())

    (addon,) = enabled_addons({"charter.addons": "echo"})

    assert addon.name == "echo"
    assert addon.module.__name__ == "charter_echo"
    assert addon.includeme is addon.module.includeme
    assert "charter_probe" not in sys.modules


@pytest.mark.parametrize("listed", ["echo probe", "probe echo"])
def test_addons_are_included_in_the_listed_order(fixture_addons, listed):
    config = Configurator(settings={"charter.addons": listed})

    include_addons(config)

    assert config.registry[LOAD_ORDER_KEY] == listed.split()


def test_including_no_addons_changes_nothing():
    config = Configurator(settings={"charter.addons": ()})

    include_addons(config)

    assert LOAD_ORDER_KEY not in config.registry


def test_an_addon_installed_by_two_distributions_is_refused(fixture_addons, make_addon):
    make_addon("probe-fork", {"probe": "probe_fork:includeme"}, "probe_fork", "")

    assert refused(enabled_addons, {"charter.addons": "probe"}) == (
        "Add-on 'probe' in charter.addons is installed twice, by charter-fixture-addons 1.0 "
        "and probe-fork 1.0; uninstall one"
    )


def test_an_entry_point_that_is_not_a_function_is_refused(make_addon):
    make_addon("odd-addon", {"odd": "odd_addon:TITLE"}, "odd_addon", 'TITLE = "Odd"\n')

    assert refused(enabled_addons, {"charter.addons": "odd"}) == (
        "Add-on 'odd': its entry point odd_addon:TITLE must name an includeme(config) function"
    )


def test_addon_settings_are_parsed_and_typed_like_the_core_ones(fixture_addons):
    raw = {**REQUIRED, "charter.addons": "probe", "charter.probe.limit": "25"}

    settings = parse_settings(raw, environ={}, extra_settings=addon_settings(raw))

    assert settings["charter.probe.limit"] == 25
    assert settings["charter.probe.greeting"] == "Hello from the probe"


def test_a_bad_addon_setting_stops_start_up_naming_the_key(fixture_addons):
    raw = {**REQUIRED, "charter.addons": "probe", "charter.probe.limit": "many"}

    assert refused(parse_settings, raw, {}, addon_settings(raw)) == (
        "Bad setting charter.probe.limit = 'many': expected a whole number from 1 to 100"
    )


def test_a_misspelt_addon_setting_is_unknown_with_a_suggestion(fixture_addons):
    raw = {**REQUIRED, "charter.addons": "probe", "charter.probe.limt": "5"}

    assert refused(parse_settings, raw, {}, addon_settings(raw)) == (
        "Unknown setting charter.probe.limt; did you mean charter.probe.limit?"
    )


def test_settings_of_an_addon_that_is_not_listed_are_unknown(fixture_addons):
    raw = {**REQUIRED, "charter.addons": "echo", "charter.probe.limit": "5"}

    assert refused(parse_settings, raw, {}, addon_settings(raw)) == (
        "Unknown setting charter.probe.limit; see docs/configuration.md"
    )


def test_the_echo_addon_declares_no_settings(fixture_addons):
    assert addon_settings({"charter.addons": "echo"}) == ()


def test_an_addon_may_not_declare_a_core_setting_again(make_addon):
    make_addon(
        "clash-addon",
        {"clash": "clash_addon:includeme"},
        "clash_addon",
        """\
        from charter.addons import Setting, nonempty_text

        SETTINGS = (Setting("charter.site_title", nonempty_text, "Mine", "The title."),)


        def includeme(config):
            pass
        """,
    )

    assert refused(addon_settings, {"charter.addons": "clash"}) == (
        "Add-on 'clash' declares setting charter.site_title, which Charter declares already"
    )


def test_two_addons_may_not_declare_the_same_setting(fixture_addons, make_addon):
    make_addon(
        "copycat-addon",
        {"copycat": "copycat_addon:includeme"},
        "copycat_addon",
        """\
        from charter.addons import Setting, integer

        SETTINGS = (Setting("charter.probe.limit", integer(1, 5), "1", "Mine."),)


        def includeme(config):
            pass
        """,
    )

    assert refused(addon_settings, {"charter.addons": "probe copycat"}) == (
        "Add-on 'copycat' declares setting charter.probe.limit, "
        "which add-on 'probe' declares already"
    )


def test_addon_settings_must_sit_under_charter(make_addon):
    make_addon(
        "odd-addon",
        {"odd": "odd_addon:includeme"},
        "odd_addon",
        """\
        from charter.addons import Setting, boolean

        SETTINGS = (Setting("odd.enabled", boolean, "true", "Whether it is odd."),)


        def includeme(config):
            pass
        """,
    )

    assert refused(addon_settings, {"charter.addons": "odd"}) == (
        "Add-on 'odd' declares setting odd.enabled; add-on settings start with charter."
    )


def test_addon_settings_must_be_setting_declarations(make_addon):
    make_addon(
        "odd-addon",
        {"odd": "odd_addon:includeme"},
        "odd_addon",
        """\
        SETTINGS = {"charter.odd.colour": "blue"}


        def includeme(config):
            pass
        """,
    )

    assert refused(addon_settings, {"charter.addons": "odd"}) == (
        "Add-on 'odd': odd_addon.SETTINGS must be a tuple of charter.addons.Setting"
    )


def test_the_probe_brings_its_migrations_in_a_version_table_of_its_own(fixture_addons):
    locations = addon_version_locations({"charter.addons": "echo probe"})

    assert locations == [
        VersionLocation(
            folder=FIXTURE_ADDONS / "charter_probe" / "migrations",
            version_table="alembic_version_probe",
            name="probe",
        )
    ]


def test_no_addons_bring_no_version_locations():
    assert addon_version_locations({"charter.addons": ""}) == []


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("probe", "alembic_version_probe"),
        ("charter-events", "alembic_version_charter_events"),
        ("Acme.Calendar", "alembic_version_acme_calendar"),
    ],
)
def test_version_table_names_are_plain_identifiers(name, table):
    assert version_table(name) == table


@pytest.mark.parametrize("spec", ["migrations", "odd_addon:no_such_folder", "no_such_pkg:x"])
def test_migrations_must_name_an_existing_folder(make_addon, spec):
    make_addon(
        "odd-addon",
        {"odd": "odd_addon:includeme"},
        "odd_addon",
        f"""\
        MIGRATIONS = {spec!r}


        def includeme(config):
            pass
        """,
    )

    assert refused(addon_version_locations, {"charter.addons": "odd"}) == (
        f"Add-on 'odd': MIGRATIONS = {spec!r} must name a folder as package:folder"
    )


def test_two_addons_may_not_share_a_version_table(make_addon):
    source = """\
        MIGRATIONS = "twin_addon:migrations"


        def includeme(config):
            pass
        """
    make_addon(
        "twin-addon",
        {"acme-calendar": "twin_addon:includeme", "acme.calendar": "twin_addon:includeme"},
        "twin_addon",
        source,
        folders=["migrations"],
    )

    assert refused(addon_version_locations, {"charter.addons": "acme-calendar acme.calendar"}) == (
        "Add-ons 'acme-calendar' and 'acme.calendar' would share the version table "
        "alembic_version_acme_calendar; rename one"
    )


def test_an_addon_name_too_long_for_its_version_table_is_refused(make_addon):
    name = "a" * 48
    make_addon(
        "long-addon",
        {name: "long_addon:includeme"},
        "long_addon",
        """\
        MIGRATIONS = "long_addon:migrations"


        def includeme(config):
            pass
        """,
        folders=["migrations"],
    )

    assert refused(addon_version_locations, {"charter.addons": name}) == (
        f"Add-on '{name}': its name is too long for its version table alembic_version_{name}"
    )


def test_an_addon_repeating_a_core_registration_stops_start_up_naming_both(make_addon, tmp_path):
    make_addon(
        "rival-addon",
        {"rival": "rival_addon:includeme"},
        "rival_addon",
        """\
        def includeme(config):
            config.add_route("healthz", "/health")
        """,
    )

    with pytest.raises(ConfigurationConflictError) as caught:
        make_configurator(
            {**REQUIRED, "charter.addons": "rival", "charter.blobs.path": str(tmp_path / "blobs")},
            environ={},
        )

    message = str(caught.value)
    assert "('route', 'healthz')" in message
    assert "rival_addon/__init__.py" in message
    assert "charter/health/__init__.py" in message
