"""api_url generates the API route once per request and quotes paths as Pyramid's route_url does."""

from hypothesis import given, settings
from hypothesis import strategies as st
from pyramid.config import Configurator
from pyramid.request import Request

from charter.api.representation import api_url

ROUTE = "/api/v1/content*traverse"
# Names hold any text but "/" (charter.tree.names); these exercise the quoting.
AWKWARD_NAMES = ["plain", "a b", "100%", "ü-ß-日本", "~!$&'()*+,;=:@", "?#[]", "%2F", "e\u0301"]


def request_on(base: str = "http://example.com", script_name: str = "") -> Request:
    config = Configurator()
    config.add_route("api.content", ROUTE)
    config.commit()
    request = Request.blank("/", base_url=base + script_name)
    request.registry = config.registry
    return request


def pyramid_url(request: Request, path: str) -> str:
    return request.route_url("api.content", traverse="" if path == "/" else path)


def test_the_root_is_the_bare_prefix():
    request = request_on()

    assert api_url(request, "/") == "http://example.com/api/v1/content"


def test_awkward_names_are_quoted_as_pyramid_quotes_them():
    request = request_on()
    for name in AWKWARD_NAMES:
        path = f"/folder/{name}/{name}"
        assert api_url(request, path) == pyramid_url(request, path)


def test_the_application_url_of_the_request_is_kept():
    request = request_on("https://intranet.example.org:8443", "/charter")

    assert (
        api_url(request, "/a/b") == "https://intranet.example.org:8443/charter/api/v1/content/a/b"
    )
    assert api_url(request, "/a/b") == pyramid_url(request, "/a/b")


@settings(max_examples=200)
@given(st.lists(st.text(min_size=1).filter(lambda name: "/" not in name), min_size=1, max_size=5))
def test_any_path_gives_the_url_pyramid_gives(names):
    request = request_on()
    path = "/" + "/".join(names)

    assert api_url(request, path) == pyramid_url(request, path)
    # A second call uses the request's cached route prefix.
    assert api_url(request, path) == pyramid_url(request, path)
