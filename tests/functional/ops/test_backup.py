"""``charter-backup``: a backup taken while writes go on, restored elsewhere, gives the same
API output for every node it holds; --verify finds missing and corrupt blobs."""

import os
import threading
from pathlib import Path

import pytest
import webtest
from pyramid.paster import get_app
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.accounts.services import TokenService
from charter.scripts import backup, init
from charter.testing.databases import drop_database, recreate_database


@pytest.fixture
def source_ini(write_ini, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-backup-tests")
    path = write_ini(f"charter.blobs.path = {tmp_path / 'blobs'}")
    assert init.main([path]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def target_ini(source_ini, scratch_database_url, tmp_path):
    """A second site's ini: an empty database of its own and an empty blob folder."""
    url = make_url(scratch_database_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(database=str(tmp_path / "restored.sqlite"))
    else:
        url = url.set(database=f"{url.database}_restored")
    recreate_database(url)
    text_url = url.render_as_string(hide_password=False)
    source = Path(source_ini).read_text(encoding="utf-8")
    path = tmp_path / "restored.ini"
    path.write_text(
        source.replace(
            scratch_database_url.replace("%", "%%"), text_url.replace("%", "%%")
        ).replace(str(tmp_path / "blobs"), str(tmp_path / "restored-blobs")),
        encoding="utf-8",
    )
    yield str(path), text_url
    drop_database(url)


def api_client(ini, url):
    """WebTest on the site of ``ini``, with a read-write token of its administrator."""
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        admin = session.scalars(select(User).where(User.login == "admin")).one()
        _, token = TokenService(session).create(admin, "backup tests", scope="read-write")
    engine.dispose()
    app = webtest.TestApp(get_app(ini), extra_environ={"HTTP_HOST": "example.com"})
    app.authorization = ("Bearer", token)
    return app


def node_paths(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        paths = sorted(connection.scalars(text("SELECT path FROM nodes")))
    engine.dispose()
    return paths


def upload(app, folder, name, data):
    return app.post(
        f"/api/v1/content{folder}",
        params=data,
        headers={"Content-Type": "application/octet-stream", "Slug": name},
    )


def test_a_backup_taken_during_writes_restores_to_the_same_site(
    source_ini, target_ini, scratch_database_url, tmp_path, capsys
):
    source = api_client(source_ini, scratch_database_url)
    for number in range(5):
        upload(source, "/", f"file-{number}.bin", os.urandom(1000 + number) * 3)
    source.post_json("/api/v1/content/", {"@type": "Folder", "title": "Incoming"})
    stop = threading.Event()
    written = []

    def keep_writing():
        writer = api_client(source_ini, scratch_database_url)
        while not stop.is_set():
            number = len(written)
            upload(writer, "/incoming/", f"late-{number}.bin", os.urandom(2000))
            written.append(number)

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        while len(written) < 3:
            stop.wait(0.01)
        assert backup.main([source_ini, "create", str(tmp_path / "backup")]) == 0
        before_stop = len(written)
        while len(written) < before_stop + 3:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert "Backed up" in capsys.readouterr().out

    restored_ini, restored_url = target_ini
    assert backup.main([restored_ini, "restore", str(tmp_path / "backup"), "--verify"]) == 0
    assert "0 missing, 0 corrupt" in capsys.readouterr().out

    restored = api_client(restored_ini, restored_url)
    paths = node_paths(restored_url)
    source_paths = node_paths(scratch_database_url)
    assert set(paths) < set(source_paths), "writes after the snapshot are not in the backup"
    compared = 0
    for path in paths:
        if path.startswith("/incoming") or path == "/":
            continue  # changed by the writes that went on
        url = f"/api/v1/content{path}"
        assert restored.get(url).json == source.get(url).json, path
        if path.endswith(".bin"):
            assert restored.get(url + "/@download").body == source.get(url + "/@download").body
        compared += 1
    assert compared >= 5 + 6


def test_restore_refuses_a_database_that_is_not_empty(source_ini, tmp_path, capsys):
    assert backup.main([source_ini, "create", str(tmp_path / "backup")]) == 0

    assert backup.main([source_ini, "restore", str(tmp_path / "backup")]) == 2
    assert "not empty" in capsys.readouterr().err


def test_create_refuses_a_folder_that_is_not_empty(source_ini, tmp_path, capsys):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "something").write_text("")

    assert backup.main([source_ini, "create", str(tmp_path / "backup")]) == 2
    assert "not empty" in capsys.readouterr().err


def test_verify_finds_missing_and_corrupt_blobs(
    source_ini, target_ini, scratch_database_url, tmp_path, capsys
):
    source = api_client(source_ini, scratch_database_url)
    first = upload(source, "/", "a.bin", b"a" * 5000).json
    upload(source, "/", "b.bin", b"b" * 5000)
    assert backup.main([source_ini, "create", str(tmp_path / "backup")]) == 0
    restored_ini, _ = target_ini
    assert backup.main([restored_ini, "restore", str(tmp_path / "backup")]) == 0
    blobs = sorted(
        p for p in (tmp_path / "restored-blobs").rglob("*") if p.is_file() and len(p.name) == 64
    )
    blobs[0].write_bytes(b"tampered")
    blobs[1].unlink()
    capsys.readouterr()

    assert backup.main([restored_ini, "verify", str(tmp_path / "backup")]) == 1
    errors = capsys.readouterr().err
    assert f"blob {blobs[0].name} is corrupt" in errors
    assert f"blob {blobs[1].name} is missing" in errors
    assert first["@id"]


def test_a_tampered_backup_is_refused(source_ini, target_ini, tmp_path, capsys):
    assert backup.main([source_ini, "create", str(tmp_path / "backup")]) == 0
    data = next(
        p
        for p in (tmp_path / "backup").iterdir()
        if p.name != "manifest.json" and p.name != "blobs"
    )
    if data.is_dir():
        data = next(data.iterdir())
    data.write_bytes(data.read_bytes() + b"x")
    restored_ini, _ = target_ini

    assert backup.main([restored_ini, "restore", str(tmp_path / "backup")]) == 2
    assert "does not match its checksum" in capsys.readouterr().err
