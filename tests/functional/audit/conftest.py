"""A site with entries to read: /docs managed by ``mona``, /docs/board hidden from her, /other."""

import pytest
from sqlalchemy import select

from charter.accounts.models import ApiToken
from charter.audit.service import Actor, AuditLog
from charter.security.principals import user_principal
from charter.security.sharing import SharingService

API = "/api/v1/content"


@pytest.fixture
def site(site_root, content, dbsession, make_user):
    """/docs with /docs/guide and /docs/board (only the board may view it), and /other."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "# Guide")
    board = content.add_folder(docs, "board", "Board")
    content.add_document(board, "minutes", "Minutes", "secret")
    SharingService(dbsession).update(board, {"group:board": ["Reader"]}, inherit=False)
    other = content.add_folder(site_root, "other", "Other")
    content.add_document(other, "memo", "Memo", "elsewhere")
    dbsession.flush()  # requests read through their own savepoint
    return {"docs": docs, "board": board, "other": other}


@pytest.fixture
def manager(make_user, site, dbsession):
    """``mona``: Manager of /docs (not of /docs/board, which stops inheriting), Reader elsewhere."""
    user = make_user("mona", "Mona Manager")
    SharingService(dbsession).update(site["docs"], {user_principal(user.id): ["Manager"]})
    dbsession.flush()
    return user


@pytest.fixture
def as_admin(bearer, admin_user):
    """The administrator's read-write token."""
    return bearer(admin_user)


@pytest.fixture
def as_manager(bearer, manager):
    """The manager's read-write token."""
    return bearer(manager)


def token_id_of(dbsession, user):
    """The id of ``user``'s newest token."""
    return dbsession.scalars(
        select(ApiToken.id).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).first()


@pytest.fixture
def many_entries(dbsession):
    """Add ``count`` entries of ``action`` by ``login`` (no node), flushed; returns them."""

    def add(count, action="test.entry", login="robot"):
        log = AuditLog(dbsession)
        entries = [log.record(action, Actor(login=login), f"thing:{n}", n=n) for n in range(count)]
        dbsession.flush()
        return entries

    return add
