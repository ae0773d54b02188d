"""The tree's statements use its indexes on the server databases, MySQL/MariaDB above all.

Kotti drops its path index on MySQL; Charter finds a path through the
unique index on ``path_hash`` and a subtree through ``ix_nodes_path``. The
statements checked are the ones TreeService really sends, captured with
their parameters and run again under EXPLAIN.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

SERVER_DATABASES = {"mysql", "mariadb", "postgresql"}


@contextmanager
def captured_statements(connection) -> Iterator[list[tuple[str, object]]]:
    """(statement, parameters) of everything sent on ``connection`` inside the block."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", capture)


def plan_of(connection, statement, parameters):
    """The rows EXPLAIN gives for ``statement``, as dictionaries (MySQL) or text lines."""
    if connection.dialect.name == "postgresql":
        # The rows of the test transaction were never ANALYZEd, so the
        # planner's cost guesses mean little; with sequential scans priced
        # out, the plan shows whether the index can serve the statement at
        # all (a path range needs the column's "C" collation in the index).
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
    return connection.exec_driver_sql("EXPLAIN " + statement, parameters).mappings().all()


def assert_uses_index(connection, plan, index):
    """The plan reads ``nodes`` through ``index`` and never scans the whole table."""
    if connection.dialect.name == "postgresql":
        text = "\n".join(plan)
        assert f"Index Scan on {index}" in text or f"Index Scan using {index}" in text, text
        assert "Seq Scan on nodes" not in text, text
        return
    nodes = [row for row in plan if row["table"] == "nodes"]
    assert len(nodes) == 1, plan
    assert nodes[0]["key"] == index, plan
    assert nodes[0]["type"] != "ALL", plan


@pytest.fixture
def server_database(db_connection):
    """Skip unless the test database is MySQL/MariaDB or PostgreSQL."""
    if db_connection.dialect.name not in SERVER_DATABASES:
        pytest.skip(
            f"index plans are checked on MySQL/MariaDB and PostgreSQL; "
            f"this run uses {db_connection.dialect.name}"
        )
    return db_connection


@pytest.fixture
def populated_tree(server_database, site_root, content, dbsession):
    """30 folders of 10 documents (331 nodes): enough for the optimizer to prefer an index."""
    folders = []
    for number in range(30):
        folder = content.add_folder(site_root, f"folder{number}", f"Folder {number}")
        for leaf in range(10):
            content.add_document(folder, f"doc{leaf}", f"Document {leaf}", "Text.")
        folders.append(folder)
    dbsession.flush()  # EXPLAIN reads the rows from the database
    return folders


def test_resolving_a_path_uses_the_path_hash_index(
    server_database, populated_tree, tree, query_recorder
):
    with query_recorder.record() as counted, captured_statements(server_database) as statements:
        resolution = tree.resolve(["folder3", "doc4", "missing"])

    assert [node.path for node in resolution.lineage] == ["/", "/folder3", "/folder3/doc4"]
    assert len(counted) == 1
    (statement, parameters), *_ = [s for s in statements if s[0] == counted[0]]
    assert_uses_index(
        server_database, plan_of(server_database, statement, parameters), "uq_nodes_path_hash"
    )


def test_moving_a_folder_rewrites_its_subtree_through_the_path_index(
    server_database, populated_tree, tree, dbsession
):
    folder3, folder4 = populated_tree[3], populated_tree[4]
    # The move is undone before EXPLAIN so the plan is made for the rows it met.
    savepoint = dbsession.begin_nested()
    with captured_statements(server_database) as statements:
        tree.move(folder3, folder4)
    savepoint.rollback()

    subtree_updates = [
        (statement, parameters)
        for statement, parameters in statements
        if statement.lstrip().upper().startswith("UPDATE") and "WHERE nodes.path" in statement
    ]
    assert len(subtree_updates) == 1, statements
    statement, parameters = subtree_updates[0]
    assert_uses_index(
        server_database, plan_of(server_database, statement, parameters), "ix_nodes_path"
    )


def test_listing_a_folder_reads_its_children_through_the_parent_position_index(
    server_database, populated_tree, tree, query_recorder
):
    with query_recorder.record() as counted, captured_statements(server_database) as statements:
        page = tree.children_page(populated_tree[3], 5)

    assert [child.name for child in page.items] == [f"doc{leaf}" for leaf in range(5)]
    assert len(counted) == 1
    (statement, parameters), *_ = [s for s in statements if s[0] == counted[0]]
    plan = plan_of(server_database, statement, parameters)
    assert_uses_index(server_database, plan, "ix_nodes_parent_id_position_id")
    if server_database.dialect.name != "postgresql":
        # Only that index is weighed: no look into (parent, name) to estimate the rows.
        (nodes,) = [row for row in plan if row["table"] == "nodes"]
        assert nodes["possible_keys"] == "ix_nodes_parent_id_position_id", plan
