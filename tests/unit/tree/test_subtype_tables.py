"""The lineage query reads a subtype table only for the rows of its types."""

from charter.content.models import Document
from charter.tree.models import subtype_tables


def test_each_subtype_table_is_joined_for_its_own_types_only(db_connection):
    joined = str(subtype_tables().compile(db_connection))

    assert "LEFT OUTER JOIN documents ON nodes.id = documents.id AND nodes.type = " in joined
    assert "LEFT OUTER JOIN files ON nodes.id = files.id AND nodes.type = " in joined
    # No expanding IN list, which SQLAlchemy would splice into the SQL on every execution.
    assert "POSTCOMPILE" not in joined


def test_a_lineage_of_folders_and_a_document_loads_each_with_its_own_columns(
    tree, content, site_root, dbsession, query_recorder
):
    folder = content.add_folder(site_root, "guides", "Guides")
    content.add_document(folder, "install", "Install", "Run *it*.")
    dbsession.flush()
    dbsession.expunge_all()

    with query_recorder.record() as counted:
        resolution = tree.resolve(["guides", "install"])
        document = resolution.context
        body = document.body

    assert len(counted) == 1
    assert [type(node).__name__ for node in resolution.lineage] == ["Folder", "Folder", "Document"]
    assert isinstance(document, Document)
    assert body == "Run *it*."
