"""History: every content change kept as a revision, and redirects from where nodes were."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request

from charter.history.redirects import redirect_service
from charter.history.revisions import RevisionService


def revision_service(request: Request) -> RevisionService:
    """The revisions of nodes, read in this request's transaction (the editing service records
    them)."""
    return request.content.revisions


class SubpathPredicate:
    """View predicate ``subpath``: the segments after the view name, such as ``*/@diff/*``
    (``*`` stands for any one segment, ``""`` for none), so each history URL has its view."""

    def __init__(self, value: str, config: Any) -> None:
        self.value = tuple(value.split("/")) if value else ()

    def text(self) -> str:
        """How Pyramid names the predicate."""
        return f"subpath = {'/'.join(self.value)}"

    phash = text

    def __call__(self, context: Any, request: Request) -> bool:
        subpath = request.subpath
        return len(subpath) == len(self.value) and all(
            pattern in ("*", segment) for pattern, segment in zip(self.value, subpath, strict=True)
        )


def includeme(config: Configurator) -> None:
    """The history's request methods, and the ``subpath`` view predicate its URLs need."""
    config.add_view_predicate("subpath", SubpathPredicate)
    config.add_request_method(revision_service, "revisions", reify=True)
    config.add_request_method(redirect_service, "redirects", reify=True)
