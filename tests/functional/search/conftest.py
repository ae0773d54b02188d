"""A committed site of its own for search tests.

MariaDB's FULLTEXT sees only committed rows, so these tests cannot run
inside the rolled-back transaction of the other functional tests: each
module gets a database of its own (the worker's test database name plus
``_search``, or a SQLite file), migrated, filled through the real services
and committed, and dropped afterwards. Requests made with ``search_app``
commit for real.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import transaction
import webtest
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from charter import make_configurator
from charter.accounts.models import User
from charter.accounts.passwords import hash_password
from charter.accounts.services import TokenService
from charter.audit.service import SYSTEM, Actor
from charter.content.registry import types_of
from charter.content.services import ContentService, Uploads
from charter.db.migrations import upgrade
from charter.db.session import MANAGER_INFO_KEY
from charter.security.principals import user_principal
from charter.security.roles import DEFAULT_ROOT_GRANTS
from charter.security.sharing import SharingService
from charter.testing.databases import drop_database, recreate_database, worker_database_url
from charter.tree.models import Node


@dataclass
class SearchSite:
    """A committed site: the app, its registry and engine, and helpers to change it."""

    app: Any
    engine: Engine
    settings: dict[str, Any]
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    def session(self) -> Session:
        """A plain session on the site's database (no transaction manager)."""
        return Session(bind=self.engine)

    @contextmanager
    def edit(self, login: str | None = None) -> Iterator[tuple[ContentService, Session]]:
        """The editing service as ``login`` (or the system) in a transaction that commits at the
        end like a request's: blobs placed, then the database committed, then files read."""
        registry = self.app.registry
        actor = Actor(self.users[login], login) if login else SYSTEM
        manager = transaction.TransactionManager(explicit=True)
        factory = registry["charter.db.session_factory"]
        session = factory(info={MANAGER_INFO_KEY: manager})
        manager.begin()
        try:
            yield (
                ContentService(
                    session,
                    types=types_of(registry),
                    actor=actor,
                    notify=registry.notify,
                    uploads=Uploads(registry["charter.blobs.store"], manager, 10 * 1024 * 1024),
                ),
                session,
            )
            manager.commit()
        except BaseException:
            manager.abort()
            raise
        finally:
            session.close()

    def client(self, login: str | None = None) -> webtest.TestApp:
        """WebTest over the app (requests commit), with ``login``'s bearer token if given."""
        app = webtest.TestApp(self.app, extra_environ={"HTTP_HOST": "example.com"})
        if login is not None:
            app.authorization = None
            app.extra_environ["HTTP_AUTHORIZATION"] = self.tokens[login]["Authorization"]
        return app

    def titles(self, query: str, login: str = "owner", path: str = "", **params: Any) -> set:
        """The titles ``login`` finds for ``query`` through the API (every page)."""
        found: list[str] = []
        url = f"/api/v1/content{path}/@search" if path else "/api/v1/search"
        response = self.client(login).get(url, {"q": query, "limit": "2", **params})
        for _ in range(100):  # a paging bug must fail, not loop for ever
            found += [item["title"] for item in response.json["items"]]
            if response.json["next"] is None:
                break
            response = self.client(login).get(response.json["next"])
        assert len(found) == len(set(found)), f"a hit came twice: {found}"
        return set(found)


def _database_url(base: str, tmp: Path, module: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = worker_database_url(os.environ.get("CHARTER_TEST_DB"), worker, tmp)
    if url.get_backend_name() == "sqlite":
        url = make_url(f"sqlite:///{tmp / f'search-{module}.sqlite'}")
    else:
        url = url.set(database=f"{url.database}_search")
    del base
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def search_site_factory(
    request: pytest.FixtureRequest,
    charter_settings: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Callable[[SearchSite], None]], SearchSite]]:
    """``build(fill)``: a migrated, committed site of this module's own, filled by ``fill``."""
    tmp = tmp_path_factory.mktemp("search")
    url = _database_url(charter_settings["sqlalchemy.url"], tmp, request.module.__name__)
    made: list[SearchSite] = []

    def build(fill: Callable[[SearchSite], None]) -> SearchSite:
        recreate_database(make_url(url))
        settings = {
            **charter_settings,
            "sqlalchemy.url": url,
            "charter.blobs.path": str(tmp / "blobs"),
        }
        config = make_configurator(settings, environ={})
        engine = config.registry["charter.db.engine"]
        with engine.begin() as connection:
            upgrade(connection)
        site = SearchSite(config.make_wsgi_app(), engine, settings)
        made.append(site)
        _base(site)
        fill(site)
        return site

    yield build
    for site in made:
        site.engine.dispose()
    drop_database(make_url(url))


def _base(site: SearchSite) -> None:
    """The root (readable by every logged-in person) and the accounts with their tokens."""
    password = hash_password("not used by these tests")
    with site.session() as session:
        for login in ("reader", "outsider", "owner", "insider", "admin"):
            user = User(login=login, email=f"{login}@example.com", full_name=login.title())
            user.password_hash = password
            session.add(user)
        session.flush()
        for user in session.scalars(select(User)):
            site.users[user.login] = user.id
            _, text = TokenService(session).create(user, "tests", scope="read-write")
            site.tokens[user.login] = {"Authorization": f"Bearer {text}"}
        SharingService(session).set_global_roles(
            user_principal(site.users["admin"]), ["Administrator"]
        )
        session.commit()
    with site.edit() as (service, session):
        root = service.create_root("Search Test")
        SharingService(session).update(root, DEFAULT_ROOT_GRANTS)


def root_of(session: Session) -> Node:
    """The committed site's root folder."""
    return session.scalars(select(Node).where(Node.path == "/")).one()


def upload(service: ContentService, parent: Node, filename: str, data: bytes, **kw: Any) -> Node:
    """Upload ``data`` as a file named ``filename`` inside ``parent``."""
    return service.upload(parent, io.BytesIO(data), filename, **kw)
