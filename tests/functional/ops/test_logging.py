"""Structured logs through the whole app: one access line a request, the request id on every
line, no secrets."""

import io
import json
import logging

import pytest

from charter.accounts.services import TokenService
from charter.ops.logging import ConsoleFormatter, JSONFormatter
from charter.testing.plugin import TEST_PASSWORD
from charter.testing.sessions import login_as
from tests.functional.ops.conftest import PROXY


@pytest.fixture
def log_lines():
    """Everything logged at DEBUG and above (but SQL), as JSON objects: ``log_lines()``."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet = [logging.getLogger(name) for name in ("sqlalchemy.engine", "alembic", "faker")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)

    def read():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    read.text = stream.getvalue
    yield read
    root.removeHandler(handler)
    root.setLevel(level)
    for logger, old in zip(quiet, levels, strict=True):
        logger.setLevel(old)


def access_lines(lines):
    return [line for line in lines if line["logger"] == "charter.access"]


def test_one_access_line_per_request(client_of, proxied_app, log_lines):
    response = client_of(proxied_app).get("/_probe")

    [line] = access_lines(log_lines())
    assert line["event"] == "request"
    assert line["level"] == "info"
    assert line["method"] == "GET"
    assert line["path"] == "/_probe"
    assert line["status"] == 200
    assert line["size"] == len(response.body)
    assert isinstance(line["duration_ms"], int | float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["timestamp"].endswith("Z")


def test_the_access_line_names_the_user(client_of, proxied_app, staff_user, log_lines):
    app = login_as(client_of(proxied_app), staff_user)
    app.get("/api/v1/me", status="*")

    [line] = access_lines(log_lines())
    assert line["user_id"] == staff_user.id


def test_the_query_string_is_not_logged(client_of, proxied_app, log_lines):
    client_of(proxied_app).get("/_probe?token=abc123secret&q=x")

    [line] = access_lines(log_lines())
    assert line["path"] == "/_probe"
    assert "abc123secret" not in log_lines.text()


def test_every_line_of_a_request_carries_its_id(client_of, proxied_app, log_lines):
    response = client_of(proxied_app, PROXY).get(
        "/_boom", headers={"X-Request-ID": "trace-42"}, status=500
    )

    lines = log_lines()
    assert response.headers["X-Request-ID"] == "trace-42"
    errors = [line for line in lines if line["level"] == "error"]
    assert errors, lines
    assert all(line["request_id"] == "trace-42" for line in lines)
    [access] = access_lines(lines)
    assert access["status"] == 500
    # The error's message and traceback had a password in them.
    assert "hunter2" not in log_lines.text()
    assert "[redacted]" in log_lines.text()


def test_lines_logged_after_a_request_do_not_carry_its_id(client_of, proxied_app, log_lines):
    client_of(proxied_app).get("/_probe")
    logging.getLogger("charter.test").info("between requests")

    assert "request_id" not in log_lines()[-1]


def test_no_password_session_key_or_token_reaches_the_log(
    client_of, proxied_app, staff_user, dbsession, log_lines
):
    app = client_of(proxied_app)
    form = app.get("/login").forms["login-form"]
    form["login"] = staff_user.login
    form["password"] = TEST_PASSWORD
    form.submit(status="*")
    form = app.get("/login").forms["login-form"]
    form["login"] = staff_user.login
    form["password"] = "a wrong password of mine"
    form.submit(status="*")
    cookies = [cookie.value for cookie in app.cookiejar]
    _, token = TokenService(dbsession).create(staff_user, "logs", scope="read")
    dbsession.flush()
    app.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, status="*")
    app.get("/api/v1/me", headers={"Authorization": "Bearer charter_not-a-real-one-x"}, status="*")

    text = log_lines.text()
    assert len(access_lines(log_lines())) == 6
    for secret in (TEST_PASSWORD, "a wrong password of mine", token, "charter_not-a-real-one-x"):
        assert secret not in text
    assert cookies
    for cookie in cookies:
        assert cookie not in text


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("login with password=%s", "p4ssw0rd!"),
        ("Authorization: Bearer %s", "charter_abcdef123456"),
        ("connecting to mysql+mysqlconnector://charter:%s@db/charter", "dbpass99"),
        ("Cookie: charter_session=%s", "s3ss10nk3y"),
        ("settings {'charter.session.secret': '%s'}", "0123456789abcdef0123456789abcdef"),
    ],
)
@pytest.mark.parametrize("formatter", [JSONFormatter, ConsoleFormatter])
def test_secrets_in_library_messages_are_redacted(formatter, message, secret):
    record = logging.LogRecord("lib", logging.WARNING, __file__, 1, message, (secret,), None)

    assert secret not in formatter().format(record)


def test_secrets_in_structured_fields_are_redacted():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("charter.test.fields")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        from charter.ops.logging import get_logger

        get_logger("charter.test.fields").info(
            "event", password="pw-1", headers={"Authorization": "Basic dXNlcjpwdw==", "X": "ok"}
        )
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())

    assert line["password"] == "[redacted]"
    assert line["headers"] == {"Authorization": "[redacted]", "X": "ok"}
