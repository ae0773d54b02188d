"""Materialized paths: how a node's place in the tree is stored and hashed.

The root's path is ``/``; a child's is its parent's path, a slash, and its
name (``/projects/handbook``). ``path_hash`` (the 32 bytes of its SHA-256) is
indexed so a path of any length is found through a fixed-size key on every
database, half the size of the same digest in hex.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy.dialects.mysql import BINARY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import LargeBinary, String

# The column type of a path's hash: BINARY(32) on MySQL/MariaDB, bytea on
# PostgreSQL. SQLite keeps the VARCHAR(64) the hex digests had: its columns
# hold any value (the 32 bytes are stored as a blob), and changing the declared
# type would mean rebuilding ``nodes``, which with foreign keys on deletes
# every row that refers to it (migration 0012).
PathHash = (
    LargeBinary(32).with_variant(BINARY(32), "mysql", "mariadb").with_variant(String(64), "sqlite")
)

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


def hash_path(path: str) -> bytes:
    """The value stored in ``nodes.path_hash`` for ``path``: its SHA-256 digest (32 bytes)."""
    return hashlib.sha256(path.encode("utf-8")).digest()


def descendants_range(path: str) -> tuple[str, str]:
    """Exclusive bounds ``(low, high)`` of the paths strictly below ``path``.

    Every descendant path starts with ``path + '/'`` (no path ends in '/',
    except the root's, which is the low bound itself); '0' is the character
    right after '/'. So ``low < path < high`` is an index range scan on any
    database whose collation compares code points (charter.db.meta.exact_text).
    """
    low = child_path(path, "")
    return low, low[:-1] + "0"


class sha256_digest(FunctionElement[bytes]):  # noqa: N801 - reads as the SQL function it is
    """SQL expression: the SHA-256 digest (32 bytes) of a text, for set-based path updates."""

    type = PathHash
    inherit_cache = True
    name = "sha256_digest"


@compiles(sha256_digest, "mysql")
@compiles(sha256_digest, "mariadb")
def _sha256_mysql(element, compiler, **kw):
    return f"UNHEX(SHA2({compiler.process(element.clauses, **kw)}, 256))"


@compiles(sha256_digest, "postgresql")
def _sha256_postgresql(element, compiler, **kw):
    return f"sha256(convert_to({compiler.process(element.clauses, **kw)}, 'UTF8'))"


@compiles(sha256_digest, "sqlite")
def _sha256_sqlite(element, compiler, **kw):
    # charter_sha256 is registered on every SQLite connection (charter.db.engine).
    return f"charter_sha256({compiler.process(element.clauses, **kw)})"
