"""The ``[pshell]`` setup: an interactive shell with the session and the tree at hand."""

from __future__ import annotations

from typing import Any


def setup(env: dict[str, Any]) -> None:
    """Expose ``dbsession``, ``tm``, ``tree`` and ``root``; ``tm.commit()`` saves changes."""
    request = env["request"]
    request.tm.begin()
    env["tm"] = request.tm
    env["dbsession"] = request.dbsession
    env["tree"] = request.tree
    env["root"] = request.tree.root() if request.tree.has_root() else None
