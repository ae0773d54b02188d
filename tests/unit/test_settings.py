"""Settings: parsing, validation, environment overrides, and the documented table."""

import re
from pathlib import Path

import pytest

import charter
from charter.settings import SETTINGS, SettingsError, parse_settings

URL = "sqlite:///var/charter.sqlite"
SECRET = "a-session-secret-of-at-least-32-characters"
# The settings without a default: every parse needs them.
REQUIRED = {"sqlalchemy.url": URL, "charter.session.secret": SECRET}
CONFIGURATION_DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def refused(raw, environ=None):
    """The one-line message ``parse_settings`` refuses ``raw`` with."""
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, environ={} if environ is None else environ)
    message = str(caught.value)
    assert "\n" not in message, "a settings error must be one line"
    assert caught.value.code == message, "SystemExit prints its code: it must be the message"
    return message


def test_settings_error_stops_the_process():
    assert issubclass(SettingsError, SystemExit)


def test_defaults_are_applied_and_typed():
    settings = parse_settings({**REQUIRED}, environ={})

    assert settings["sqlalchemy.url"] == URL
    assert settings["charter.db.pool_size"] == 10
    assert settings["charter.db.max_overflow"] == 10
    assert settings["charter.db.pool_timeout"] == 30
    assert settings["charter.db.pool_recycle"] == 3600
    assert settings["charter.db.echo"] is False
    assert settings["retry.attempts"] == 3
    assert settings["charter.site_title"] == "Charter"
    assert settings["charter.debug"] is False
    assert settings["charter.api.default_page_size"] == 50
    assert settings["charter.api.max_page_size"] == 200


def test_every_declared_default_parses():
    settings = parse_settings({**REQUIRED}, environ={})

    for setting in SETTINGS:
        if setting.default is not None:
            assert settings[setting.key] == setting.parser(setting.default), setting.key


def test_given_values_are_parsed():
    settings = parse_settings(
        {
            "sqlalchemy.url": f"  {URL}  ",
            "charter.session.secret": SECRET,
            "charter.db.pool_size": " 25 ",
            "charter.db.echo": "yes",
            "charter.debug": "On",
            "charter.site_title": "  Intranet ",
            "retry.attempts": "1",
            "charter.api.default_page_size": "20",
            "charter.api.max_page_size": "20",
        },
        environ={},
    )

    assert settings["sqlalchemy.url"] == URL
    assert settings["charter.db.pool_size"] == 25
    assert settings["charter.db.echo"] is True
    assert settings["charter.debug"] is True
    assert settings["charter.site_title"] == "Intranet"
    assert settings["retry.attempts"] == 1
    assert settings["charter.api.default_page_size"] == 20


@pytest.mark.parametrize("text", ["false", "False", "no", "off", "0"])
def test_false_spellings(text):
    settings = parse_settings({**REQUIRED, "charter.debug": text}, environ={})

    assert settings["charter.debug"] is False


def test_already_typed_values_are_accepted():
    settings = parse_settings(
        {**REQUIRED, "charter.db.pool_size": 7, "charter.debug": True}, environ={}
    )

    assert settings["charter.db.pool_size"] == 7
    assert settings["charter.debug"] is True


def test_an_empty_value_means_the_default():
    settings = parse_settings(
        {**REQUIRED, "charter.site_title": "   ", "charter.db.pool_size": ""},
        environ={},
    )

    assert settings["charter.site_title"] == "Charter"
    assert settings["charter.db.pool_size"] == 10


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("charter.db.pool_size", "abc", "a whole number from 1 to 1000"),
        ("charter.db.pool_size", "0", "a whole number from 1 to 1000"),
        ("charter.db.pool_size", "1001", "a whole number from 1 to 1000"),
        ("charter.db.pool_size", "2.5", "a whole number from 1 to 1000"),
        ("charter.db.max_overflow", "-1", "a whole number from 0 to 1000"),
        ("charter.db.pool_timeout", "601", "a whole number from 1 to 600"),
        ("charter.db.pool_recycle", "59", "a whole number from 60 to 86400"),
        ("charter.db.echo", "maybe", "true or false"),
        ("charter.debug", "2", "true or false"),
        ("retry.attempts", "11", "a whole number from 1 to 10"),
        ("charter.api.default_page_size", "201", "a whole number from 1 to 200"),
        ("charter.api.max_page_size", "many", "a whole number from 1 to 200"),
    ],
)
def test_bad_value_names_key_value_and_expectation(key, value, expected):
    message = refused({**REQUIRED, key: value})

    assert message == f"Bad setting {key} = {value!r}: expected {expected}"


def test_empty_text_is_refused_by_its_parser():
    text_settings = [s for s in SETTINGS if s.key == "charter.site_title"]

    with pytest.raises(ValueError):  # noqa: PT011 - the parser's own contract
        text_settings[0].parser("   ")
    assert text_settings[0].parser.expected == "a non-empty text"


def test_unknown_charter_key_suggests_the_nearest():
    message = refused({**REQUIRED, "charter.db.pool_sise": "5"})

    assert message == "Unknown setting charter.db.pool_sise; did you mean charter.db.pool_size?"


def test_unknown_charter_key_far_from_any_points_at_the_docs():
    message = refused({**REQUIRED, "charter.mailer.smtp_hostname": "1"})

    assert message == "Unknown setting charter.mailer.smtp_hostname; see docs/configuration.md"


def test_keys_of_other_packages_pass_through_untouched():
    raw = {
        **REQUIRED,
        "pyramid.reload_templates": "true",
        "jinja2.filters": "x = y",
        "tm.attempts": "2",
        "anything": object(),
    }

    settings = parse_settings(raw, environ={})

    for key in ("pyramid.reload_templates", "jinja2.filters", "tm.attempts", "anything"):
        assert settings[key] is raw[key]


def test_raw_settings_are_not_modified():
    raw = {**REQUIRED, "charter.db.pool_size": "5"}

    parse_settings(raw, environ={})

    assert raw == {**REQUIRED, "charter.db.pool_size": "5"}


def test_missing_database_url_is_refused():
    message = refused({"charter.db.pool_size": "5", "charter.session.secret": SECRET})

    assert message.startswith("Missing setting sqlalchemy.url: expected a SQLAlchemy database URL")
    assert "CHARTER_DATABASE_URL" in message


def test_blank_database_url_is_refused():
    message = refused({"sqlalchemy.url": "  ", "charter.session.secret": SECRET})

    assert message.startswith("Missing setting sqlalchemy.url")


def test_environment_database_url_overrides_the_ini():
    environ = {"CHARTER_DATABASE_URL": "postgresql+psycopg://charter@db/charter"}

    settings = parse_settings({**REQUIRED}, environ=environ)

    assert settings["sqlalchemy.url"] == "postgresql+psycopg://charter@db/charter"


def test_environment_database_url_stands_in_for_a_missing_one():
    settings = parse_settings(
        {"charter.session.secret": SECRET}, environ={"CHARTER_DATABASE_URL": URL}
    )

    assert settings["sqlalchemy.url"] == URL


def test_empty_environment_variable_leaves_the_ini_value():
    settings = parse_settings({**REQUIRED}, environ={"CHARTER_DATABASE_URL": ""})

    assert settings["sqlalchemy.url"] == URL


def test_process_environment_is_read_by_default(monkeypatch):
    monkeypatch.setenv("CHARTER_DATABASE_URL", "sqlite:///from-environment.sqlite")

    settings = parse_settings({**REQUIRED})

    assert settings["sqlalchemy.url"] == "sqlite:///from-environment.sqlite"


def test_bad_environment_database_url_names_the_variable_not_the_password():
    message = refused(
        {**REQUIRED},
        environ={"CHARTER_DATABASE_URL": "mysql://root:hunter2-secret@db:notaport/x"},
    )

    assert message.startswith("Bad setting CHARTER_DATABASE_URL (environment) = ")
    assert "expected a SQLAlchemy database URL" in message
    assert "hunter2-secret" not in message


@pytest.mark.parametrize(
    "url",
    [
        "mysql+mysqlconnector://root:hunter2-secret@db:notaport/charter",
        "hunter2-secret is not a url",
        "://root:hunter2-secret@db",
    ],
)
def test_bad_database_url_never_shows_its_password(url):
    message = refused({"sqlalchemy.url": url, "charter.session.secret": SECRET})

    assert message.startswith("Bad setting sqlalchemy.url = ")
    assert "expected a SQLAlchemy database URL" in message
    assert "hunter2-secret" not in message


def test_database_url_with_an_unknown_driver_is_refused():
    message = refused(
        {
            "sqlalchemy.url": "postgres://charter:hunter2-secret@db/charter",
            "charter.session.secret": SECRET,
        }
    )

    assert message.startswith("Bad setting sqlalchemy.url = ")
    assert "hunter2-secret" not in message


def test_default_page_size_above_the_maximum_is_refused():
    message = refused(
        {
            **REQUIRED,
            "charter.api.default_page_size": "100",
            "charter.api.max_page_size": "50",
        }
    )

    assert message == (
        "Bad setting charter.api.default_page_size = 100: "
        "expected at most charter.api.max_page_size (50)"
    )


def test_default_page_above_the_default_maximum_is_fine_when_raised_together():
    settings = parse_settings({**REQUIRED, "charter.api.default_page_size": "200"}, environ={})

    assert settings["charter.api.default_page_size"] == 200


def test_app_factory_stops_start_up_with_one_line():
    with pytest.raises(SettingsError) as caught:
        charter.main({}, **{"charter.db.pool_size": "abc", "sqlalchemy.url": "sqlite://"})

    assert str(caught.value) == (
        "Bad setting charter.db.pool_size = 'abc': expected a whole number from 1 to 1000"
    )


def test_app_factory_refuses_an_unknown_key():
    with pytest.raises(SettingsError, match=r"did you mean charter\.site_title\?"):
        charter.main({}, **{"charter.site_titel": "x", "sqlalchemy.url": "sqlite://"})


def test_app_factory_refuses_an_unknown_driver_with_one_line():
    with pytest.raises(SettingsError, match=r"^Bad setting sqlalchemy\.url = "):
        charter.main({}, **{"sqlalchemy.url": "mysql+nosuchdriver://root@localhost/charter"})


def documented_settings():
    """{key: (default or None when required, env variable or None)} from the docs table."""
    assert CONFIGURATION_DOC.exists(), f"{CONFIGURATION_DOC} is missing: it must list every setting"
    documented = {}
    table = []
    for line in [*CONFIGURATION_DOC.read_text(encoding="utf-8").splitlines(), ""]:
        if line.lstrip().startswith("|"):
            table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if len(table) > 2:
            documented.update(settings_table_rows(table))
        table = []
    return documented


def settings_table_rows(table):
    """The rows of one Markdown table when its header has a Default column."""
    header = [cell.lower() for cell in table[0]]
    default_column = next((i for i, cell in enumerate(header) if "default" in cell), None)
    env_column = next(
        (i for i, cell in enumerate(header) if "environment" in cell or "variable" in cell), None
    )
    if default_column is None:
        return {}
    assert env_column is not None, f"the settings table has no environment column: {table[0]}"
    rows = {}
    for cells in table[2:]:
        assert len(cells) == len(header), f"a settings row has the wrong number of cells: {cells}"
        key = cells[0].strip("`")
        default = cells[default_column]
        if "(required)" in default:
            default = None
        elif "(empty)" in default:
            default = ""
        else:
            default = default.strip("`")
        env = cells[env_column].strip("`") or None
        rows[key] = (default, env)
    return rows


def test_configuration_doc_lists_exactly_the_declared_settings():
    documented = documented_settings()
    declared = {setting.key: (setting.default, setting.env) for setting in SETTINGS}

    problems = [f"declared but not documented: {key}" for key in declared.keys() - documented]
    problems += [f"documented but not declared: {key}" for key in documented.keys() - declared]
    for key in sorted(declared.keys() & documented.keys()):
        (default, env), (doc_default, doc_env) = declared[key], documented[key]
        if default != doc_default:
            shown = "(required)" if default is None else repr(default)
            problems.append(f"{key}: default is {shown}, docs say {doc_default!r}")
        if env != doc_env:
            problems.append(f"{key}: environment variable is {env!r}, docs say {doc_env!r}")
    assert not problems, "docs/configuration.md and charter.settings differ:\n" + "\n".join(
        sorted(problems)
    )


def test_settings_are_declared_once_with_a_doc_line():
    keys = [setting.key for setting in SETTINGS]

    assert len(keys) == len(set(keys))
    for setting in SETTINGS:
        assert setting.doc.strip(), setting.key
        assert "\n" not in setting.doc, setting.key
        assert setting.env is None or re.fullmatch(r"CHARTER_[A-Z_]+", setting.env), setting.key


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("sqlalchemy.urll", "Unknown setting sqlalchemy.urll; did you mean sqlalchemy.url?"),
        (
            "sqlalchemy.pool_size",
            "Unknown setting sqlalchemy.pool_size; did you mean charter.db.pool_size?",
        ),
        ("charter.addon", "Unknown setting charter.addon; did you mean charter.addons?"),
        ("charter.zzz", "Unknown setting charter.zzz; see docs/configuration.md"),
    ],
)
def test_unknown_keys_under_owned_prefixes_are_refused_with_a_fitting_hint(key, message):
    assert refused({**REQUIRED, key: "1"}) == message
