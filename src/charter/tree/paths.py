"""Materialized paths: how a node's place in the tree is stored and hashed.

The root's path is ``/``; a child's is its parent's path, a slash, and its
name (``/projects/handbook``). ``path_hash`` (SHA-256, hex) is indexed so a
path of any length is found through a fixed-size key on every database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

ROOT_PATH = "/"


def child_path(parent_path: str, name: str) -> str:
    """The path of ``name`` inside the node at ``parent_path``."""
    return f"{parent_path.rstrip('/')}/{name}"


def parent_path(path: str) -> str | None:
    """The path of the parent of the node at ``path``; None for the root."""
    if path == ROOT_PATH:
        return None
    return path.rsplit("/", 1)[0] or ROOT_PATH


def lineage_paths(segments: Sequence[str]) -> list[str]:
    """The paths from the root down to ``segments``: ``['/', '/a', '/a/b']``."""
    paths = [ROOT_PATH]
    for segment in segments:
        paths.append(child_path(paths[-1], segment))
    return paths


def hash_path(path: str) -> str:
    """The value stored in ``nodes.path_hash`` for ``path``."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()


def descendants_range(path: str) -> tuple[str, str]:
    """Exclusive bounds ``(low, high)`` of the paths strictly below ``path``.

    Every descendant path starts with ``path + '/'`` (no path ends in '/',
    except the root's, which is the low bound itself); '0' is the character
    right after '/'. So ``low < path < high`` is an index range scan on any
    database whose collation compares code points (charter.db.meta.exact_text).
    """
    low = child_path(path, "")
    return low, low[:-1] + "0"


class sha256_hex(FunctionElement[str]):  # noqa: N801 - reads as the SQL function it is
    """SQL expression: lower-case hex SHA-256 of a text, for set-based path updates."""

    type = String()
    inherit_cache = True
    name = "sha256_hex"


@compiles(sha256_hex, "mysql")
@compiles(sha256_hex, "mariadb")
def _sha256_mysql(element, compiler, **kw):
    return f"SHA2({compiler.process(element.clauses, **kw)}, 256)"


@compiles(sha256_hex, "postgresql")
def _sha256_postgresql(element, compiler, **kw):
    text = compiler.process(element.clauses, **kw)
    return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"


@compiles(sha256_hex, "sqlite")
def _sha256_sqlite(element, compiler, **kw):
    # charter_sha256 is registered on every SQLite connection (charter.db.engine).
    return f"charter_sha256({compiler.process(element.clauses, **kw)})"
