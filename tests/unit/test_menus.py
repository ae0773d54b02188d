"""Views an add-on offers in a node's menu (charter.web.menus)."""

from pyramid import testing

from charter.content.models import Document, Folder
from charter.web.menus import MENU_VIEWS_KEY, menu_views


class Request:
    def __init__(self, registry, allowed):
        self.registry = registry
        self.allowed = allowed

    def has_permission(self, permission, context):
        return permission in self.allowed


def test_a_menu_view_is_offered_on_its_context_to_holders_of_its_permission():
    config = testing.setUp()
    try:
        config.include("charter.web.menus")
        config.add_menu_view("calendar", "Calendar", context=Folder)
        config.add_menu_view("report", "Report", permission="edit")
        config.commit()
        folder, document = Folder(title="F"), Document(title="D")

        reader = Request(config.registry, {"view"})
        editor = Request(config.registry, {"view", "edit"})

        assert [v.name for v in menu_views(reader, folder)] == ["calendar"]
        assert [v.name for v in menu_views(reader, document)] == []
        assert [v.name for v in menu_views(editor, document)] == ["report"]
        assert [v.name for v in menu_views(editor, folder)] == ["calendar", "report"]
        assert len(config.registry[MENU_VIEWS_KEY]) == 2
    finally:
        testing.tearDown()
