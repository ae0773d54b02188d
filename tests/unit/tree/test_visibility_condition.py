"""The visibility filter is composed once per viewer and entity (charter.tree.visibility)."""

from sqlalchemy.orm import aliased

from charter.tree.models import Node
from charter.tree.visibility import Viewer, visible_condition


def test_the_same_viewer_gets_the_same_condition():
    first = visible_condition(Viewer(frozenset({"system.Everyone", "user:1"}), user_id=1))
    again = visible_condition(Viewer(frozenset({"user:1", "system.Everyone"}), user_id=1))

    assert first is again


def test_another_account_principal_or_entity_gets_its_own():
    viewer = Viewer(frozenset({"system.Everyone", "user:1"}), user_id=1)
    condition = visible_condition(viewer)

    assert visible_condition(Viewer(viewer.principals, user_id=2)) is not condition
    assert (
        visible_condition(Viewer(viewer.principals | {"group:staff"}, user_id=1)) is not condition
    )
    assert visible_condition(viewer, aliased(Node)) is not condition


def test_the_condition_names_the_viewer_principals():
    condition = visible_condition(Viewer(frozenset({"user:7", "group:x"}), user_id=7))

    assert "'group:x', 'user:7'" in str(condition.compile(compile_kwargs={"literal_binds": True}))
