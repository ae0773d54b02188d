"""Fixtures of the JSON API tests: a check that no stored secret ever leaks."""

import pytest
import webtest


@pytest.fixture(autouse=True)
def no_stored_secret_in_any_response(monkeypatch):
    """Every response a test here receives is checked for password and token hashes."""
    send = webtest.TestApp.do_request

    def send_and_check(app, request, status=None, expect_errors=None):
        response = send(app, request, status=status, expect_errors=expect_errors)
        for secret in ("password_hash", "token_hash", "$argon2"):
            assert secret not in response.text, f"{secret} in {request.method} {request.url}"
        return response

    monkeypatch.setattr(webtest.TestApp, "do_request", send_and_check)
