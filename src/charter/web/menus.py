"""Links an add-on adds to a node's menu (the row of buttons on its page).

An add-on's view is otherwise reachable only by typing its address; with
``config.add_menu_view("calendar", "Calendar", context=Folder)`` the page of
every folder offers it, to those who hold the permission.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.config import Configurator
from pyramid.request import Request

from charter.security.roles import Permission
from charter.tree.models import Node

MENU_VIEWS_KEY = "charter.web.menu_views"


@dataclass(frozen=True)
class MenuView:
    """A view offered in the menu of nodes of ``context`` to holders of ``permission``."""

    name: str
    title: str
    context: type[Node]
    permission: str = Permission.VIEW.value


def add_menu_view(
    config: Configurator,
    name: str,
    title: str,
    context: type[Node] = Node,
    permission: str = Permission.VIEW.value,
) -> None:
    """Offer the view ``name`` (``<node>/@@name``) as ``title`` in the menu of ``context``'s
    nodes; in the order add-ons add them."""
    entry = MenuView(name, title, context, str(permission))

    def register() -> None:
        config.registry.setdefault(MENU_VIEWS_KEY, []).append(entry)

    config.action(("charter.menu_view", context, name), register)


def menu_views(request: Request, context: Node) -> list[MenuView]:
    """The views offered on ``context``'s page to the caller."""
    return [
        entry
        for entry in request.registry.get(MENU_VIEWS_KEY, [])
        if isinstance(context, entry.context) and request.has_permission(entry.permission, context)
    ]


def includeme(config: Configurator) -> None:
    """The ``add_menu_view`` directive."""
    config.add_directive("add_menu_view", add_menu_view)
