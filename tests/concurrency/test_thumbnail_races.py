"""Many clients ask for the same image's thumbnail before it exists, on a live server.

Every one gets it (200, the same bytes); it is scaled once, by whichever
request takes the lock first, and stored once: the others wait for that file
instead of decoding the image again, and no temporary file is left behind.
"""

import hashlib
import io
import random
import threading

import pytest
from PIL import Image

from charter.blobs import thumbnails as thumbnail_module
from charter.testing.live import LiveRequest

CLIENTS = 16


@pytest.fixture
def editor(live, live_folder):
    """An Editor of the test's folder, with a read-write token."""
    return live.make_user(roles={live_folder.path: ["Editor"]})


@pytest.fixture
def counted_scaling(monkeypatch):
    """How many times an image was scaled while the test ran."""
    calls = []
    lock = threading.Lock()
    scale = thumbnail_module.scale

    def counting(*args, **kwargs):
        with lock:
            calls.append(args[1])
        return scale(*args, **kwargs)

    monkeypatch.setattr(thumbnail_module, "scale", counting)
    return calls


def noise_jpeg() -> bytes:
    """A 1,600 x 1,200 JPEG of random pixels: no other test has these bytes, and decoding
    it takes long enough for the requests to meet."""
    pixels = random.Random().randbytes(1600 * 1200 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (1600, 1200), pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_concurrent_requests_for_a_new_thumbnail_scale_it_once(
    live, live_folder, editor, counted_scaling
):
    image = noise_jpeg()
    uploaded = live.send(
        LiveRequest(
            "POST",
            live_folder.api_path,
            (
                ("Authorization", f"Bearer {editor.token}"),
                ("Content-Type", "application/octet-stream"),
                ("Slug", "photo.jpg"),
            ),
            image,
        )
    )
    assert uploaded.status == 201, uploaded
    path = f"{live_folder.path}/photo.jpg/@@thumbnail"

    responses = live.race([live.prepare("GET", path, user=editor) for _ in range(CLIENTS)])

    live.assert_statuses(responses, {200})
    bodies = {response.body for response in responses}
    assert len(bodies) == 1, live.explain("different thumbnails", responses)
    assert {response.headers["content-type"] for response in responses} == {"image/jpeg"}
    assert Image.open(io.BytesIO(bodies.pop())).size == (128, 96)
    assert counted_scaling == ["image/jpeg"]
    store = live.registry["charter.blobs.thumbnails"]
    assert store.path(hashlib.sha256(image).hexdigest()).read_bytes() == responses[0].body
    assert list(store.temporary.glob("thumbnail-*")) == []
    assert live.server_errors == []
