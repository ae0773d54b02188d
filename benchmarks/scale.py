"""Scale: does a tree of 1,000,000 nodes answer as fast as one of 1,000?

Each tree is bulk-loaded straight into its own database (the rows Charter
itself would write: path, path_hash, depth, position, a ``documents`` row for
every document, the root's default grant and every node's viewer row), then
the same seeded random operations run against each through Charter's own
services, as an ordinary logged-in reader:

- resolve a random path of depth 5 to 20 (``TreeService.resolve``);
- read a page of a random deep folder (``TreeService.children_page``,
  filtered by the reader's principals as the views filter it);
- read a page at a random place in one big folder holding a tenth of the tree.

Issue 12's target: the largest tree within 1.3x of the smallest (DESIGN.md said 1.5x).
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from benchlib import (
    Latency,
    charter_engine,
    database_url,
    describe_server,
    describe_tree_size,
    fresh_database,
    print_table,
    remove_database,
    shown,
    verdict,
)
from sqlalchemy import Connection, Engine, insert, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from charter.content.markdown import render_markdown
from charter.content.models import Document
from charter.security.principals import AUTHENTICATED, EVERYONE, user_principal
from charter.security.roles import DEFAULT_ROOT_GRANTS
from charter.tree.models import LocalRole, Node, NodeViewer
from charter.tree.paths import hash_path
from charter.tree.services import TreeService, encode_cursor

TARGET_RATIO = 1.3
# Rows of run.py's summary table: measure, figure, target, verdict.
SUMMARY_ROWS: list[list[str]] = []
BATCH_ROWS = 10_000
PAGE_SIZE = 50
# Shape of the tree (see TreeShape): a deep chain reaches this depth, each of
# its folders holds this many documents, and a space folder this many chains.
CHAIN_BOTTOM_DEPTH = 20
DOCUMENTS_PER_CHAIN_FOLDER = 4
CHAINS_PER_SPACE = 100
BIG_FOLDER_SHARE = 10
RESOLVE_DEPTHS = range(5, CHAIN_BOTTOM_DEPTH + 1)
DOCUMENT_BODY = "A short note.\n\n- one point\n- another point\n"
BUILT_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Who the reader is: a logged-in account with no roles of its own, who sees
# the tree through the root's default grant (as charter-init shares a site).
READER_PRINCIPALS = frozenset({EVERYONE, AUTHENTICATED, user_principal(1)})
ROOT_GRANTS = [
    {"node_id": 1, "principal": principal, "role": role}
    for principal, roles in DEFAULT_ROOT_GRANTS.items()
    for role in roles
]


@dataclass
class TreeShape:
    """What the bulk load produced that the measurements need."""

    nodes: int = 0
    documents: int = 0
    big_folder_path: str = "/bulk"
    big_folder_first_id: int = 0
    big_folder_children: int = 0
    # Paths of the chain folders at each depth, to pick random deep paths from.
    folders_by_depth: dict[int, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """Rows to insert together, parents before children."""

    nodes: list[dict[str, object]]
    documents: list[dict[str, object]]
    viewers: list[dict[str, object]]


@dataclass(frozen=True)
class ScaleResult:
    """One tree's build time and latencies."""

    nodes: int
    build_seconds: float
    latencies: dict[str, Latency]
    # MySQL/MariaDB: pages read from disk into the buffer pool per timed operation.
    page_reads: dict[str, float]


def size_label(nodes: int) -> str:
    """``1k``, ``100k``, ``1m``: used in database names and reports."""
    for unit, label in ((1_000_000, "m"), (1_000, "k")):
        if nodes >= unit and nodes % unit == 0:
            return f"{nodes // unit}{label}"
    return str(nodes)


class TreeWriter:
    """Generates the rows of a tree of exactly ``total`` nodes, parents before children.

    Shape: the root; ``/bulk``, a folder holding a tenth of the tree as
    documents; then space folders ``/s1``, ``/s2``... each holding up to 100
    chains. A chain is folders nested down to depth 20
    (``/s1/c1/f3/f4/.../f20``), each holding four documents besides the next
    folder. The shape is the same at every size; only the counts grow.
    """

    def __init__(self, total: int) -> None:
        if total < 200:
            raise ValueError("a benchmark tree needs at least 200 nodes")
        self.total = total
        self.shape = TreeShape()
        self.next_id = 1
        self.body_html = render_markdown(DOCUMENT_BODY)
        self.nodes: list[dict[str, object]] = []
        self.documents: list[dict[str, object]] = []
        self.viewers: list[dict[str, object]] = []

    def rows(self) -> Iterator[Batch]:
        """Batches of node, document and viewer rows, about BATCH_ROWS nodes each."""
        root = self._add(None, "", "/", 0, 0, "Folder", "Benchmark tree")
        big = self._add(root, "bulk", "/bulk", 1, 0, "Folder", "Bulk folder")
        self.shape.big_folder_first_id = self.next_id
        self.shape.big_folder_children = self.total // BIG_FOLDER_SHARE
        for position in range(self.shape.big_folder_children):
            self._add_document(big, "/bulk", 2, position, f"d{position}")
            yield from self._full_batch()
        space_number = 0
        while self._room():
            space_number += 1
            space_path = f"/s{space_number}"
            space = self._add(root, f"s{space_number}", space_path, 1, space_number, "Folder")
            for chain_number in range(1, CHAINS_PER_SPACE + 1):
                if not self._room():
                    break
                yield from self._chain(space, space_path, chain_number)
        yield self._take()

    def _chain(self, space: int, space_path: str, chain_number: int) -> Iterator[Batch]:
        parent, parent_path, position, name = (
            space,
            space_path,
            chain_number - 1,
            f"c{chain_number}",
        )
        for depth in range(2, CHAIN_BOTTOM_DEPTH + 1):
            if not self._room():
                return
            path = f"{parent_path}/{name}"
            folder = self._add(parent, name, path, depth, position, "Folder")
            for number in range(1, DOCUMENTS_PER_CHAIN_FOLDER + 1):
                if not self._room():
                    return
                self._add_document(folder, path, depth + 1, number, f"d{number}")
            # Only complete folders are picked, so every picked path exists.
            self.shape.folders_by_depth.setdefault(depth, []).append(path)
            yield from self._full_batch()
            parent, parent_path, position, name = folder, path, 0, f"f{depth + 1}"

    def _room(self) -> bool:
        return self.shape.nodes < self.total

    def _add(
        self,
        parent_id: int | None,
        name: str,
        path: str,
        depth: int,
        position: int,
        node_type: str,
        title: str | None = None,
    ) -> int:
        node_id = self.next_id
        self.next_id += 1
        self.shape.nodes += 1
        self.nodes.append(
            {
                "id": node_id,
                "uid": uuid.uuid4().hex,
                "type": node_type,
                "parent_id": parent_id,
                "name": name,
                "path": path,
                "path_hash": hash_path(path),
                "depth": depth,
                "position": position,
                "title": title or name,
                "description": "",
                "created": BUILT_AT,
                "modified": BUILT_AT,
                "version": 1,
                # As a site in use: everything published (the default workflow's public state).
                "workflow_state": "published",
            }
        )
        # The root's grants reach every node: their principals may view it.
        self.viewers.extend(
            {"node_id": node_id, "principal": grant["principal"], "role": grant["role"]}
            for grant in ROOT_GRANTS
        )
        return node_id

    def _add_document(
        self, parent_id: int, parent_path: str, depth: int, position: int, name: str
    ) -> None:
        path = f"{parent_path}/{name}"
        node_id = self._add(parent_id, name, path, depth, position, "Document")
        self.shape.documents += 1
        self.documents.append({"id": node_id, "body": DOCUMENT_BODY, "body_html": self.body_html})

    def _full_batch(self) -> Iterator[Batch]:
        if len(self.nodes) >= BATCH_ROWS:
            yield self._take()

    def _take(self) -> Batch:
        batch = Batch(self.nodes, self.documents, self.viewers)
        self.nodes, self.documents, self.viewers = [], [], []
        return batch


def build_tree(engine: Engine, total: int) -> TreeShape:
    """Bulk-load a tree of ``total`` nodes, committing batch by batch, then refresh statistics."""
    writer = TreeWriter(total)
    backend = engine.url.get_backend_name()
    mysql = backend in {"mysql", "mariadb"}
    with engine.connect() as connection:
        if mysql:
            # The usual bulk-load switches: the generator's rows are known to be
            # unique and to refer to existing parents, so InnoDB may skip the
            # checks (and buffer its secondary index changes) while loading.
            with connection.begin():
                connection.execute(text("SET SESSION unique_checks = 0, foreign_key_checks = 0"))
        for batch in writer.rows():
            with connection.begin():
                for table, rows in (
                    (Node.__table__, batch.nodes),
                    (Document.__table__, batch.documents),
                    (NodeViewer.__table__, batch.viewers),
                ):
                    if rows:
                        connection.execute(insert(table), rows)
        with connection.begin():
            connection.execute(insert(LocalRole.__table__), ROOT_GRANTS)
        with connection.begin():
            if mysql:
                connection.execute(text("SET SESSION unique_checks = 1, foreign_key_checks = 1"))
            _refresh_statistics(connection, backend)
    return writer.shape


def _refresh_statistics(connection: Connection, backend: str) -> None:
    # A live database has statistics for its tables; a freshly loaded one
    # gets them now so that each size is planned as it would be in use.
    if backend in {"mysql", "mariadb"}:
        connection.execute(text("ANALYZE TABLE nodes, documents, node_viewers, local_roles")).all()
    elif backend == "postgresql":
        # Ids were given explicitly; later inserts must not reuse them.
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('nodes', 'id'), max(id)) FROM nodes")
        )
        connection.execute(text("ANALYZE nodes, documents, node_viewers, local_roles"))
    else:
        connection.execute(text("ANALYZE"))


def _pool_reads(session: Session) -> int | None:
    """MySQL/MariaDB's count of pages read from disk into the buffer pool (server-wide, so
    other clients of the server count too); None elsewhere."""
    if session.get_bind().dialect.name not in {"mysql", "mariadb"}:
        return None
    row = session.execute(text("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'")).one()
    return int(row[1])


def measure(
    engine: Engine, shape: TreeShape, samples: int, warmup: int, seed: int
) -> tuple[dict[str, Latency], dict[str, float]]:
    """Time ``samples`` of each operation after ``warmup`` untimed ones; same seed, same picks.

    Also gives the buffer pool's page reads per timed operation (MySQL/MariaDB only).
    """
    picker = random.Random(seed)
    results: dict[str, Latency] = {}
    page_reads: dict[str, float] = {}
    with Session(engine) as session:
        tree = TreeService(session)
        big_folder = tree.resolve(["bulk"]).context

        def resolve_deep() -> Callable[[], object]:
            segments = _random_deep_path(picker, shape).strip("/").split("/")
            return lambda: tree.resolve(segments)

        def deep_folder_page() -> Callable[[], object]:
            depth = picker.choice(RESOLVE_DEPTHS)
            path = picker.choice(shape.folders_by_depth[depth])
            folder = tree.resolve(path.strip("/").split("/")).context
            return lambda: tree.children_page(folder, PAGE_SIZE, viewers=READER_PRINCIPALS)

        def big_folder_page() -> Callable[[], object]:
            position = picker.randrange(max(1, shape.big_folder_children - PAGE_SIZE))
            after = SimpleNamespace(position=position, id=shape.big_folder_first_id + position)
            cursor = encode_cursor(after)  # type: ignore[arg-type]
            return lambda: tree.children_page(
                big_folder, PAGE_SIZE, cursor, viewers=READER_PRINCIPALS
            )

        operations = {
            "resolve depth 5-20": resolve_deep,
            f"page of a deep folder ({DOCUMENTS_PER_CHAIN_FOLDER + 1} children)": (
                deep_folder_page
            ),
            f"page of /bulk (1/{BIG_FOLDER_SHARE} of the tree)": big_folder_page,
        }
        for label, prepare in operations.items():
            timings: list[int] = []
            reads_before = None
            for index in range(warmup + samples):
                if index == warmup:
                    reads_before = _pool_reads(session)
                operation = prepare()
                started = time.perf_counter_ns()
                operation()
                elapsed = time.perf_counter_ns() - started
                if index >= warmup:
                    timings.append(elapsed)
                # Each operation starts from an empty identity map, like a request.
                session.expunge_all()
            results[label] = Latency.from_ns(timings)
            reads_after = _pool_reads(session)
            if reads_before is not None and reads_after is not None:
                page_reads[label] = (reads_after - reads_before) / samples
        session.rollback()
    return results, page_reads


def _random_deep_path(picker: random.Random, shape: TreeShape) -> str:
    """A folder or a document path whose depth is drawn uniformly from 5 to 20."""
    depth = picker.choice(RESOLVE_DEPTHS)
    if picker.random() < 0.5:
        return picker.choice(shape.folders_by_depth[depth])
    folder = picker.choice(shape.folders_by_depth[depth - 1])
    return f"{folder}/d{picker.randint(1, DOCUMENTS_PER_CHAIN_FOLDER)}"


def run_one(url: URL, nodes: int, samples: int, warmup: int, seed: int) -> ScaleResult:
    """Build one tree in a fresh database and measure it."""
    fresh_database(url)
    engine = charter_engine(url)
    try:
        print(f"  {size_label(nodes)} tree on {describe_server(engine)}", flush=True)
        started = time.perf_counter()
        shape = build_tree(engine, nodes)
        build_seconds = time.perf_counter() - started
        print(
            f"  built {shape.nodes:,} nodes ({shape.documents:,} documents) in "
            f"{build_seconds:.1f} s ({shape.nodes / build_seconds:,.0f} nodes/s) "
            f"into {shown(url)}: {describe_tree_size(engine)}",
            flush=True,
        )
        latencies, page_reads = measure(engine, shape, samples, warmup, seed)
    finally:
        engine.dispose()
    return ScaleResult(shape.nodes, build_seconds, latencies, page_reads)


def run_scale(
    base_url: str,
    sizes: list[int],
    sizes_chosen_by: str,
    samples: int,
    warmup: int,
    seed: int,
    keep: bool,
    sqlite_folder: Path,
) -> bool:
    """Run the benchmark on every size, print the figures; True when within budget."""
    print("== Scale: the same operations on trees of different sizes ==")
    sizes = sorted(set(sizes))
    urls = {size: database_url(base_url, size_label(size), sqlite_folder) for size in sizes}
    print(
        f"  sizes ({sizes_chosen_by}): {', '.join(f'{size:,}' for size in sizes)} nodes; "
        f"{samples} timed + {warmup} warm-up operations of each kind per tree; seed {seed}",
        flush=True,
    )
    results: dict[int, ScaleResult] = {}
    try:
        for size in sizes:
            results[size] = run_one(urls[size], size, samples, warmup, seed)
    finally:
        if not keep:
            for url in urls.values():
                remove_database(url)
    return _report(results, urls[sizes[0]].get_backend_name())


def _report(results: dict[int, ScaleResult], backend: str) -> bool:
    sizes = sorted(results)
    smallest, largest = results[sizes[0]], results[sizes[-1]]
    rows = []
    for label in smallest.latencies:
        row: list[object] = [label]
        for size in sizes:
            latency = results[size].latencies[label]
            row += [f"{latency.median_ms:.3f}", f"{latency.p95_ms:.3f}"]
            if label in results[size].page_reads:
                row.append(f"{results[size].page_reads[label]:.2f}")
        rows.append(row)
    headers = ["operation (ms)"]
    for size in sizes:
        headers += [f"{size_label(size)} median", f"{size_label(size)} p95"]
        if results[size].page_reads:
            headers.append(f"{size_label(size)} reads/op")
    print_table(headers, rows)
    passed = True
    if len(sizes) > 1:
        name = f"{size_label(sizes[-1])}/{size_label(sizes[0])}"
        ratio_rows = []
        for label, small in smallest.latencies.items():
            large = largest.latencies[label]
            median_ratio = large.median_ms / small.median_ms
            ok = median_ratio <= TARGET_RATIO
            passed = passed and ok
            ratio_rows.append(
                [label, f"{median_ratio:.2f}", f"{large.p95_ms / small.p95_ms:.2f}", verdict(ok)]
            )
        print_table(
            [f"ratio {name}", "median", "p95", f"median <= {TARGET_RATIO}"],
            ratio_rows,
        )
        print(f"  scale budget: {verdict(passed)}")
        worst = max(ratio_rows, key=lambda row: float(row[1]))
        SUMMARY_ROWS.append(
            [
                f"{name} tree, slowest operation ({worst[0]}), {backend}",
                worst[1],
                f"<= {TARGET_RATIO}",
                verdict(passed),
            ]
        )
    print()
    return passed
