"""Requests routed to a read replica, end to end, on every database run.

A "replica" here is a copy of the primary's SQLite file taken once the site
is set up: it never catches up, so a read shows by its content whether it
came from the replica or the primary. The routing does not depend on the
database (tests/deploy/test_replica.py runs it against real MariaDB
replication); what this adds is a browser's logged-in session, whose record
exists on the primary only, seen from a request that reads the replica.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import update

from charter.accounts.models import ApiToken
from charter.db.meta import utcnow
from charter.db.replica import WROTE_COOKIE
from charter.testing.live import LiveServer

WINDOW_SECONDS = 1


@pytest.fixture(scope="module")
def live_server(charter_settings, tmp_path_factory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("replica")
    primary, replica = folder / "primary.sqlite", folder / "replica.sqlite"
    server = LiveServer(
        {
            **charter_settings,
            "sqlalchemy.url": f"sqlite:///{primary}",
            "sqlalchemy.replica.url": f"sqlite:///{replica}",
            "charter.replica.read_your_writes_seconds": str(WINDOW_SECONDS),
        }
    )
    server.start()
    yield server
    server.stop()


def freeze_replica(live: LiveServer) -> None:
    """Copy the primary into the replica's file as it is now (SQLite's backup API)."""
    primary = live.settings["sqlalchemy.url"].removeprefix("sqlite:///")
    replica = live.settings["sqlalchemy.replica.url"].removeprefix("sqlite:///")
    with sqlite3.connect(primary) as source, sqlite3.connect(replica) as target:
        source.backup(target)


def cookies_of(answer) -> dict[str, str]:
    jar = SimpleCookie()
    for header in answer.headers.get("set-cookie", "").split("\n"):
        if header:
            jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def title_seen(live, path, **options) -> str:
    answer = live.request("GET", path, **options)
    assert answer.status == 200, str(answer)
    return answer.json["title"]


def test_a_logged_in_browser_reads_the_replica_with_its_session_checked_on_the_primary(
    live, live_folder
):
    writer = live.make_user(roles={live_folder.path: ["Editor"]})
    document = live.add_document(live_folder.path, "notes", "Before")
    freeze_replica(live)
    browser = live.web_session()

    # Logging in is a write: the session record exists on the primary only.
    logged_in = live.request(
        "POST",
        "/login",
        form={"login": writer.login, "password": writer.password, "csrf_token": browser.csrf_token},
        headers={"Cookie": browser.cookie},
    )
    assert logged_in.status == 303, str(logged_in)
    jar = {
        **dict(pair.split("=", 1) for pair in browser.cookie.split("; ")),
        **cookies_of(logged_in),
    }
    assert WROTE_COOKIE in jar
    changed = live.request(
        "PATCH",
        document.api_path,
        user=writer,
        json_body={"title": "After"},
        headers={"If-Match": f'"{document.version}"'},
    )
    assert changed.status == 200, str(changed)

    session_only = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items() if k != WROTE_COOKIE)}
    with_mark = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
    # The token's write is known to the account's browser too; the mark sends it on.
    assert title_seen(live, document.api_path, headers=session_only) == "After"
    assert title_seen(live, document.api_path, headers=with_mark) == "After"
    # Once the window has passed the account reads the replica, still logged in
    # by a session record the replica does not have.
    time.sleep(WINDOW_SECONDS + 0.2)
    assert title_seen(live, document.api_path, headers=session_only) == "Before"
    page = live.request("GET", document.path, headers=session_only)
    assert page.status == 200, str(page)
    assert "Before" in page.body.decode()
    assert live.server_errors == []


def test_writes_and_the_change_feed_use_the_primary(live, live_folder):
    writer = live.make_user(roles={live_folder.path: ["Editor"]}, global_roles=["Administrator"])
    document = live.add_document(live_folder.path, "feed", "Before")
    freeze_replica(live)

    changed = live.request(
        "PATCH",
        document.api_path,
        user=writer,
        json_body={"title": "After"},
        headers={"If-Match": f'"{document.version}"'},
    )
    assert changed.status == 200, str(changed)
    time.sleep(WINDOW_SECONDS + 0.2)

    assert live.node(document.path).title == "After"
    assert title_seen(live, document.api_path, user=writer) == "Before"
    feed = live.request("GET", "/api/v1/changes", user=writer)
    assert feed.status == 200, str(feed)
    # The PATCH's entry exists on the primary only.
    assert [
        (change["kind"], change["title"])
        for change in feed.json["changes"]
        if change["uid"] == document.uid and change["kind"] == "modified"
    ] == [("modified", "After")]
    assert live.server_errors == []


def test_a_token_revoked_on_the_primary_is_refused_while_reads_go_to_the_replica(live, live_folder):
    """The replica still holds the token as it was; the identity is read from the primary
    (the routing needs it before traversal), so the revocation counts at once."""
    reader = live.make_user(roles={live_folder.path: ["Reader"]})
    document = live.add_document(live_folder.path, "kept", "Before")
    freeze_replica(live)
    for _ in range(3):
        assert title_seen(live, document.api_path, user=reader) == "Before"

    with live.engine.begin() as connection:
        connection.execute(
            update(ApiToken).where(ApiToken.user_id == reader.id).values(revoked=utcnow())
        )

    assert live.request("GET", document.api_path, user=reader).status == 401
    assert live.server_errors == []
