"""What /readyz checks beyond the database (blob store, Redis), and /api/v1/version."""

from importlib.metadata import version

import pytest

from charter.db.migrations import head_revisions


def test_readyz_fails_when_the_blob_store_cannot_be_written(client_of, build_app, tmp_path):
    app = build_app()
    store = app.registry["charter.blobs.store"]
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("")
    kept = store.temporary
    store.temporary = blocker / "tmp"
    try:
        response = client_of(app).get("/readyz", status=503)
    finally:
        store.temporary = kept

    assert response.json == {"status": "unavailable", "reason": "blob store not writable"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_leaves_nothing_in_the_blob_store(client_of, build_app):
    app = build_app()
    store = app.registry["charter.blobs.store"]
    before = sorted(store.temporary.iterdir())

    client_of(app).get("/readyz", status=200)

    assert sorted(store.temporary.iterdir()) == before


def test_readyz_fails_when_redis_does_not_answer(client_of, build_app):
    app = build_app(**{"charter.redis_url": "redis://127.0.0.1:1/0"})

    response = client_of(app).get("/readyz", status=503)

    assert response.json == {"status": "unavailable", "reason": "redis unreachable"}
    assert "127.0.0.1" not in response.text


def test_readyz_is_ok_with_a_live_redis(client_of, build_app):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    app = build_app(**{"charter.redis_url": "redis://127.0.0.1:6379/15"})

    assert client_of(app).get("/readyz").json["status"] == "ok"


def test_version_names_the_release_and_the_schema(client_of, build_app, monkeypatch):
    monkeypatch.setenv("CHARTER_BUILD", "git-abc123")
    response = client_of(build_app()).get("/api/v1/version")

    body = response.json
    assert response.headers["Cache-Control"] == "no-store"
    assert body["name"] == "charter"
    assert body["version"] == version("charter")
    assert body["build"] == "git-abc123"
    assert body["schema"] == {
        "revisions": sorted(head_revisions()),
        "heads": sorted(head_revisions()),
        "at_head": True,
    }


def test_version_without_a_build(client_of, build_app, monkeypatch):
    monkeypatch.delenv("CHARTER_BUILD", raising=False)

    assert client_of(build_app()).get("/api/v1/version").json["build"] is None
