"""ContentService: creating the root, folders and documents, and refusing bad input."""

import pytest
from sqlalchemy import func, select

from charter.content.models import Document, Folder
from charter.content.schemas import MAX_TITLE_LENGTH
from charter.errors import Conflict, ValidationFailed
from charter.tree.models import Node
from charter.tree.paths import hash_path


def node_count(dbsession):
    """How many nodes the database holds."""
    return dbsession.scalar(select(func.count()).select_from(Node))


def test_create_root_makes_the_root_folder(content, tree, dbsession):
    root = content.create_root("  My site  ")
    dbsession.flush()

    assert isinstance(root, Folder)
    assert (root.path, root.name, root.depth, root.parent_id) == ("/", "", 0, None)
    assert root.path_hash == hash_path("/")
    assert root.title == "My site"
    assert tree.root() is root


def test_create_root_refuses_an_empty_title(content, tree, dbsession):
    with pytest.raises(ValidationFailed) as caught:
        content.create_root(" ")

    assert caught.value.errors == [("title", "a title is required")]
    assert tree.has_root() is False


def test_add_folder(content, site_root, dbsession):
    folder = content.add_folder(site_root, "guides", " Guides ", "How we work.")

    stored = dbsession.execute(
        select(Node.type, Node.path, Node.title, Node.description, Node.version).where(
            Node.id == folder.id
        )
    ).one()
    assert tuple(stored) == ("Folder", "/guides", "Guides", "How we work.", 1)
    assert folder.is_container is True


def test_add_document_renders_its_body(content, site_root, dbsession):
    document = content.add_document(
        site_root, "handbook", "Handbook", "# Welcome\n\n<script>x</script>", "First week."
    )
    dbsession.expire_all()

    stored = dbsession.get(Document, document.id)
    assert stored.type == "Document"
    assert stored.path == "/handbook"
    assert stored.description == "First week."
    assert stored.body == "# Welcome\n\n<script>x</script>"
    assert stored.body_html == "<h2>Welcome</h2>\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n"
    assert stored.is_container is False


def test_created_and_modified_are_set_in_utc(content, site_root):
    document = content.add_document(site_root, "handbook", "Handbook", "Text.")

    assert document.created.utcoffset().total_seconds() == 0
    assert document.modified.utcoffset().total_seconds() == 0


def test_the_author_is_recorded(content, site_root, admin_user, dbsession):
    document = content.add_document(site_root, "handbook", "Handbook", "Text.", by=admin_user)

    stored = dbsession.execute(
        select(Node.owner_id, Node.created_by_id, Node.modified_by_id).where(Node.id == document.id)
    ).one()
    assert tuple(stored) == (admin_user.id, admin_user.id, admin_user.id)


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
@pytest.mark.parametrize("kind", ["folder", "document"])
def test_an_empty_title_is_refused_and_nothing_is_added(content, site_root, dbsession, title, kind):
    add = {
        "folder": lambda: content.add_folder(site_root, "untitled", title),
        "document": lambda: content.add_document(site_root, "untitled", title, "Text."),
    }[kind]
    before = node_count(dbsession)

    with pytest.raises(ValidationFailed) as caught:
        add()

    assert caught.value.errors == [("title", "a title is required")]
    assert node_count(dbsession) == before
    assert dbsession.scalar(select(Node.id).where(Node.name == "untitled")) is None


def test_a_title_may_be_as_long_as_the_limit(content, site_root):
    folder = content.add_folder(site_root, "long", "x" * MAX_TITLE_LENGTH)

    assert len(folder.title) == MAX_TITLE_LENGTH


def test_a_too_long_title_is_refused_and_nothing_is_added(content, site_root, dbsession):
    before = node_count(dbsession)

    with pytest.raises(ValidationFailed) as caught:
        content.add_folder(site_root, "long", "x" * (MAX_TITLE_LENGTH + 1))

    assert caught.value.errors == [("title", f"a title has at most {MAX_TITLE_LENGTH} characters")]
    assert node_count(dbsession) == before


def test_a_bad_name_is_refused_and_nothing_is_added(content, site_root, dbsession):
    before = node_count(dbsession)

    with pytest.raises(ValidationFailed) as caught:
        content.add_document(site_root, "_private", "Private", "Text.")

    assert [field for field, _ in caught.value.errors] == ["name"]
    dbsession.flush()
    assert node_count(dbsession) == before


def test_a_document_cannot_hold_items(content, site_root, dbsession):
    handbook = content.add_document(site_root, "handbook", "Handbook", "Text.")
    before = node_count(dbsession)

    with pytest.raises(Conflict):
        content.add_folder(handbook, "inside", "Inside")

    dbsession.flush()
    assert node_count(dbsession) == before
