"""The Lambda entry point, fed synthetic API Gateway events (REST v1 and HTTP v2)."""

import base64
import json

import pytest

from charter.ops import serverless
from charter.scripts import init


@pytest.fixture
def handler(write_ini, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-lambda-tests")
    path = write_ini(f"charter.blobs.path = {tmp_path / 'blobs'}")
    assert init.main([path, "--no-sample"]) == 0
    capsys.readouterr()
    monkeypatch.setenv(serverless.CONFIG_VARIABLE, path)
    monkeypatch.setattr(serverless, "_handler", None)
    yield serverless.handler
    if serverless._handler is not None:
        serverless._handler.wsgi_app.registry["charter.db.engine"].dispose()


def rest_event(method, path, headers=None, body=None):
    """An API Gateway REST API (v1) proxy event."""
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Host": "abc123.execute-api.eu-west-1.amazonaws.com", **(headers or {})},
        "multiValueHeaders": None,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "stage": "prod",
            "identity": {"sourceIp": "198.51.100.4"},
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def http_event(method, path, headers=None):
    """An API Gateway HTTP API (v2) event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "x-forwarded-proto": "https",
            **(headers or {}),
        },
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.4",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def body_of(response):
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)


def test_a_rest_api_event_reaches_charter(handler):
    response = handler(rest_event("GET", "/healthz"), None)

    assert response["statusCode"] == 200
    assert body_of(response) == {"status": "ok"}
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    assert "x-request-id" in headers or "x-request-id" in multi


def test_an_http_api_event_reaches_charter(handler):
    response = handler(http_event("GET", "/api/v1/version"), None)

    assert response["statusCode"] == 200
    assert body_of(response)["name"] == "charter"
    assert body_of(response)["schema"]["at_head"] is True


def test_the_database_answers_through_lambda(handler):
    response = handler(http_event("GET", "/readyz"), None)

    assert response["statusCode"] == 200, response
    assert body_of(response)["status"] == "ok"


def test_an_anonymous_api_call_is_asked_to_authenticate(handler):
    response = handler(http_event("GET", "/api/v1/me"), None)

    assert response["statusCode"] == 401
    assert body_of(response)["status"] == 401
