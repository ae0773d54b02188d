"""Query counts: how many SQL statements resolving, reading and listing cost.

Counted on one connection with charter.testing.querycount.QueryRecorder;
the requests go through the whole WSGI app (WebTest), sent by an ordinary
reader with an API token, and join that connection's transaction, which is
rolled back at the end. Transaction
control that only the harness causes (SAVEPOINT, RELEASE...) is not counted.
DESIGN.md's budget: resolve <= 2, view a document <= 4, a folder page <= 5
whatever the folder's size.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import webtest
from benchlib import (
    app_settings,
    charter_engine,
    database_url,
    describe_server,
    fresh_database,
    open_to_readers,
    print_table,
    remove_database,
    shown,
    verdict,
)
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from charter import make_configurator
from charter.content.services import ContentService
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.testing.querycount import QueryRecorder
from charter.tree.services import TreeService

DEEP_LEVELS = 20
RESOLVE_BUDGET = 2
DOCUMENT_BUDGET = 4
FOLDER_PAGE_BUDGET = 5
SMALL_FOLDER_CHILDREN = 3
LARGE_FOLDER_CHILDREN = 500


def build_site(session: Session) -> str:
    """A chain of 20 nested folders, a document at depth 3, folders of 3 and 500 items.

    Returns the API token of an ordinary reader, whom every request is sent as.
    """
    content = ContentService(session)
    root = content.create_root("Query counts")
    token = open_to_readers(session, root)
    parent = root
    for level in range(1, DEEP_LEVELS + 1):
        parent = content.add_folder(parent, f"l{level}", f"Level {level}")
    guides = content.add_folder(root, "guides", "Guides")
    handbook = content.add_folder(guides, "handbook", "Handbook")
    content.add_document(handbook, "install", "Install", "## Steps\n\n- one\n- two\n")
    for name, count in (("small", SMALL_FOLDER_CHILDREN), ("large", LARGE_FOLDER_CHILDREN)):
        folder = content.add_folder(root, name, f"{count} items")
        for number in range(count):
            content.add_document(folder, f"d{number}", f"Item {number}", "Text.")
    session.flush()
    return token


def count_statements(
    connection: Connection, session: Session, token: str, show_sql: bool
) -> list[tuple[str, int, int]]:
    """(what, statements, budget) for each measured operation."""
    app = make_configurator(app_settings(connection.engine.url), environ={}).make_wsgi_app()
    client = webtest.TestApp(
        app,
        extra_environ={
            TEST_CONNECTION_ENVIRON_KEY: connection,
            "HTTP_HOST": "bench.local",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
        },
    )
    tree = TreeService(session)
    deep = [f"l{level}" for level in range(1, DEEP_LEVELS + 1)]
    json_accept = {"Accept": "application/json"}
    operations: list[tuple[str, Callable[[], object], int]] = [
        ("resolve depth 1 (TreeService.resolve)", lambda: tree.resolve(deep[:1]), RESOLVE_BUDGET),
        ("resolve depth 20 (TreeService.resolve)", lambda: tree.resolve(deep), RESOLVE_BUDGET),
        (
            "GET /api/v1/content/guides/handbook/install",
            lambda: client.get("/api/v1/content/guides/handbook/install"),
            DOCUMENT_BUDGET,
        ),
        (
            "GET /guides/handbook/install (HTML)",
            lambda: client.get("/guides/handbook/install"),
            DOCUMENT_BUDGET,
        ),
        (
            f"GET /api/v1/content/small ({SMALL_FOLDER_CHILDREN} children)",
            lambda: client.get("/api/v1/content/small"),
            FOLDER_PAGE_BUDGET,
        ),
        (
            f"GET /api/v1/content/large ({LARGE_FOLDER_CHILDREN} children, page of 50)",
            lambda: client.get("/api/v1/content/large"),
            FOLDER_PAGE_BUDGET,
        ),
        (
            f"GET /large as JSON ({LARGE_FOLDER_CHILDREN} children, page of 50)",
            lambda: client.get("/large", headers=json_accept),
            FOLDER_PAGE_BUDGET,
        ),
        (
            f"GET /small (HTML, {SMALL_FOLDER_CHILDREN} children)",
            lambda: client.get("/small"),
            FOLDER_PAGE_BUDGET,
        ),
        (
            f"GET /large (HTML, {LARGE_FOLDER_CHILDREN} children, page of 50)",
            lambda: client.get("/large"),
            FOLDER_PAGE_BUDGET,
        ),
    ]
    # A token records when it was last used, at most once in a while; that
    # write belongs to no operation below, so one request makes it first.
    client.get("/api/v1/content/")
    recorder = QueryRecorder(connection)
    counts = []
    try:
        for label, operation, budget in operations:
            session.expunge_all()
            with recorder.record() as statements:
                operation()
            counts.append((label, len(statements), budget))
            if show_sql:
                print(f"  -- {label}")
                for statement in statements:
                    print("     " + " ".join(statement.split()))
    finally:
        recorder.close()
        app.registry["charter.db.engine"].dispose()
    return counts


def run_querycounts(base_url: str | None, keep: bool, show_sql: bool, sqlite_folder: Path) -> bool:
    """Count the statements of each operation and print them against the budget."""
    print("== Query counts ==")
    url = database_url(base_url, "queries", sqlite_folder)
    try:
        fresh_database(url)
        engine = charter_engine(url)
        try:
            print(f"  database: {shown(url)} ({describe_server(engine)})")
            with engine.connect() as connection:
                transaction = connection.begin()
                session = Session(bind=connection, join_transaction_mode="create_savepoint")
                try:
                    token = build_site(session)
                    counts = count_statements(connection, session, token, show_sql)
                finally:
                    session.close()
                    transaction.rollback()
        finally:
            engine.dispose()
    finally:
        if not keep:
            remove_database(url)
    passed = all(count <= budget for _, count, budget in counts)
    print_table(
        ["operation", "statements", "budget", "verdict"],
        [
            [label, count, f"<= {budget}", verdict(count <= budget)]
            for label, count, budget in counts
        ],
    )
    print(f"  query budget: {verdict(passed)}")
    print()
    return passed
