"""``charter-audit CONFIG export|prune`` on an ini file and a database of its own."""

import csv
import datetime as dt
import gzip
import hashlib
import io
import json

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from charter.audit.models import AuditEntry
from charter.audit.service import Actor, AuditLog
from charter.audit.triggers import is_refusal
from charter.scripts import audit, init
from charter.scripts.environment import app_environment

OLD = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def ini(write_ini, capsys, monkeypatch, tmp_path):
    """An ini file on a database holding the sample site and three entries from 2020."""
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-audit-tests")
    path = write_ini(f"charter.blobs.path = {tmp_path / 'blobs'}")
    assert init.main([path]) == 0
    with app_environment(path) as env, env["registry"]["charter.db.engine"].begin() as connection:
        session = Session(bind=connection)
        for n in range(3):
            entry = AuditLog(session).record("test.old", Actor(login="ann"), f"thing:{n}", n=n)
            entry.at = OLD + dt.timedelta(days=n)
        session.flush()
        session.close()
    capsys.readouterr()
    return path


def entries(ini, *where):
    with app_environment(ini) as env, env["registry"]["charter.db.engine"].connect() as c:
        return list(c.execute(select(AuditEntry).where(*where).order_by(AuditEntry.id)))


def test_prune_exports_then_deletes_exactly_the_older_entries_and_records_it(ini, tmp_path, capsys):
    before_count = len(entries(ini))
    export = tmp_path / "old.ndjson"

    status = audit.main([ini, "prune", "--before", "2021-01-01", "--export", str(export)])

    assert status == 0
    exported = [json.loads(line) for line in export.read_text().splitlines()]
    assert sorted(line["details"]["n"] for line in exported) == [0, 1, 2]
    assert entries(ini, AuditEntry.action == "test.old") == []
    (pruned,) = entries(ini, AuditEntry.action == "audit.pruned")
    assert pruned.actor_login == "cli"
    assert pruned.details["count"] == 3
    assert pruned.details["sha256"] == hashlib.sha256(export.read_bytes()).hexdigest()
    assert len(entries(ini)) == before_count - 3 + 1
    assert "Pruned 3 entries" in capsys.readouterr().out


def test_after_a_prune_the_database_still_refuses_deletes(ini, tmp_path):
    audit.main([ini, "prune", "--before", "2021-01-01", "--export", str(tmp_path / "x.ndjson")])

    with app_environment(ini) as env, env["registry"]["charter.db.engine"].connect() as c:
        with pytest.raises(DBAPIError) as raised, c.begin():
            c.execute(delete(AuditEntry))
        assert is_refusal(raised.value)


def test_prune_writes_gzip_when_the_file_name_says_so(ini, tmp_path):
    export = tmp_path / "old.ndjson.gz"

    assert audit.main([ini, "prune", "--before", "2021-01-01", "--export", str(export)]) == 0

    assert len(gzip.decompress(export.read_bytes()).splitlines()) == 3


def test_prune_never_overwrites_a_file_and_then_deletes_nothing(ini, tmp_path, capsys):
    export = tmp_path / "old.ndjson"
    export.write_text("keep me")

    status = audit.main([ini, "prune", "--before", "2021-01-01", "--export", str(export)])

    assert status == audit.ERROR_STATUS
    assert "exists already" in capsys.readouterr().err
    assert export.read_text() == "keep me"
    assert len(entries(ini, AuditEntry.action == "test.old")) == 3


def test_prune_of_a_future_date_is_refused(ini, tmp_path, capsys):
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()

    status = audit.main([ini, "prune", "--before", future, "--export", str(tmp_path / "f")])

    assert status == audit.ERROR_STATUS
    assert "future" in capsys.readouterr().err
    assert not (tmp_path / "f").exists()


def test_prune_with_nothing_older_removes_and_writes_nothing(ini, tmp_path, capsys):
    status = audit.main([ini, "prune", "--before", "2019-01-01", "--export", str(tmp_path / "n")])

    assert status == 0
    assert "Nothing to prune" in capsys.readouterr().out
    assert not (tmp_path / "n").exists()


def test_a_bad_date_is_a_usage_error(ini, tmp_path):
    with pytest.raises(SystemExit) as stopped:
        audit.main([ini, "prune", "--before", "last year", "--export", str(tmp_path / "x")])
    assert stopped.value.code == 2


def test_export_writes_a_filtered_selection_as_csv(ini, tmp_path, capsys):
    output = tmp_path / "ann.csv"

    status = audit.main([ini, "export", "--format", "csv", "--actor", "ann", "-o", str(output)])

    assert status == 0
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert [row["action"] for row in rows] == ["test.old"] * 3
    assert "Exported 3 entries" in capsys.readouterr().out


def test_export_to_stdout_is_ndjson_newest_first(ini, capsys):
    assert audit.main([ini, "export", "--action", "test.old"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["details"]["n"] for line in lines] == [2, 1, 0]


def test_the_log_keeps_what_init_recorded(ini):
    with app_environment(ini) as env, env["registry"]["charter.db.engine"].connect() as c:
        assert c.scalar(select(func.count()).select_from(AuditEntry)) > 3
