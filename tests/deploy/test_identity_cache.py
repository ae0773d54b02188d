"""Kept identities across real processes: gunicorn's two workers each keep the identity
behind a token, and a revocation or deactivation made by another process (the CLI, or
the other worker) counts at the next request of both."""

import secrets
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.accounts.models import ApiToken, User
from charter.accounts.services import TokenService
from charter.db.engine import make_engine
from charter.security.sharing import SharingService
from charter.settings import parse_settings
from tests.deploy.conftest import BIN, SECRET, call, start_gunicorn, stop

# Enough requests that both workers serve some (the kernel hands connections to either).
REQUESTS = 24


@pytest.fixture(scope="module")
def gunicorn(site):
    server = start_gunicorn(site, "identities", workers=2)
    yield server
    stop(server.process)


def new_reader(site) -> tuple[str, str, int]:
    """(login, read token, token id) of a new account that may read the whole site."""
    engine = make_engine(
        parse_settings({"sqlalchemy.url": site.url, "charter.session.secret": SECRET}, environ={})
    )
    login = f"ivy-{secrets.token_hex(3)}"
    try:
        with Session(engine) as session, session.begin():
            user = User(login=login, email=f"{login}@example.org", password_hash="!")
            session.add(user)
            session.flush()
            SharingService(session).set_global_roles(f"user:{user.id}", ["Reader"])
            token, text = TokenService(session).create(user, "deploy", scope="read-write")
            session.flush()
            return login, text, token.id
    finally:
        engine.dispose()


def statuses(port: int, token: str) -> set[int]:
    """The statuses of ``REQUESTS`` reads of the root with ``token``, eight at a time."""
    headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
    with ThreadPoolExecutor(8) as pool:
        answers = pool.map(
            lambda _: call(port, path="/api/v1/content/", headers=headers).status, range(REQUESTS)
        )
        return set(answers)


def test_an_account_deactivated_by_the_cli_is_refused_by_every_worker_at_once(site, gunicorn):
    login, token, _ = new_reader(site)
    assert statuses(gunicorn.port, token) == {200}
    assert statuses(gunicorn.port, token) == {200}

    done = subprocess.run(
        [str(BIN / "charter-user"), str(site.ini), "deactivate", login],
        env=site.env,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert statuses(gunicorn.port, token) == {401}


def test_a_token_revoked_through_one_worker_is_refused_by_both_at_once(site, gunicorn):
    _, token, token_id = new_reader(site)
    assert statuses(gunicorn.port, token) == {200}
    assert statuses(gunicorn.port, token) == {200}

    revoked = call(
        gunicorn.port,
        "DELETE",
        f"/api/v1/me/tokens/{token_id}",
        headers={"Authorization": f"Bearer {token}", "Host": "127.0.0.1"},
    )

    assert revoked.status == 204, revoked.body
    assert statuses(gunicorn.port, token) == {401}
    engine = make_engine(
        parse_settings({"sqlalchemy.url": site.url, "charter.session.secret": SECRET}, environ={})
    )
    with Session(engine) as session:
        assert session.scalar(select(ApiToken.revoked).where(ApiToken.id == token_id))
    engine.dispose()
