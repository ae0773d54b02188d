"""charter.blobs.accel_redirect: downloads answered with X-Accel-Redirect for nginx to send
(tests/deploy/test_nginx.py runs nginx itself)."""

import pytest

from charter.accounts.services import TokenService


@pytest.fixture
def token(admin_user, dbsession, site_root):
    _, text = TokenService(dbsession).create(admin_user, "accel", scope="read-write")
    dbsession.flush()
    return {"Authorization": f"Bearer {text}"}


def upload(app, token, data):
    created = app.post(
        "/api/v1/content/",
        params=data,
        headers={"Content-Type": "application/octet-stream", "Slug": "a.bin", **token},
    )
    return "/api/v1/content/" + created.json["name"] + "/@download"


def test_a_download_names_the_blob_for_the_proxy(client_of, build_app, token):
    app = client_of(build_app(**{"charter.blobs.accel_redirect": "/_charter_blobs/"}))
    path = upload(app, token, b"accelerated bytes")

    response = app.get(path, headers=token)

    sha256 = response.headers["X-Accel-Redirect"].rsplit("/", 1)[1]
    assert response.headers["X-Accel-Redirect"] == (
        f"/_charter_blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    )
    assert response.body == b""
    assert response.headers["Content-Length"] == "0"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["ETag"] == f'"{sha256}"'


def test_without_permission_there_is_no_redirect(client_of, build_app, token):
    app = client_of(build_app(**{"charter.blobs.accel_redirect": "/_charter_blobs/"}))
    path = upload(app, token, b"private bytes")

    response = app.get(path, status=401)

    assert "X-Accel-Redirect" not in response.headers


def test_off_by_default(client_of, build_app, token):
    app = client_of(build_app())
    path = upload(app, token, b"plain bytes")

    response = app.get(path, headers=token)

    assert "X-Accel-Redirect" not in response.headers
    assert response.body == b"plain bytes"


@pytest.mark.parametrize("value", ["_charter_blobs/", "/_charter_blobs", "/a b/"])
def test_the_prefix_must_be_a_path_between_slashes(value):
    from charter.settings import SettingsError, parse_settings

    with pytest.raises(SettingsError, match=r"charter\.blobs\.accel_redirect"):
        parse_settings(
            {
                "sqlalchemy.url": "sqlite://",
                "charter.session.secret": "x" * 32,
                "charter.blobs.accel_redirect": value,
            },
            environ={},
        )
