"""The dashboard a logged-in person sees on the home page, above the root folder's items:
what changed lately, their drafts, and what waits for their review.

Each list is one bounded query through the listings' visibility filter
(charter.tree.recent, charter.workflow.worklists); nothing the person may not
view can appear. Anonymous visitors get the home page without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.request import Request

from charter.content.registry import types_of
from charter.tree.recent import ChangedItem, recently_changed
from charter.tree.visibility import Viewer
from charter.workflow.worklists import Worklists

# Items per list: a glance at the day's work; the tree and search hold the rest.
DASHBOARD_ITEMS = 10


@dataclass(frozen=True)
class Dashboard:
    """The three lists of the home page."""

    recent: list[ChangedItem]
    drafts: list[ChangedItem]
    review: list[ChangedItem]


def dashboard(request: Request) -> Dashboard | None:
    """The caller's dashboard, or None for an anonymous visitor."""
    identity = request.identity
    if identity is None:
        return None
    viewer = request.viewer_principals
    worklists = Worklists(request.dbsession, types_of(request.registry).workflows)
    # The roles that may review, as the security policy knows them (an Administrator's
    # unfiltered viewer says nothing about review).
    reviewer = Viewer(
        identity.principals,
        global_roles=frozenset(role.value for role in identity.global_roles),
        user_id=identity.user_id,
    )
    return Dashboard(
        recent=recently_changed(request.dbsession, viewer, DASHBOARD_ITEMS),
        drafts=worklists.drafts(viewer, identity.user_id, DASHBOARD_ITEMS),
        review=worklists.waiting_for_review(viewer, reviewer, DASHBOARD_ITEMS),
    )
