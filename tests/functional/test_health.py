"""Liveness (``/healthz``) and readiness (``/readyz``) probes."""

import pytest
import webtest
from sqlalchemy import text

from charter import make_configurator
from charter.db.engine import make_engine
from charter.db.migrations import head_revisions, upgrade
from charter.settings import parse_settings

SECRET = "a-session-secret-of-at-least-32-characters"

# Port 1 is closed on any sane machine: connecting is refused at once.
UNREACHABLE_URLS = [
    "mysql+mysqlconnector://root@127.0.0.1:1/charter",
    "postgresql+psycopg://postgres@127.0.0.1:1/charter",
]


@pytest.fixture
def app_on(tmp_path):
    """Build a Charter app (no test transaction) on the database at a given URL."""
    configs = []

    def build(url):
        settings = {
            "sqlalchemy.url": url,
            "charter.session.secret": SECRET,
            "charter.blobs.path": str(tmp_path / "blobs"),
        }
        config = make_configurator(settings, environ={})
        configs.append(config)
        return webtest.TestApp(config.make_wsgi_app())

    yield build
    for config in configs:
        config.registry["charter.db.engine"].dispose()


def test_healthz_answers_ok(testapp):
    response = testapp.get("/healthz")

    assert response.status_int == 200
    assert response.content_type == "application/json"
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_on_a_migrated_database(testapp):
    response = testapp.get("/readyz")

    assert response.status_int == 200
    assert response.content_type == "application/json"
    body = response.json
    assert body["status"] == "ok"
    assert body["revisions"] == sorted(head_revisions())
    assert body["revisions"]
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_refuses_an_empty_database(app_on, tmp_path):
    app = app_on(f"sqlite:///{tmp_path / 'empty.sqlite'}")

    response = app.get("/readyz", status=503)

    assert response.content_type == "application/json"
    body = response.json
    assert body["status"] == "unavailable"
    assert "migrat" in body["reason"]
    assert "charter-migrate" in body["reason"]
    assert body["pending"] == sorted(head_revisions())
    assert "Traceback" not in response.text


def test_healthz_does_not_need_a_migrated_database(app_on, tmp_path):
    app = app_on(f"sqlite:///{tmp_path / 'empty.sqlite'}")

    assert app.get("/healthz").json == {"status": "ok"}


@pytest.mark.parametrize("url", UNREACHABLE_URLS)
def test_readyz_refuses_an_unreachable_database(app_on, url):
    app = app_on(url)

    response = app.get("/readyz", status=503)

    assert response.content_type == "application/json"
    assert response.json == {"status": "unavailable", "reason": "database unreachable"}
    assert "Traceback" not in response.text
    assert "127.0.0.1" not in response.text


@pytest.mark.parametrize("url", UNREACHABLE_URLS)
def test_healthz_answers_while_the_database_is_unreachable(app_on, url):
    app = app_on(url)

    assert app.get("/healthz").json == {"status": "ok"}


def test_readyz_stays_ready_when_a_newer_release_migrated_the_database(app_on, tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    engine = make_engine(
        parse_settings({"sqlalchemy.url": url, "charter.session.secret": SECRET}, environ={})
    )
    with engine.begin() as connection:
        upgrade(connection)
        connection.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    engine.dispose()

    response = app_on(url).get("/readyz")

    assert response.status_int == 200
    assert response.json == {
        "status": "ok",
        "reason": "database migrated by a newer release",
        "revisions": ["from_the_future"],
    }
