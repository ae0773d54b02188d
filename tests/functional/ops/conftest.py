"""An app that trusts one proxy address, with a probe view showing what Charter saw."""

from collections.abc import Callable

import pytest
import webtest
from pyramid.response import Response

from charter import make_configurator
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY

PROXY = "10.0.0.5"


def probe(request):
    """What the request looks like to the views once the ops tween has run."""
    return Response(
        json_body={
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "request_id": request.request_id,
            "forwarded_for": request.headers.get("X-Forwarded-For"),
        }
    )


def boom(request):
    """A view failing unexpectedly, with a secret in its message."""
    raise RuntimeError("unexpected failure password=hunter2-in-a-message")


@pytest.fixture(scope="module")
def build_app(charter_settings, charter_engine) -> Callable[..., webtest.TestApp]:
    """Build the whole app with extra settings (and the probe view at ``/_probe``)."""
    configs = []

    def build(**extra: str):
        config = make_configurator({**charter_settings, **extra}, environ={})
        config.add_route("ops_probe", "/_probe")
        config.add_view(probe, route_name="ops_probe")
        config.add_route("ops_boom", "/_boom")
        config.add_view(boom, route_name="ops_boom")
        config.commit()
        configs.append(config)
        return config.make_wsgi_app()

    yield build
    for config in configs:
        config.registry["charter.db.engine"].dispose()


@pytest.fixture(scope="module")
def proxied_app(build_app):
    """The app trusting ``PROXY`` and ``::1``."""
    return build_app(**{"charter.proxy.trusted": f"{PROXY} ::1"})


@pytest.fixture
def client_of(db_connection) -> Callable[..., webtest.TestApp]:
    """WebTest on an app, in the test's transaction, as a peer at ``remote_addr``."""

    def make(app, remote_addr: str = "192.0.2.10") -> webtest.TestApp:
        return webtest.TestApp(
            app,
            extra_environ={
                TEST_CONNECTION_ENVIRON_KEY: db_connection,
                "HTTP_HOST": "example.com",
                "REMOTE_ADDR": remote_addr,
            },
        )

    return make
