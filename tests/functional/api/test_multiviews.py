"""The API's views of one URL are tried by asking their predicates, not by catching mismatches.

charter.api.multiviews: the same view answers as before (the 405s with
their Allow, the permissions: test_content_editing_api and the others), and
the views that do not answer are passed over without a PredicateMismatch each.
"""

import pytest
from pyramid.config.views import MultiView
from pyramid.exceptions import PredicateMismatch
from pyramid.interfaces import IMultiView, IRequest, IRouteRequest, IViewClassifier
from zope.interface import implementedBy

from charter.api.multiviews import PredicatesFirst
from charter.content.models import Document
from charter.tree.models import Node

API = "/api/v1/content"


@pytest.fixture
def guide(site_root, content, dbsession):
    """/docs (a folder) holding /docs/guide (a document)."""
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "# Guide")
    dbsession.flush()  # requests read through their own savepoint


@pytest.fixture
def mismatches(monkeypatch):
    """The PredicateMismatch exceptions made, by their arguments."""
    made = []
    build = PredicateMismatch.__init__

    def counted(self, *args, **kwargs):
        made.append(args)
        build(self, *args, **kwargs)

    monkeypatch.setattr(PredicateMismatch, "__init__", counted)
    return made


def content_multiview(registry, name=""):
    request_type = registry.getUtility(IRouteRequest, name="api.content")
    return registry.adapters.registered(
        (IViewClassifier, request_type, implementedBy(Node)), IMultiView, name
    )


def test_only_the_api_routes_views_are_tried_predicates_first(charter_app):
    registry = charter_app.registry
    page_views = registry.adapters.registered(
        (IViewClassifier, IRequest, implementedBy(Document)), IMultiView, ""
    )

    assert type(content_multiview(registry)) is PredicatesFirst
    assert type(content_multiview(registry, "@move")) is PredicatesFirst
    # A document's page and its JSON at the same URL (no route) keep Pyramid's own.
    assert type(page_views) is MultiView


def test_a_view_added_later_joins_the_views_tried(charter_app):
    multiview = content_multiview(charter_app.registry)

    assert PredicatesFirst.of(multiview).views is multiview.views


def test_a_get_makes_no_predicate_mismatch(testapp, guide, mismatches):
    etag = testapp.get(f"{API}/docs/guide").headers["ETag"]
    testapp.get(f"{API}/docs/guide", headers={"If-None-Match": etag}, status=304)
    testapp.get(f"{API}/docs", status=200)

    assert mismatches == []
