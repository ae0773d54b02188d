"""``charter-search CONFIG_URI reindex``: rebuilds the index, resumes an unfinished run."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from charter.scripts import init, search
from charter.scripts.environment import app_environment
from charter.search import backend_of
from charter.search.query import parse
from charter.search.service import DatabaseSearch, SearchRequest


@pytest.fixture
def ini(write_ini, tmp_path, capsys, monkeypatch):
    """An ini file on a database holding the sample site."""
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-search-tests")
    path = write_ini(f"charter.blobs.path = {tmp_path / 'blobs'}")
    assert init.main([path]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def sql(scratch_database_url):
    engine = create_engine(scratch_database_url)

    def run(statement, **params):
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return result.all() if result.returns_rows else None

    yield run
    engine.dispose()


def hits(ini_path, words):
    with app_environment(ini_path) as env:
        request = env["request"]
        with request.tm:
            everything = DatabaseSearch(request.dbsession, backend_of(request.registry), None)
            results = everything.search(SearchRequest(parse(words), facets=False, limit=100))
            return {hit.path for hit in results.hits}


def test_reindex_rebuilds_a_lost_index(ini, sql, capsys):
    nodes = sql("SELECT count(*) FROM nodes")[0][0]
    found = hits(ini, "welcome")
    assert found
    sql("DELETE FROM search_index")
    assert hits(ini, "welcome") == set()

    assert search.main([ini, "reindex", "--batch-size", "3"]) == 0

    assert f"Indexed {nodes} node(s)" in capsys.readouterr().out
    assert sql("SELECT count(*) FROM search_index")[0][0] == nodes
    assert hits(ini, "welcome") == found


def test_an_unfinished_run_resumes_where_it_stopped(ini, sql, capsys):
    ids = [row[0] for row in sql("SELECT id FROM nodes ORDER BY id")]
    middle = ids[len(ids) // 2]
    sql(
        "INSERT INTO search_reindex (name, last_node_id, done, started) "
        "VALUES ('reindex', :last, 1, CURRENT_TIMESTAMP)",
        last=middle,
    )
    sql("DELETE FROM search_index")

    assert search.main([ini, "reindex"]) == 0

    out = capsys.readouterr().out
    assert f"Resuming after node {middle}" in out
    left = len([i for i in ids if i > middle])
    assert sql("SELECT count(*) FROM search_index")[0][0] == left
    assert search.main([ini, "reindex"]) == 0
    assert sql("SELECT count(*) FROM search_index")[0][0] == len(ids)


def test_a_bad_batch_size_is_refused(ini, capsys):
    with pytest.raises(SystemExit):
        search.main([ini, "reindex", "--batch-size", "0"])
    assert "expected a whole number from 1 to 10000" in capsys.readouterr().err
