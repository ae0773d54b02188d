"""Logging a test client in without going through the login form (and its Argon2 cost)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import webtest
from pyramid.interfaces import IRequestFactory
from pyramid.request import Request, apply_request_extensions
from pyramid.response import Response
from pyramid.security import remember

from charter.accounts.models import User


def login_as(testapp: webtest.TestApp, user: User) -> webtest.TestApp:
    """Start a real session for ``user`` and give ``testapp`` its cookie; returns ``testapp``.

    The session record is made by the app's own security policy and session
    store, in a request of its own that shares the test app's environ (and
    so, in tests, its database transaction).
    """
    environ = dict(testapp.extra_environ)
    # The app's request class: it carries the request properties (charter.input.request_class).
    factory = testapp.app.registry.queryUtility(IRequestFactory, default=Request)
    request = factory.blank("/", environ=environ, base_url=f"http://{environ['HTTP_HOST']}")
    request.registry = testapp.app.registry
    apply_request_extensions(request)
    with request.tm:
        remember(request, user.id)
    response = Response()
    request._process_response_callbacks(response)
    for header in response.headers.getall("Set-Cookie"):
        for name, morsel in SimpleCookie(header).items():
            testapp.set_cookie(name, morsel.value)
    return testapp
