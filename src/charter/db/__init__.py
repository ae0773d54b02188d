"""Database access: engine, per-request session, transactions and retries."""

from __future__ import annotations

from pyramid.config import Configurator
from sqlalchemy.orm import sessionmaker

from charter.db.engine import WRITES_OPTION, make_engine
from charter.db.meta import Base, utcnow
from charter.db.replica import replica_from_settings
from charter.db.session import (
    REPLICA_KEY,
    WRITES_ENGINE_KEY,
    RequestSession,
    request_dbsession,
    request_primary_dbsession,
)

__all__ = ["Base", "includeme", "utcnow"]


def includeme(config: Configurator) -> None:
    """Create the engines and make ``request.dbsession`` one transaction per request."""
    settings = config.get_settings()
    # An explicit transaction manager per request: nothing reads thread-locals.
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    # pyramid_tm would load the identity before traversal, outside the error
    # views, only to label the transaction; Charter's audit log says who did what.
    settings["tm.annotate_user"] = False
    config.include("pyramid_tm")
    settings["retry.activate_hook"] = "charter.db.retry.attempts_for"
    config.include("pyramid_retry")

    engine = make_engine(settings)
    config.registry["charter.db.engine"] = engine
    config.registry[WRITES_ENGINE_KEY] = engine.execution_options(**{WRITES_OPTION: True})
    config.registry["charter.db.session_factory"] = sessionmaker(
        # The request's session is closed right after its commit: expiring
        # every object it loaded first would be work thrown away.
        bind=engine,
        class_=RequestSession,
        expire_on_commit=False,
    )
    replica = replica_from_settings(settings)
    if replica is not None:
        config.registry[REPLICA_KEY] = replica
    config.add_request_method(request_primary_dbsession, "primary_dbsession", reify=True)
    config.add_request_method(request_dbsession, "dbsession", reify=True)
