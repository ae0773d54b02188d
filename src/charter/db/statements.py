"""Statements whose best form differs between databases, written once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Delete, delete, select
from sqlalchemy.orm import Session

# Databases with a multi-table DELETE (MySQL's DELETE ... USING, PostgreSQL's USING).
MULTI_TABLE_DELETE = frozenset({"mysql", "mariadb", "postgresql"})


def delete_joined(
    dbsession: Session,
    model: type[Any],
    column: ColumnElement[Any],
    joined: ColumnElement[Any],
    *criteria: ColumnElement[bool],
) -> Delete:
    """DELETE ``model``'s rows whose ``column`` equals ``joined`` of a row meeting ``criteria``.

    A multi-table DELETE where the database has one: MariaDB runs the
    portable ``DELETE ... WHERE column IN (SELECT ...)`` as a dependent
    subquery over the whole table, locking every row it reads. SQLite gets
    that portable form.
    """
    if dbsession.get_bind().dialect.name in MULTI_TABLE_DELETE:
        statement = delete(model).where(column == joined, *criteria)
    else:
        statement = delete(model).where(column.in_(select(joined).where(*criteria)))
    return statement.execution_options(synchronize_session=False)
