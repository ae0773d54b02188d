"""A prune of the audit log while people write, on a live server: every write keeps its entry.

Sixteen clients add documents while ``charter-audit prune`` runs: the prune
removes exactly the old entries it exported (none of the new ones), every
write answers 201 with its ``content.added`` entry, nothing fails with a
5xx, and the log's triggers refuse deletes again afterwards.
"""

import datetime as dt
import json
import threading
import uuid

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from charter.audit.models import AuditEntry
from charter.audit.service import Actor, AuditLog
from charter.audit.triggers import is_refusal
from charter.db.engine import WRITES_OPTION
from charter.scripts.audit import prune_before

CLIENTS = 16
OLD_ENTRIES = 200
LONG_AGO = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
CUTOFF = dt.datetime(2002, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def editor(live, live_folder):
    """An Editor of the test's folder, with a read-write token."""
    return live.make_user(roles={live_folder.path: ["Editor"]})


def test_a_prune_racing_writes_removes_only_what_it_exported(live, live_folder, editor, tmp_path):
    marker = f"test.old.{uuid.uuid4().hex[:8]}"
    with Session(live.engine) as session, session.begin():
        log = AuditLog(session)
        for n in range(OLD_ENTRIES):
            log.record(marker, Actor(login="ann"), f"old:{n}").at = LONG_AGO
    mark = live.audit_mark()
    export = tmp_path / "old.ndjson"
    outcome: dict[str, object] = {}

    def prune() -> None:
        engine = live.engine.execution_options(**{WRITES_OPTION: True})
        with engine.connect() as connection:
            with connection.begin():
                outcome["pruned"] = prune_before(connection, CUTOFF, str(export))
            if connection.dialect.name in {"mysql", "mariadb"}:
                connection.invalidate()

    pruner = threading.Thread(target=prune)
    pruner.start()
    responses = live.race(
        [
            live.prepare(
                "POST",
                live_folder.api_path,
                user=editor,
                json_body={"@type": "Document", "name": f"doc-{n}", "title": f"Doc {n}"},
            )
            for n in range(CLIENTS)
        ]
    )
    pruner.join(60)

    live.assert_statuses(responses, {201})
    count, _ = outcome["pruned"]
    assert count >= OLD_ENTRIES
    exported = [json.loads(line) for line in export.read_text().splitlines()]
    assert len(exported) == count
    assert sum(1 for line in exported if line["action"] == marker) == OLD_ENTRIES
    added = live.audit_entries("content.added", after=mark, under=live_folder.path)
    assert sorted(entry.target for entry in added) == sorted(
        f"{live_folder.path}/doc-{n}" for n in range(CLIENTS)
    )
    with live.engine.connect() as connection:
        left = connection.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.at < CUTOFF)
        )
        assert left == 0
    with live.engine.connect() as connection:
        with pytest.raises(DBAPIError) as raised, connection.begin():
            connection.execute(delete(AuditEntry).where(AuditEntry.id > mark))
        assert is_refusal(raised.value)
    assert [e.action for e in live.audit_entries("audit.pruned", after=mark)] == ["audit.pruned"]
