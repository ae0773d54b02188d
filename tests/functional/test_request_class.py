"""Request properties sit on one request class, made at start-up (charter.input.request_class)."""

from pyramid.interfaces import IRequestExtensions, IRequestFactory

from charter.input.cookies import CleanCookiesRequest


def test_the_request_class_carries_every_property_and_pyramid_applies_none(charter_app):
    factory = charter_app.registry.queryUtility(IRequestFactory)
    extensions = charter_app.registry.queryUtility(IRequestExtensions)

    assert issubclass(factory, CleanCookiesRequest)
    for name in ("dbsession", "tree", "viewer", "request_id", "content"):
        assert name in vars(factory)
    # Nothing is left for Pyramid to apply per request by making a new class each time.
    assert extensions.descriptors == {}


def test_a_property_is_made_once_per_request(charter_app):
    factory = charter_app.registry.queryUtility(IRequestFactory)
    first, second = factory.blank("/"), factory.blank("/")
    first.registry = second.registry = charter_app.registry

    assert type(first) is type(second) is factory
    assert first.request_id == first.request_id
    assert first.request_id != second.request_id


def test_requests_through_the_app_still_have_their_properties(testapp, site_root):
    # The page reads the session, identity, tree and database through request properties.
    assert testapp.get("/", headers={"Accept": "text/html"}).status_int == 200
