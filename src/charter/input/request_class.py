"""The request class, with every reified request property on it from start-up.

Pyramid applies the properties of ``add_request_method(..., reify=True)`` to
each request by building a new subclass of the request class for it
(``InstancePropertyHelper.apply_properties``): with Charter's 27 properties
that cost about 5 % of a 304 revalidation's CPU instructions. Once the
configuration is complete, the properties go on one subclass of the request
factory instead, made once, and Pyramid has none left to apply per request.
Methods (``add_request_method`` without ``reify``) are still bound per
request, as Pyramid does.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.interfaces import PHASE3_CONFIG, IRequestExtensions, IRequestFactory
from pyramid.registry import Registry
from pyramid.request import Request

# After every action of the default phase: all of the core's and the add-ons' request
# properties are registered by then.
BAKE_ORDER = PHASE3_CONFIG + 1


def bake_request_properties(registry: Registry) -> None:
    """Move the registered request properties onto a subclass of the request factory, made
    once, and make that subclass the factory."""
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is None or not extensions.descriptors:
        return
    factory = registry.queryUtility(IRequestFactory, default=Request)
    baked = type(
        factory.__name__,
        (factory,),
        {"__module__": factory.__module__, **extensions.descriptors},
    )
    registry.registerUtility(baked, IRequestFactory)
    extensions.descriptors = {}


def include_baking(config: Configurator) -> None:
    """Bake the request properties at the end of the configuration's commit."""
    config.action(None, lambda: bake_request_properties(config.registry), order=BAKE_ORDER)
