"""Logging a test client in without going through the login form (and its Argon2 cost)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import webtest
from pyramid.interfaces import ISessionFactory
from pyramid.request import Request
from pyramid.response import Response

from charter.accounts.models import User
from charter.security.identity import credential_stamp
from charter.security.policy import SESSION_STAMP_KEY, SESSION_USER_KEY


def login_as(testapp: webtest.TestApp, user: User) -> webtest.TestApp:
    """Give ``testapp`` the session cookie a real login of ``user`` would set; returns it."""
    registry = testapp.app.registry
    request = Request.blank("/", base_url=f"http://{testapp.extra_environ['HTTP_HOST']}")
    request.registry = registry
    session = registry.getUtility(ISessionFactory)(request)
    session[SESSION_USER_KEY] = user.id
    session[SESSION_STAMP_KEY] = credential_stamp(user.password_hash)
    response = Response()
    request._process_response_callbacks(response)
    for header in response.headers.getall("Set-Cookie"):
        for name, morsel in SimpleCookie(header).items():
            testapp.set_cookie(name, morsel.value)
    return testapp
