"""A small site for the change feed, webhooks and idempotency tests."""

import pytest
from sqlalchemy import select

from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.tree.models import Node

API = "/api/v1/content"
CHANGES = "/api/v1/changes"


def node_at(dbsession, path):
    return dbsession.scalars(select(Node).where(Node.path == path)).one()


def grant(dbsession, path, principal, role, inherit=None):
    SharingService(dbsession).update(node_at(dbsession, path), {principal: [role]}, inherit=inherit)
    dbsession.flush()


@pytest.fixture
def site(site_root, content, dbsession, make_user):
    """/docs (guide), /archive, /private (only the board: no inheritance)."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "# Guide")
    content.add_folder(site_root, "archive", "Archive")
    private = content.add_folder(site_root, "private", "Private")
    SharingService(dbsession).update(private, {"group:board": ["Reader"]}, inherit=False)
    dbsession.flush()
    return site_root


@pytest.fixture
def editor(make_user, site, dbsession):
    user = make_user("ed", "Ed Editor")
    grant(dbsession, "/", user_principal(user.id), "Manager")
    grant(dbsession, "/private", user_principal(user.id), "Manager")
    return user


@pytest.fixture
def as_editor(bearer, editor):
    return bearer(editor)


@pytest.fixture
def partner(make_user, site, dbsession):
    """An integration account: sees what every logged-in person sees (not /private)."""
    return make_user("partner", "Pat Partner")


@pytest.fixture
def as_partner(bearer, partner):
    return bearer(partner)


@pytest.fixture
def as_admin(bearer, admin_user, site):
    return bearer(admin_user)
