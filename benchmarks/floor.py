"""The floor: the least a Pyramid app can do to answer with one row of Charter's database.

A bare Pyramid app (one route, one view, Pyramid's JSON renderer) whose view
makes **one primary-key SELECT** of a ``nodes`` row through the same
transaction machinery Charter uses, pyramid_tm and zope.sqlalchemy, on an
engine built exactly as Charter builds its own (charter.db.engine: the same
pool, isolation level and connection set-up), and returns the row as JSON.
No traversal, no security, no templates: whatever Charter spends beyond this
on a read is its own Python work around the query it must make.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.router import Router
from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from zope.sqlalchemy import register

from charter.tree.models import Node

NODES: Table = Node.__table__  # type: ignore[assignment]
# The row as Charter's JSON shows it, by primary key.
ROW_STATEMENT = select(
    NODES.c.id,
    NODES.c.uid,
    NODES.c.type,
    NODES.c.name,
    NODES.c.path,
    NODES.c.title,
    NODES.c.description,
    NODES.c.created,
    NODES.c.modified,
    NODES.c.version,
).where(NODES.c.id == bindparam("node_id"))


def floor_app(engine: Engine, node_id: int) -> Router:
    """The floor app on ``engine``: ``GET /node`` answers node ``node_id``'s row as JSON."""
    statement = ROW_STATEMENT
    factory = sessionmaker(bind=engine)

    def dbsession(request: Request) -> Session:
        session = factory()
        register(session, transaction_manager=request.tm)
        return session

    def node_row(request: Request) -> dict[str, Any]:
        row = request.dbsession.execute(statement, {"node_id": node_id}).one()._asdict()
        row["created"] = row["created"].isoformat()
        row["modified"] = row["modified"].isoformat()
        return row

    with Configurator(
        settings={"tm.manager_hook": "pyramid_tm.explicit_manager", "tm.annotate_user": False}
    ) as config:
        config.include("pyramid_tm")
        config.add_request_method(dbsession, "dbsession", reify=True)
        config.add_route("node", "/node")
        config.add_view(node_row, route_name="node", renderer="json")
        return config.make_wsgi_app()
