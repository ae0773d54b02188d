"""The command-line tools, run in-process on an ini file and a database of their own."""

import re

import pytest
from pyramid.paster import bootstrap
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Session

import charter.content.models  # noqa: F401 - maps Document so Node queries load every type
from charter.accounts.models import User
from charter.accounts.passwords import verify_password
from charter.db.migrations import current_revisions, head_revisions
from charter.scripts import init, migrate, pshell
from charter.settings import SettingsError
from charter.tree.models import Node

SAMPLE_PATHS = [
    "/",
    "/policies",
    "/policies/travel",
    "/projects",
    "/projects/onboarding",
    "/projects/onboarding/handbook",
    "/projects/roadmap",
    "/welcome",
]
PASSWORD_LINE = re.compile(r"^Created account 'admin' with password: (\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def no_admin_password_from_the_environment(monkeypatch):
    """charter-init must not pick up a password from the environment of the test run."""
    monkeypatch.delenv(init.ADMIN_PASSWORD_VARIABLE, raising=False)


@pytest.fixture
def read_database(scratch_database_url):
    """Run a function with a Session on the CLI database and return its result."""
    engine = create_engine(scratch_database_url)

    def read(function):
        with Session(engine) as session:
            return function(session)

    yield read
    engine.dispose()


def node_states(session):
    """(path, uid, type, title, modified, version, created_by_id) of every node, by path."""
    return [
        (n.path, n.uid, n.type, n.title, n.modified, n.version, n.created_by_id)
        for n in session.scalars(select(Node).order_by(Node.path))
    ]


def admin_state(session):
    """The admin account's (id, login, password hash), or None."""
    admin = session.scalars(select(User).where(User.login == "admin")).one_or_none()
    return None if admin is None else (admin.id, admin.login, admin.password_hash)


def test_first_run_creates_root_admin_and_sample_content(write_ini, read_database, capsys):
    ini = write_ini()

    assert init.main([ini]) == 0

    output = capsys.readouterr().out
    heads = ", ".join(sorted(head_revisions()))
    assert f"Database schema upgraded from an empty database to {heads}." in output
    assert "Created the root folder; every logged-in user may read it." in output
    assert "Added 7 sample items." in output
    passwords = PASSWORD_LINE.findall(output)
    assert len(passwords) == 1
    password = passwords[0]
    assert len(password) >= 12
    assert output.count(password) == 1, "the generated password is printed once"

    nodes = read_database(node_states)
    admin_id, login, password_hash = read_database(admin_state)
    assert [state[0] for state in nodes] == SAMPLE_PATHS
    assert login == "admin"
    assert password_hash.startswith("$argon2id$")
    assert password not in password_hash
    assert verify_password(password_hash, password)
    assert not verify_password(password_hash, password + "x")
    root = nodes[0]
    assert root[2:4] == ("Folder", "CLI Test Site")
    assert {state[6] for state in nodes} == {admin_id}, "the admin created every node"
    assert {state[0]: state[2] for state in nodes}["/welcome"] == "Document"
    # The sample shows the workflow: published pages, one waiting for review, one draft.
    states = read_database(
        lambda session: dict(session.execute(select(Node.path, Node.workflow_state)).all())
    )
    assert states["/"] == states["/welcome"] == states["/projects/onboarding"] == "published"
    assert states["/policies/travel"] == "pending"
    assert states["/projects/roadmap"] == "private"


def test_password_from_the_environment_is_used_and_not_printed(
    write_ini, read_database, capsys, monkeypatch
):
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "correct-horse-battery")
    ini = write_ini()

    assert init.main([ini]) == 0

    output = capsys.readouterr().out
    assert "Created account 'admin' with password: from CHARTER_ADMIN_PASSWORD" in output
    assert "correct-horse-battery" not in output
    _, _, password_hash = read_database(admin_state)
    assert verify_password(password_hash, "correct-horse-battery")


def test_second_run_changes_nothing(write_ini, read_database, capsys, monkeypatch):
    ini = write_ini()
    init.main([ini])
    capsys.readouterr()
    nodes_before = read_database(node_states)
    admin_before = read_database(admin_state)
    # Even a password in the environment must not replace the existing one.
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-different-password")

    assert init.main([ini]) == 0

    output = capsys.readouterr().out
    assert "Database schema is up to date at" in output
    assert "Account 'admin' exists; its password is unchanged." in output
    assert "The site exists; nothing added." in output
    assert "Created" not in output
    assert "Added" not in output
    assert read_database(node_states) == nodes_before
    assert read_database(admin_state) == admin_before
    assert read_database(lambda session: session.scalar(select(func.count(User.id)))) == 1


def test_no_sample_creates_only_the_root(write_ini, read_database, capsys):
    ini = write_ini()

    assert init.main([ini, "--no-sample"]) == 0

    output = capsys.readouterr().out
    assert "Created the root folder; every logged-in user may read it." in output
    assert "sample" not in output
    assert [state[0] for state in read_database(node_states)] == ["/"]
    assert read_database(admin_state) is not None


def test_bad_setting_stops_with_one_line_and_touches_nothing(
    write_ini, scratch_database_url, capsys
):
    ini = write_ini("charter.db.pool_size = abc")

    with pytest.raises(SettingsError) as caught:
        init.main([ini])

    assert str(caught.value) == (
        "Bad setting charter.db.pool_size = 'abc': expected a whole number from 1 to 1000"
    )
    assert "Database schema" not in capsys.readouterr().out
    engine = create_engine(scratch_database_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_unknown_setting_in_the_ini_is_refused_with_a_suggestion(write_ini):
    ini = write_ini("charter.sitetitle = Typo")

    with pytest.raises(SettingsError, match=r"did you mean charter\.site_title\?"):
        init.main([ini])


def test_migrate_brings_an_empty_database_to_head(
    write_ini, scratch_database_url, read_database, capsys
):
    ini = write_ini()

    assert migrate.main([ini]) == 0
    assert migrate.main([ini]) == 0

    heads = ", ".join(sorted(head_revisions()))
    assert capsys.readouterr().out.splitlines() == [
        f"Database schema upgraded from an empty database to {heads}.",
        f"Database schema is up to date at {heads}.",
    ]
    engine = create_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            assert current_revisions(connection) == head_revisions()
    finally:
        engine.dispose()
    assert read_database(node_states) == [], "migrating adds no content"


def test_migrate_refuses_a_bad_setting(write_ini):
    ini = write_ini("charter.debug = perhaps")

    with pytest.raises(SettingsError, match=r"^Bad setting charter\.debug = 'perhaps'"):
        migrate.main([ini])


def test_pshell_setup_exposes_session_tree_and_root(write_ini, capsys):
    ini = write_ini()
    init.main([ini, "--no-sample"])

    with bootstrap(ini) as env:
        pshell.setup(env)
        try:
            assert env["root"].path == "/"
            assert env["root"].title == "CLI Test Site"
            assert env["tree"].resolve([]).context is env["root"]
            assert env["dbsession"].scalar(select(func.count(Node.id))) == 1
            assert env["tm"] is env["request"].tm
        finally:
            env["tm"].abort()
            env["registry"]["charter.db.engine"].dispose()


def test_pshell_setup_on_an_uninitialised_site_has_no_root(write_ini):
    ini = write_ini()
    migrate.main([ini])

    with bootstrap(ini) as env:
        pshell.setup(env)
        try:
            assert env["root"] is None
            assert env["dbsession"] is env["request"].dbsession
        finally:
            env["tm"].abort()
            env["registry"]["charter.db.engine"].dispose()
