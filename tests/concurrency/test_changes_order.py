"""The change feed on a live server: a poller following its cursor misses no change, even when
slow transactions commit after fast ones that started later.

Fast writers create documents through the API while slow writers (in this
process, on the same database) take their sequence numbers and then hold
their transaction open before committing: the classic way a feed numbered by
auto-increment loses entries. A poller follows the feed with its cursor the
whole time; at the end it must have seen every entry exactly once, in order.
"""

import json
import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.changes import feed
from charter.changes.models import Change
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.db.session import WRITES_ENGINE_KEY
from charter.tree.models import Node

FAST_CLIENTS = 4
FAST_WRITES = 5
SLOW_WRITERS = 4
SLOW_HOLD_S = 0.3


def poll(live, admin, cursor, limit=7):
    response = live.request("GET", f"/api/v1/changes?since={cursor}&limit={limit}", user=admin)
    assert response.status == 200, live.explain("poll", [response])
    return response.json


def slow_write(live, folder_path, name):
    """Create a document, take the feed's numbers, then wait before committing."""
    # The writes engine: on SQLite it takes the write lock when the transaction begins.
    engine = live.registry[WRITES_ENGINE_KEY]
    with Session(engine) as session, session.begin():
        folder = session.scalars(select(Node).where(Node.path == folder_path)).one()
        content = ContentService(
            session, types=types_of(live.registry), notify=live.registry.notify
        )
        content.create(folder, "Document", {"title": name}, name)
        pending = session.info.pop(feed.PENDING_KEY)
        feed.write_changes(session, pending)
        time.sleep(SLOW_HOLD_S)


def test_a_poller_misses_no_change_when_slow_and_fast_transactions_interleave(live, live_folder):
    admin = live.make_user(global_roles=["Administrator"])
    editor = live.make_user(roles={live_folder.path: ["Editor"]})
    start = poll(live, admin, "latest")["cursor"]
    seen = []
    done = threading.Event()
    failures = []

    def poller():
        cursor = start
        try:
            while True:
                finished = done.is_set()
                page = poll(live, admin, cursor)
                seen.extend(int(c["seq"]) for c in page["changes"])
                cursor = page["cursor"]
                if finished and not page["more"]:
                    return
                time.sleep(0.01)
        except BaseException as exc:  # reported by the test
            failures.append(exc)

    def fast(client):
        for number in range(FAST_WRITES):
            response = live.request(
                "POST",
                live_folder.api_path,
                user=editor,
                json_body={"@type": "Document", "title": f"fast {client} {number}"},
            )
            if response.status != 201:
                failures.append(live.explain("fast write", [response]))

    def slow(number):
        try:
            slow_write(live, live_folder.path, f"slow-{number}")
        except BaseException as exc:
            failures.append(exc)

    watcher = threading.Thread(target=poller)
    watcher.start()
    writers = [threading.Thread(target=fast, args=(n,)) for n in range(FAST_CLIENTS)]
    writers += [threading.Thread(target=slow, args=(n,)) for n in range(SLOW_WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    watcher.join()

    assert failures == []
    with Session(live.engine) as session:
        committed = list(session.scalars(select(Change.seq).where(Change.seq > int(start))))
    assert len(committed) == FAST_CLIENTS * FAST_WRITES + SLOW_WRITERS
    assert seen == sorted(committed), json.dumps({"seen": seen, "committed": committed})
    assert live.server_errors == []
