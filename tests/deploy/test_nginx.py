"""nginx in front of gunicorn (2 gthread workers), as deploy/nginx/ and gunicorn.conf.py set
them up; and a second app process (waitress) on the same database."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.deploy.conftest import (
    METRICS_TOKEN,
    call,
    start_gunicorn,
    start_nginx,
    start_waitress,
    stop,
)


@pytest.fixture(scope="module")
def gunicorn(site):
    server = start_gunicorn(site, "gunicorn", workers=2)
    yield server
    stop(server.process)


@pytest.fixture(scope="module")
def nginx(site, gunicorn):
    proxy = start_nginx(site.folder, gunicorn.port)
    yield proxy
    stop(proxy.process)


def access_line(server, request_id):
    lines = [
        line
        for line in server.log_lines()
        if line.get("logger") == "charter.access" and line.get("request_id") == request_id
    ]
    assert len(lines) == 1, server.log.read_text()[-3000:]
    return lines[0]


def test_nginx_gives_each_request_its_id(nginx, gunicorn):
    answer = call(
        nginx.http_port, path="/healthz", host="127.0.0.2", headers={"X-Request-ID": "mine"}
    )

    assert answer.status == 200
    request_id = answer.headers["X-Request-ID"]
    # nginx's $request_id, not the client's: it is in nginx's access log too.
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    # nginx writes its log line just after the answer has gone.
    deadline = time.monotonic() + 5
    while f"rid={request_id}" not in nginx.log.read_text():
        assert time.monotonic() < deadline, nginx.log.read_text()
        time.sleep(0.05)
    assert access_line(gunicorn, request_id)["path"] == "/healthz"


def test_the_client_address_and_scheme_come_through_the_proxy(nginx, gunicorn):
    answer = call(
        nginx.https_port,
        path="/healthz",
        host="127.0.0.2",
        tls=True,
        source="127.0.0.3",
        headers={"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "http"},
    )

    assert answer.status == 200
    line = access_line(gunicorn, answer.headers["X-Request-ID"])
    # The forged hop the client added is ignored: Charter reads from the right.
    assert line["client"] == "127.0.0.3"
    # TLS ended at nginx; Charter knows the request was https (it sends HSTS).
    assert "max-age" in answer.headers["Strict-Transport-Security"]


def test_plain_http_through_nginx_is_http(nginx):
    answer = call(nginx.http_port, path="/healthz", host="127.0.0.2")

    assert "Strict-Transport-Security" not in answer.headers


def test_a_client_talking_to_gunicorn_directly_cannot_forge_the_headers(gunicorn):
    answer = call(
        gunicorn.port,
        path="/healthz",
        source="127.0.0.3",
        headers={
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Proto": "https",
            "X-Request-ID": "forged-id",
        },
    )

    assert answer.headers["X-Request-ID"] != "forged-id"
    line = access_line(gunicorn, answer.headers["X-Request-ID"])
    assert line["client"] == "127.0.0.3"
    assert "Strict-Transport-Security" not in answer.headers


def test_a_large_upload_and_range_downloads_pass_through_nginx(nginx, site):
    payload = bytes(range(256)) * 8192  # 2 MiB: above nginx's default 1 MiB body limit
    auth = {"Authorization": f"Bearer {site.token}"}
    created = call(
        nginx.https_port,
        "POST",
        "/api/v1/content/",
        host="127.0.0.2",
        tls=True,
        headers={**auth, "Content-Type": "application/octet-stream", "Slug": "big.bin"},
        body=payload,
    )
    assert created.status == 201, created.body[:500]
    node = created.json()
    assert node["@id"].startswith(f"https://127.0.0.2:{nginx.https_port}/")
    path = node["@id"].split(str(nginx.https_port), 1)[1] + "/@download"

    whole = call(nginx.https_port, path=path, host="127.0.0.2", tls=True, headers=auth)
    part = call(
        nginx.https_port,
        path=path,
        host="127.0.0.2",
        tls=True,
        headers={**auth, "Range": "bytes=1000-1999"},
    )

    assert whole.status == 200
    assert whole.body == payload
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(payload)}"
    assert part.body == payload[1000:2000]


def test_metrics_are_not_served_through_nginx(nginx):
    answer = call(
        nginx.http_port,
        path="/metrics",
        host="127.0.0.2",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
    )

    assert answer.status == 404


def scrape(port, **labels):
    answer = call(port, path="/metrics", source="127.0.0.1")
    assert answer.status == 200
    text = answer.body.decode()
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("charter_http_requests_total{")
        and all(f'{key}="{value}"' in line for key, value in labels.items())
    ]
    assert wanted
    return sum(values)


def test_metrics_add_up_every_worker(site, tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    # Left over from an earlier run: gunicorn.conf.py empties the folder at start.
    (folder / "counter_12345.db").write_bytes(b"\0" * 16)
    server = start_gunicorn(site, "metrics", workers=2, PROMETHEUS_MULTIPROC_DIR=str(folder))
    try:
        assert not (folder / "counter_12345.db").exists()
        sent = 0
        pids = set()
        with ThreadPoolExecutor(8) as pool:
            # Both workers accept from one socket: keep sending until each has served some.
            for _ in range(30):
                statuses = list(
                    pool.map(lambda _: call(server.port, path="/healthz").status, range(24))
                )
                assert statuses == [200] * 24
                sent += 24
                pids = {
                    line["pid"]
                    for line in server.log_lines()
                    if line.get("logger") == "charter.access" and line["path"] == "/healthz"
                }
                if len(pids) == 2:
                    break
        # Every scrape, whichever worker answers it, counts the requests of both.
        counts = {
            scrape(server.port, route="healthz", status="200", method="GET") for _ in range(6)
        }
    finally:
        stop(server.process)

    assert len(pids) == 2, "both workers served requests"
    assert counts == {float(sent)}


def test_a_session_made_by_one_process_works_in_another(site, gunicorn):
    other = start_waitress(site, "waitress")
    try:
        login_page = call(gunicorn.port, path="/login")
        cookies = "; ".join(
            header.split(";", 1)[0] for header in login_page.headers.get_all("Set-Cookie") or []
        )
        csrf = re.search(rb'name="csrf_token" value="([^"]+)"', login_page.body)
        form = "login=admin&password=" + site.env["CHARTER_ADMIN_PASSWORD"]
        if csrf:
            form += "&csrf_token=" + csrf.group(1).decode()
        logged_in = call(
            gunicorn.port,
            "POST",
            "/login",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **({"Cookie": cookies} if cookies else {}),
            },
            body=form.encode(),
        )
        assert logged_in.status in (302, 303), logged_in.body[:2000]
        session_cookie = "; ".join(
            header.split(";", 1)[0] for header in logged_in.headers.get_all("Set-Cookie")
        )

        on_other = call(other.port, path="/api/v1/me", headers={"Cookie": session_cookie})
        anonymous = call(other.port, path="/api/v1/me")
    finally:
        stop(other.process)

    assert on_other.status == 200, on_other.body[:500]
    assert on_other.json()["login"] == "admin"
    assert anonymous.status == 401


@pytest.fixture(scope="module")
def accel(site):
    """gunicorn with charter.blobs.accel_redirect, and nginx in front of it."""
    ini = site.folder / "accel.ini"
    ini.write_text(
        site.ini.read_text().replace(
            "[app:main]\n", "[app:main]\ncharter.blobs.accel_redirect = /_charter_blobs/\n", 1
        )
    )
    server = start_gunicorn(site, "accel", workers=1, ini=ini)
    try:
        proxy = start_nginx(site.folder / "accel-nginx", server.port, blobs=site.folder / "blobs")
    except BaseException:
        stop(server.process)
        raise
    yield server, proxy
    stop(proxy.process)
    stop(server.process)


def test_downloads_are_sent_by_nginx_after_charter_checked_the_permission(site, accel):
    server, proxy = accel
    payload = b"Charter sends this file through nginx.\n" * 27000  # about 1 MiB
    auth = {"Authorization": f"Bearer {site.token}"}
    created = call(
        proxy.http_port,
        "POST",
        "/api/v1/content/",
        host="127.0.0.2",
        headers={**auth, "Content-Type": "application/octet-stream", "Slug": "accel.bin"},
        body=payload,
    )
    assert created.status == 201, created.body[:500]
    path = "/api/v1/content/" + created.json()["name"] + "/@download"

    # Charter itself answers with the header and no bytes...
    direct = call(server.port, path=path, source="127.0.0.1", headers=auth)
    assert direct.status == 200
    sha256 = direct.headers["X-Accel-Redirect"].rsplit("/", 1)[1]
    assert direct.headers["X-Accel-Redirect"] == (
        f"/_charter_blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    )
    assert direct.body == b""
    # ...nginx sends them, whole or a range, with Charter's headers.
    whole = call(proxy.http_port, path=path, host="127.0.0.2", headers=auth)
    part = call(
        proxy.http_port, path=path, host="127.0.0.2", headers={**auth, "Range": "bytes=10-19"}
    )
    refused = call(proxy.http_port, path=path, host="127.0.0.2")

    assert whole.status == 200
    assert whole.body == payload
    assert "X-Accel-Redirect" not in whole.headers
    assert whole.headers["Content-Disposition"].startswith("attachment")
    assert part.status == 206
    assert part.body == payload[10:20]
    assert refused.status == 401
    assert refused.body != payload
    # The internal location cannot be asked for directly.
    assert (
        call(proxy.http_port, path=direct.headers["X-Accel-Redirect"], host="127.0.0.2").status
        == 404
    )
