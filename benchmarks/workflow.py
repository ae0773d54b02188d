"""Workflow benchmark: a transition's statements, a definition change on a large tree, bulk.

``python benchmarks/workflow.py [--nodes 100k] [--database-url URL]`` builds a
tree (benchmarks/scale.py's shape, every node published), then measures:

- the statements one transition sends (``POST <node>/@workflow/retract``
  through the whole app), budget 3 besides the request's own reads;
- a workflow-definition change (readers may see ``pending``): the statements
  compiling it sends (budget 0) and that the tree's rows are untouched,
  then a folder page read with the old and the new rules (one SELECT each);
- ``POST /api/v1/@workflow`` with 1,000 items: wall time (budget 5 s, "well
  under"), statements.

It prints figures and PASS/FAIL lines; the exit status is 1 on a FAIL.
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import sys
import tempfile
import time
from pathlib import Path

import webtest
from benchlib import app_settings, charter_engine, database_url, fresh_database, remove_database
from scale import build_tree
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from charter import make_configurator
from charter.accounts.services import AccountService, TokenService
from charter.content.registry import types_of
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.tree.models import Node, NodeViewer
from charter.tree.services import TreeService
from charter.tree.visibility import VISIBILITY_RULES_KEY, Viewer
from charter.workflow.definitions import SIMPLE_PUBLICATION, State, WorkflowRegistry

BULK_ITEMS = 1000
BULK_BUDGET_S = 5.0
TRANSITION_BUDGET = 3
READER = frozenset({"system.Everyone", "system.Authenticated", "user:999999"})


class StatementCounter:
    """Counts statements an engine sends while ``on``."""

    def __init__(self, engine) -> None:
        self.statements: list[str] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, *args) -> None:
        if self.on:
            self.statements.append(statement)

    def __enter__(self) -> list[str]:
        self.statements = []
        self.on = True
        return self.statements

    def __exit__(self, *exc) -> None:
        self.on = False


# What a transition itself writes; other domains (the change feed) add their own rows.
WORKFLOW_WRITES = ("UPDATE nodes", "INSERT INTO workflow_history", "INSERT INTO audit_log")


def statement_kind(statement: str) -> str:
    """``SELECT``, ``UPDATE nodes``, ``INSERT INTO audit_log``...: what a statement does, where."""
    words = statement.split()
    verb = words[0].upper() if words else ""
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    if verb == "INSERT" and len(words) > 2:
        return f"INSERT INTO {words[2]}"
    return verb


def parse_nodes(text: str) -> int:
    text = text.lower().replace("_", "")
    multiplier = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(text[:-1] if multiplier > 1 else text) * multiplier


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def run_workflow(base_url: str | None, nodes: int, keep: bool, folder: Path) -> bool:
    """Run the benchmark on a tree of ``nodes`` and print the figures; True when every
    budget holds (run.py's ``workflow``)."""
    print(f"== Workflow: a transition, a definition change, a bulk of {BULK_ITEMS:,} ==")
    url = database_url(base_url, "workflow", folder)
    fresh_database(url)
    engine = charter_engine(url)
    passed = True
    try:
        started = time.perf_counter()
        build_tree(engine, nodes)
        print(
            f"tree: {nodes:,} nodes on {url.get_backend_name()} "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        with Session(engine) as session, session.begin():
            editor = AccountService(session).create_user(
                "bench-editor", "bench-editor@example.com", secrets.token_urlsafe(16), "Editor"
            )
            # Site-wide: granting on the root would time the refresh of every node's viewers.
            SharingService(session).set_global_roles(user_principal(editor.id), ["Editor"])
            _, token = TokenService(session).create(editor, "bench", scope="read-write")
        settings = app_settings(url)
        settings["charter.blobs.path"] = str(folder / "blobs")
        config = make_configurator(settings, environ={})
        app = webtest.TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
        headers = {"Authorization": f"Bearer {token}"}
        counter = StatementCounter(config.registry["charter.db.engine"])

        # One transition through the whole app.
        path = "/api/v1/content/s1/c1/d1"
        etag = app.get(path, headers=headers).headers["ETag"]
        with counter as statements:
            app.post_json(f"{path}/@workflow/retract", {}, headers={**headers, "If-Match": etag})
        kinds = [statement_kind(s) for s in statements]
        own = [k for k in kinds if k in WORKFLOW_WRITES]
        print(f"one transition: {len(statements)} statements in the request: " + ", ".join(kinds))
        print(f"  the workflow's own writes: {len(own)} ({', '.join(own)})")
        ok = len(own) <= TRANSITION_BUDGET
        passed &= ok
        print(f"{verdict(ok)} a transition writes at most {TRANSITION_BUDGET} statements")

        # A definition change: readers may now see 'pending'.
        changed = dataclasses.replace(
            SIMPLE_PUBLICATION,
            states=(
                SIMPLE_PUBLICATION.states[0],
                State("pending", "Pending review"),
                SIMPLE_PUBLICATION.states[2],
            ),
        )
        registry = WorkflowRegistry()
        registry.add(changed)
        for type_name in ("Folder", "Document", "File"):
            registry.assign(type_name, changed.name)
        engine_counter = StatementCounter(engine)
        with Session(engine) as session:
            rows_before = (
                session.scalar(select(func.count()).select_from(Node)),
                session.scalar(select(func.count()).select_from(NodeViewer)),
                session.scalar(select(func.max(Node.version))),
            )
        with engine_counter as compile_statements:
            started = time.perf_counter()
            _, new_rules = registry.compile()
            compile_s = time.perf_counter() - started
        old_rules = config.registry[VISIBILITY_RULES_KEY]
        with Session(engine) as session:
            bulk = TreeService(session).resolve(["bulk"]).context
            timings = {}
            for label, rules in (("old", old_rules), ("new", new_rules)):
                with engine_counter as reads:
                    started = time.perf_counter()
                    TreeService(session).children_page(
                        bulk, 50, viewers=Viewer(READER, rules=rules)
                    )
                    timings[label] = (time.perf_counter() - started, len(reads))
            rows_after = (
                session.scalar(select(func.count()).select_from(Node)),
                session.scalar(select(func.count()).select_from(NodeViewer)),
                session.scalar(select(func.max(Node.version))),
            )
        print(
            f"definition change on {nodes:,} nodes: compiled in {compile_s * 1000:.2f} ms "
            f"with {len(compile_statements)} statements; rows (nodes, node_viewers, max version) "
            f"{rows_before} before, {rows_after} after"
        )
        for label, (seconds, count) in timings.items():
            print(
                f"  a page of /bulk with the {label} rules: {count} statement, "
                f"{seconds * 1000:.1f} ms"
            )
        ok = not compile_statements and rows_before == rows_after
        passed &= ok
        print(f"{verdict(ok)} a definition change rewrites no row (0 statements)")

        # Bulk: 1,000 items in one request.
        items = [f"/bulk/d{number}" for number in range(BULK_ITEMS)]
        for transition in ("retract", "submit"):
            with counter as statements:
                started = time.perf_counter()
                response = app.post_json(
                    "/api/v1/@workflow",
                    {"transition": transition, "items": items},
                    headers=headers,
                )
                seconds = time.perf_counter() - started
            done = response.json["done"]
            histogram: dict[str, int] = {}
            for statement in statements:
                histogram[statement_kind(statement)] = (
                    histogram.get(statement_kind(statement), 0) + 1
                )
            print("  statements: " + ", ".join(f"{k} x{n}" for k, n in sorted(histogram.items())))
            ok = done == BULK_ITEMS and seconds < BULK_BUDGET_S
            passed &= ok
            print(
                f"{verdict(ok)} bulk {transition} of {BULK_ITEMS:,} items: {done:,} done in "
                f"{seconds:.2f} s (budget {BULK_BUDGET_S:.0f} s), {len(statements)} statements"
            )
        config.registry["charter.db.engine"].dispose()
        assert types_of(config.registry)
    finally:
        engine.dispose()
        if not keep:
            remove_database(url)
    print(f"  workflow budget: {verdict(passed)}")
    print()
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=parse_nodes, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="charter-bench-workflow-"))
    return 0 if run_workflow(args.database_url, args.nodes, args.keep, folder) else 1


if __name__ == "__main__":
    sys.exit(main())
