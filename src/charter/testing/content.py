"""Building test sites: content as it stands on a site in use."""

from __future__ import annotations

import copy

from charter.content.registry import TypeRegistry


def reviewed_types(types: TypeRegistry) -> TypeRegistry:
    """``types``, except that new nodes start in the state a site's reviewed content is in
    (their workflow's ``root_state``: published), as every node of a site that existed
    before workflows is after its migration. Tests of the workflow itself add with the
    real ``types`` (the ``draft_content`` fixture), so nodes start private as people's do."""
    reviewed = copy.copy(types)
    reviewed.initial_state = reviewed.workflows.root_state  # type: ignore[method-assign]
    return reviewed
