"""The workflow history: one row per transition a node went through."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from charter.db.meta import MYSQL_TABLE_OPTIONS, Base, Identifier, UTCDateTime, utcnow

# The longest comment a transition keeps (as a revision's).
MAX_COMMENT_LENGTH = 500


class WorkflowStep(Base):
    """``node`` went from ``from_state`` to ``to_state`` by ``transition``: who, when, why.

    Written in the transaction of the transition itself; the actor's login is
    copied so the step stays readable whatever happens to the account.
    """

    __tablename__ = "workflow_history"
    __table_args__ = (
        Index("ix_workflow_history_node_id_id", "node_id", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_login: Mapped[str | None] = mapped_column(String(100))
    workflow: Mapped[str] = mapped_column(String(64))
    transition: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(MAX_COMMENT_LENGTH), default="")
