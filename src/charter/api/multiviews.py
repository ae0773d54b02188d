"""The API's views of one URL, tried without an exception for each one that does not answer.

Pyramid keeps the views registered for one route, context type and view
name together in a ``MultiView`` and tries them in order: those with the
most predicates first. A GET of ``/api/v1/content/<path>`` meets the
node's POST views (upload, then JSON), its PATCH, DELETE and 405 views
before its own; Pyramid calls each, and each one's predicate check raises
``PredicateMismatch`` (an ``HTTPNotFound``, a whole response with its
headers) for the next to be tried: 3.6 % of a 304 revalidation
(benchmarks/README.md, issue 12 round 5).

``MultiView.match`` already asks a view's predicates (``__predicated__``)
without calling it. ``PredicatesFirst`` does the same before it calls a
view, so a view whose predicates do not hold is passed over at the cost of
asking them. Nothing else changes: the views, their order, the view that
answers (its predicates asked again as it is called) and its permission,
CSRF check and renderer are Pyramid's, and a view that raises
``PredicateMismatch`` itself still passes the request to the next one.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.config.views import MultiView
from pyramid.exceptions import PredicateMismatch
from pyramid.interfaces import PHASE3_CONFIG, IMultiView, IRouteRequest, IRoutesMapper
from pyramid.registry import Registry
from pyramid.request import Request

# After every view has been registered (add_view's actions run at PHASE3_CONFIG).
AFTER_VIEWS = PHASE3_CONFIG + 1
# Where the routes of the API begin.
API_ROUTES = "/api/v1/"


class PredicatesFirst(MultiView):
    """A MultiView that asks each view's predicates before calling it."""

    @classmethod
    def of(cls, multiview: MultiView) -> PredicatesFirst:
        """The same views, in the same order, as ``multiview``."""
        copy = cls(multiview.name)
        copy.views = multiview.views
        copy.media_views = multiview.media_views
        copy.accepts = multiview.accepts
        return copy

    def __call__(self, context: Any, request: Request) -> Any:
        """The answer of the first view whose predicates hold (PredicateMismatch: none)."""
        for _order, view, _phash in self.get_views(request):
            predicated = getattr(view, "__predicated__", None)
            if predicated is not None and not predicated(context, request):
                continue
            try:
                return view(context, request)
            except PredicateMismatch:
                continue
        raise PredicateMismatch(self.name)


def includeme(config: Configurator) -> None:
    """Once every view is registered, the multiviews of the API's routes become
    PredicatesFirst."""
    registry = config.registry
    config.action(None, lambda: use_predicates_first(registry, API_ROUTES), order=AFTER_VIEWS)


def use_predicates_first(registry: Registry, prefix: str) -> None:
    """Register a PredicatesFirst in place of each MultiView of a route whose pattern starts
    with ``prefix``; views added later join it, as they join a MultiView."""
    mapper = registry.getUtility(IRoutesMapper)
    request_types = {
        registry.getUtility(IRouteRequest, name=route.name)
        for route in mapper.get_routes()
        if route.pattern.startswith(prefix)
    }
    for registration in list(registry.registeredAdapters()):
        multiview = registration.factory
        if (
            registration.provided is IMultiView
            and type(multiview) is MultiView
            and registration.required[1] in request_types
        ):
            registry.registerAdapter(
                PredicatesFirst.of(multiview),
                registration.required,
                IMultiView,
                registration.name,
            )
