"""Real servers for the deployment tests: a Charter site, gunicorn, waitress and nginx.

Each runs as its own process on loopback ports, on a database of its own
(SQLite by default, the ``CHARTER_TEST_DB`` server otherwise), as an
administrator would run them from the files in the repository.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.accounts.services import TokenService
from charter.db.engine import make_engine
from charter.settings import parse_settings
from charter.testing.databases import drop_database, recreate_database, worker_database_url

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ADMIN_PASSWORD = "deploy-test-admin-password"
SECRET = "deploy-test-session-secret-0123456789abcdef"
METRICS_TOKEN = "deploy-test-metrics-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Site:
    """An initialised Charter site: its ini file, database, blobs and an admin token."""

    folder: Path
    ini: Path
    url: str
    token: str
    env: dict[str, str] = field(default_factory=dict)


def write_ini(path: Path, url: str, blobs: Path, extra: str = "") -> None:
    path.write_text(
        textwrap.dedent(
            """\
            [app:main]
            use = egg:charter
            sqlalchemy.url = {url}
            charter.session.secret = {secret}
            charter.session.secure = false
            charter.blobs.path = {blobs}
            charter.proxy.trusted = 127.0.0.1
            charter.metrics.enabled = true
            charter.metrics.allow = 127.0.0.1
            charter.metrics.token = {token}
            {extra}

            [server:main]
            use = egg:waitress#main
            listen = 127.0.0.1:6543

            [loggers]
            keys = root, charter, access

            [handlers]
            keys = console

            [formatters]
            keys = json

            [logger_root]
            level = WARN
            handlers = console

            [logger_charter]
            level = INFO
            handlers =
            qualname = charter

            [logger_access]
            level = INFO
            handlers =
            qualname = charter.access

            [handler_console]
            class = StreamHandler
            args = (sys.stderr,)
            level = NOTSET
            formatter = json

            [formatter_json]
            class = charter.ops.logging.JSONFormatter
            """
        ).format(url=url, secret=SECRET, blobs=blobs, token=METRICS_TOKEN, extra=extra)
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site made by charter-init, with an administrator's read-write API token."""
    folder = tmp_path_factory.mktemp("site")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = worker_database_url(os.environ.get("CHARTER_TEST_DB"), worker, folder)
    if base.get_backend_name() == "sqlite":
        url = base.set(database=str(folder / "site.sqlite"))
    else:
        url = base.set(database=f"{base.database}_deploy")
    recreate_database(url)
    text_url = url.render_as_string(hide_password=False)
    ini = folder / "site.ini"
    write_ini(ini, text_url, folder / "blobs")
    env = {**os.environ, "CHARTER_ADMIN_PASSWORD": ADMIN_PASSWORD}
    env.pop("CHARTER_DATABASE_URL", None)
    init = subprocess.run(
        [str(BIN / "charter-init"), str(ini)], env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr[-3000:]
    engine = make_engine(
        parse_settings({"sqlalchemy.url": text_url, "charter.session.secret": SECRET}, environ={})
    )
    with Session(engine) as session, session.begin():
        admin = session.scalars(select(User).where(User.login == "admin")).one()
        _, token = TokenService(session).create(admin, "deploy tests", scope="read-write")
    engine.dispose()
    yield Site(folder, ini, text_url, token, env)
    drop_database(url)


@dataclass
class Server:
    """A running process serving HTTP on ``port``; its standard error in ``log``."""

    process: subprocess.Popen
    port: int
    log: Path

    def log_lines(self) -> list[dict]:
        """The JSON lines the process wrote so far (others skipped)."""
        lines = []
        for line in self.log.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        return lines


def start_gunicorn(
    site: Site, name: str, workers: int = 2, ini: Path | None = None, **env: str
) -> Server:
    """``gunicorn --paste site.ini -c gunicorn.conf.py`` with ``workers`` gthread workers."""
    port = free_port()
    log = site.folder / f"{name}.log"
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--paste",
            str(ini or site.ini),
            "-c",
            str(REPO / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        # A metrics folder of its own: gunicorn.conf.py empties it at start.
        env={**site.env, "PROMETHEUS_MULTIPROC_DIR": str(site.folder / f"{name}-metrics"), **env},
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        cwd=site.folder,
    )
    wait_for_port(port, process, log)
    return Server(process, port, log)


def start_waitress(site: Site, name: str) -> Server:
    """``pserve site.ini`` (waitress, as in development.ini) on a port of its own."""
    port = free_port()
    log = site.folder / f"{name}.log"
    ini = site.folder / f"{name}.ini"
    ini.write_text(site.ini.read_text().replace("127.0.0.1:6543", f"127.0.0.1:{port}"))
    process = subprocess.Popen(
        [str(BIN / "pserve"), str(ini)],
        env=site.env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        cwd=site.folder,
    )
    wait_for_port(port, process, log)
    return Server(process, port, log)


@dataclass
class Nginx:
    """nginx in front of an upstream, on an HTTP and an HTTPS port; its access log in ``log``."""

    process: subprocess.Popen
    http_port: int
    https_port: int
    log: Path


def start_nginx(folder: Path, upstream_port: int, blobs: Path | None = None) -> Nginx:
    """Debian's nginx with the repository's deploy/nginx/charter-proxy.conf, TLS on a
    self-signed certificate."""
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed (make test installs it)")
    root = folder / "nginx"
    (root / "logs").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(root / "key.pem"),
            "-out",
            str(root / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    http_port, https_port = free_port(), free_port()
    conf = root / "nginx.conf"
    blobs = blobs or folder / "blobs"
    # As root, nginx's workers would run as nobody, who cannot write to the test's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        textwrap.dedent(
            f"""\
            {user}worker_processes 1;
            daemon off;
            pid {root}/nginx.pid;
            error_log {root}/logs/error.log warn;
            events {{ worker_connections 256; }}
            http {{
                client_body_temp_path {root}/body;
                proxy_temp_path {root}/proxy;
                fastcgi_temp_path {root}/fastcgi;
                uwsgi_temp_path {root}/uwsgi;
                scgi_temp_path {root}/scgi;
                log_format charter '$remote_addr "$request" $status rid=$request_id';
                access_log {root}/logs/access.log charter;
                upstream charter_app {{
                    server 127.0.0.1:{upstream_port};
                    keepalive 4;
                }}
                server {{
                    listen 127.0.0.2:{http_port};
                    listen 127.0.0.2:{https_port} ssl;
                    ssl_certificate {root}/cert.pem;
                    ssl_certificate_key {root}/key.pem;
                    # Connect to Charter from the address it trusts.
                    proxy_bind 127.0.0.1;
                    set $charter_blobs {blobs};
                    include {REPO}/deploy/nginx/charter-proxy.conf;
                }}
            }}
            """
        )
    )
    log = root / "logs" / "stderr.log"
    process = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        for port in (http_port, https_port):
            deadline = time.monotonic() + 20
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"nginx exited: {log.read_text()}")
                try:
                    with socket.create_connection(("127.0.0.2", port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
    except BaseException:
        stop(process)
        raise
    return Nginx(process, http_port, https_port, root / "logs" / "access.log")


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


def call(
    port: int,
    method: str = "GET",
    path: str = "/",
    *,
    host: str = "127.0.0.1",
    tls: bool = False,
    source: str = "127.0.0.3",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One HTTP(S) request from the loopback address ``source`` (a client, not the proxy)."""
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=30, source_address=(source, 0), context=context
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()
