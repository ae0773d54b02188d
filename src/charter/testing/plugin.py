"""Pytest fixtures for Charter and its add-ons.

Installed as the ``charter`` pytest plugin, so an add-on's tests get them
without a conftest. The database comes from ``CHARTER_TEST_DB`` (a
SQLAlchemy URL; SQLite when unset); each xdist worker gets its own database,
built once by running the real migrations. Every test then runs inside a
transaction that is rolled back at its end, and the app under WebTest joins
that same transaction, so tests never see each other's rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pkg_resources
import pytest
import webtest
from _pytest.assertion.rewrite import AssertionRewritingHook
from pyramid.router import Router
from sqlalchemy import Connection, Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from charter import make_configurator
from charter.accounts.models import Group, User
from charter.accounts.passwords import hash_password
from charter.accounts.services import TokenService
from charter.addons import addon_settings, addon_version_locations
from charter.content.models import Folder
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.db.engine import make_engine
from charter.db.migrations import upgrade
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.roles import DEFAULT_ROOT_GRANTS, Role
from charter.security.sharing import SharingService
from charter.settings import parse_settings
from charter.testing.content import reviewed_types
from charter.testing.databases import drop_database, recreate_database, worker_database_url

# The live-server fixtures: pytest registers the fixtures a plugin module holds.
from charter.testing.live import (  # noqa: F401
    charter_live_database_url,
    charter_live_settings,
    live,
    live_folder,
    live_server,
)
from charter.testing.querycount import QueryRecorder
from charter.testing.sessions import login_as
from charter.testing.strategies import load_profile, profile_name
from charter.tree.services import TreeService

TEST_DATABASE_VARIABLE = "CHARTER_TEST_DB"
TEST_PASSWORD = "correct horse battery staple"  # noqa: S105 - the test accounts' password

# pytest loads Charter (an installed plugin) through its assertion-rewriting
# import hook; Pyramid's static views look package files up through
# pkg_resources, which must be told that loader reads ordinary files.
pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)

PROPERTY_EXAMPLES = "property_examples"
# A line a test wants shown at the end of the run whatever happens (under xdist too): a
# contract run's seed and figures, so any run can be replayed.
RUN_NOTE = "run_note"


def pytest_configure(config: pytest.Config) -> None:
    """Load the Hypothesis profile CHARTER_HYPOTHESIS_PROFILE names, before tests import."""
    load_profile()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many property examples ran: tests record them as the user property
    ``property_examples`` (xdist sends user properties to the controller); then each
    ``run_note`` a test recorded."""
    reports = [r for rs in terminalreporter.stats.values() for r in rs if hasattr(r, "when")]
    total = sum(
        value
        for report in reports
        if report.when == "teardown"
        for name, value in report.user_properties
        if name == PROPERTY_EXAMPLES
    )
    if total:
        terminalreporter.write_line(f"property examples: {total} (profile {profile_name()})")
    for report in reports:
        if report.when == "teardown":
            for name, value in report.user_properties:
                if name == RUN_NOTE:
                    terminalreporter.write_line(str(value))


@pytest.fixture(scope="session")
def charter_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this worker, dropped when the session ends."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = worker_database_url(
        os.environ.get(TEST_DATABASE_VARIABLE), worker, tmp_path_factory.mktemp("db")
    )
    recreate_database(url)
    yield url.render_as_string(hide_password=False)
    drop_database(url)


@pytest.fixture
def scratch_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own (for migrations and CLI tools), dropped afterwards.

    On a server it is the worker's test database name plus ``_scratch``;
    otherwise a SQLite file in the test's temporary folder.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = os.environ.get(TEST_DATABASE_VARIABLE)
    url = worker_database_url(base, worker, tmp_path)
    if url.get_backend_name() == "sqlite":
        url = make_url(f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    else:
        url = url.set(database=f"{url.database}_scratch")
    recreate_database(url)
    yield url.render_as_string(hide_password=False)
    drop_database(url)


@pytest.fixture
def scratch_engine(scratch_database_url: str) -> Iterator[Engine]:
    """A Charter engine on ``scratch_database_url``, not migrated."""
    engine = make_engine(
        parse_settings(
            {"sqlalchemy.url": scratch_database_url, "charter.session.secret": "x" * 32},
            environ={},
        )
    )
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def charter_settings(
    charter_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The ini settings the test app is built from; add-ons may override this fixture."""
    return {
        "sqlalchemy.url": charter_database_url,
        # Never var/blobs in whatever folder the tests were started from.
        "charter.blobs.path": str(tmp_path_factory.mktemp("blobs")),
        "charter.site_title": "Charter Test",
        "charter.db.pool_size": "2",
        "charter.session.secret": "test-only-session-secret-0123456789abcdef",
        # WebTest speaks plain HTTP; a Secure cookie would never come back.
        "charter.session.secure": "false",
    }


@pytest.fixture(scope="session")
def charter_engine(charter_settings: dict[str, Any]) -> Iterator[Engine]:
    """An engine on the test database, migrated to head once per worker (with the add-ons
    ``charter_settings`` enables)."""
    settings = parse_settings(
        charter_settings, environ={}, extra_settings=addon_settings(charter_settings)
    )
    engine = make_engine(settings)
    with engine.begin() as connection:
        upgrade(connection, addon_version_locations(settings))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def charter_app(charter_settings: dict[str, Any], charter_engine: Engine) -> Iterator[Router]:
    """The whole WSGI application, built once per worker."""
    config = make_configurator(charter_settings, environ={})
    app = config.make_wsgi_app()
    yield app
    config.registry["charter.db.engine"].dispose()


@pytest.fixture
def db_connection(charter_engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    connection = charter_engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def dbsession(db_connection: Connection) -> Iterator[Session]:
    """A session for setting up and checking data; it shares the test's transaction."""
    session = Session(bind=db_connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()


@pytest.fixture
def query_recorder(db_connection: Connection) -> Iterator[QueryRecorder]:
    """Counts statements on the test connection: ``with query_recorder.record() as q:``."""
    recorder = QueryRecorder(db_connection)
    yield recorder
    recorder.close()


@pytest.fixture
def anonymous_app(charter_app: Router, db_connection: Connection) -> webtest.TestApp:
    """WebTest over the app, not logged in; its requests run in the test's transaction."""
    return webtest.TestApp(
        charter_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )


@pytest.fixture
def testapp(anonymous_app: webtest.TestApp, staff_user: User) -> webtest.TestApp:
    """WebTest logged in as ``staff_user``: an ordinary member of staff with no roles of
    their own, who sees what the default policy lets every logged-in person see."""
    return login_as(anonymous_app, staff_user)


@pytest.fixture
def admin_app(charter_app: Router, db_connection: Connection, admin_user: User) -> webtest.TestApp:
    """WebTest logged in as ``admin_user`` (a site Administrator)."""
    app = webtest.TestApp(
        charter_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    return login_as(app, admin_user)


@pytest.fixture
def client(charter_app: Router, db_connection: Connection) -> Callable[[User], webtest.TestApp]:
    """Log a fresh WebTest client in as someone: ``client(user)``."""

    def log_in(user: User) -> webtest.TestApp:
        app = webtest.TestApp(
            charter_app,
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        )
        return login_as(app, user)

    return log_in


@pytest.fixture
def tree(dbsession: Session) -> TreeService:
    """The tree service on the test session."""
    return TreeService(dbsession)


@pytest.fixture
def content(dbsession: Session, charter_app: Router) -> ContentService:
    """The editing service on the test session, knowing every type the app registered
    (an add-on's too), allowed everything. What it adds is already published (see
    ``reviewed_types``), so tests of listings, search and permissions see a site in use;
    ``draft_content`` adds in the workflow's initial state, as people do."""
    return ContentService(dbsession, types=reviewed_types(types_of(charter_app.registry)))


@pytest.fixture
def draft_content(dbsession: Session, charter_app: Router) -> ContentService:
    """The editing service on the test session, allowed everything, whose new nodes start
    in their workflow's initial state (private), as those people add do."""
    return ContentService(dbsession, types=types_of(charter_app.registry))


@pytest.fixture
def site_root(content: ContentService, dbsession: Session) -> Folder:
    """An initialised site as charter-init leaves it: the root folder, readable by every
    logged-in person, flushed so requests see it."""
    root = content.create_root("Charter Test")
    SharingService(dbsession).update(root, DEFAULT_ROOT_GRANTS)
    dbsession.flush()  # the audit entry too, so it comes before any request's
    return root


@pytest.fixture(scope="session")
def test_password_hash() -> str:
    """The Argon2 hash of ``TEST_PASSWORD``, computed once per worker."""
    return hash_password(TEST_PASSWORD)


@pytest.fixture
def make_user(dbsession: Session, test_password_hash: str) -> Callable[..., User]:
    """Create accounts (password ``TEST_PASSWORD``): ``make_user("ann", groups=["staff"])``."""

    def make(
        login: str,
        full_name: str = "",
        groups: tuple[str, ...] | list[str] = (),
        global_roles: tuple[str, ...] | list[str] = (),
    ) -> User:
        user = User(
            login=login,
            email=f"{login}@example.com",
            full_name=full_name or login.title(),
            password_hash=test_password_hash,
        )
        for name in groups:
            group = dbsession.scalars(select(Group).where(Group.name == name)).one_or_none()
            user.groups.append(group or Group(name=name, title=name.title()))
        dbsession.add(user)
        dbsession.flush()
        if global_roles:
            SharingService(dbsession).set_global_roles(user_principal(user.id), global_roles)
            dbsession.flush()
        return user

    return make


@pytest.fixture
def staff_user(make_user: Callable[..., User]) -> User:
    """An ordinary account, ``staff``, with no roles of its own."""
    return make_user("staff", "Sam Staff")


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    """An account named ``admin`` holding the site-wide Administrator role."""
    return make_user("admin", "Administrator", global_roles=[Role.ADMINISTRATOR.value])


@pytest.fixture
def bearer(dbsession: Session) -> Callable[..., dict[str, str]]:
    """``bearer(user, scope="read-write")``: the Authorization header of a new API token."""

    def make(user: User, scope: str = "read-write") -> dict[str, str]:
        _, text = TokenService(dbsession).create(user, "tests", scope=scope)
        dbsession.flush()  # requests read through their own savepoint
        return {"Authorization": f"Bearer {text}"}

    return make
