"""What services are given to check permissions, apart from the security package's services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.request import Request


def caller_permits(request: Request) -> Callable[[Any, str], bool]:
    """Whether this request's caller holds a permission on a node: what services are given
    to check permissions with."""

    def permits(node: Any, permission: str) -> bool:
        return bool(request.has_permission(permission, node))

    return permits
