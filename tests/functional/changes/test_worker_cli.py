"""``charter-worker CONFIG --once``, in-process on an ini file and a database of its own."""

import pytest
from standardwebhooks.webhooks import Webhook

from charter.changes.webhooks import EndpointChanges
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.scripts import init, worker
from charter.scripts.environment import app_environment
from tests.functional.changes.test_webhooks import Receiver


def editing(request):
    """The editing service as the CLI has it (allowed everything), firing the events."""
    return ContentService(
        request.dbsession, types=types_of(request.registry), notify=request.registry.notify
    )


def failing_request(request):
    """Create a folder, then fail: the transaction is rolled back."""
    with request.tm:
        root = request.tree.resolve([]).context
        editing(request).create(root, "Folder", {"title": "Rolled back"}, "gone")
        raise RuntimeError("the request fails")


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def ini(write_ini, capsys, monkeypatch):
    monkeypatch.setenv(init.ADMIN_PASSWORD_VARIABLE, "a-password-for-the-worker-tests")
    path = write_ini("charter.webhooks.allow_private = true")
    assert init.main([path]) == 0
    capsys.readouterr()
    return path


def test_the_worker_delivers_what_a_committed_request_wrote_to_the_outbox(ini, receiver, capsys):
    with app_environment(ini) as env:
        request = env["request"]
        with request.tm:
            secret = request.webhooks.create(EndpointChanges(url=receiver.url), None).secret
        with request.tm:
            root = request.tree.resolve([]).context
            editing(request).create(root, "Folder", {"title": "Minutes"}, "minutes")
    with app_environment(ini) as env:
        request = env["request"]
        with pytest.raises(RuntimeError):
            failing_request(request)

    assert worker.main([ini, "--once"]) == 0

    assert "Delivered or attempted 1 webhook message(s)." in capsys.readouterr().out
    ((headers, body),) = receiver.received
    payload = Webhook(secret).verify(body, headers)
    assert (payload["type"], payload["data"]["path"]) == ("content.created", "/minutes")
    # Nothing is due any more.
    assert worker.main([ini, "--once"]) == 0
    assert "Delivered or attempted 0 webhook message(s)." in capsys.readouterr().out
