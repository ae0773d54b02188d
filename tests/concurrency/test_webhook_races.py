"""Administrators changing one webhook endpoint at once, on a live server.

Every change is applied in turn (the endpoint's row is locked), so none is
lost: its version counts them all. A change racing the endpoint's removal
either lands before it or is told the endpoint is gone. Never a 5xx.
"""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.changes.models import WebhookEndpoint
from charter.changes.webhooks import new_secret

CLIENTS = 20
PATH = "/api/v1/webhooks/{}"


@pytest.fixture
def admin(live):
    """A site Administrator with a read-write token."""
    return live.make_user(global_roles=["Administrator"])


@pytest.fixture
def endpoint_id(live):
    """A committed endpoint (added directly: the API would look its host name up)."""
    with Session(live.engine) as session, session.begin():
        endpoint = WebhookEndpoint(url="https://example.com/hook", secret=new_secret())
        session.add(endpoint)
        session.flush()
        return endpoint.id


def committed(live, endpoint_id):
    """The endpoint's committed row, or None."""
    with Session(live.engine) as session:
        return session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


def test_concurrent_changes_of_one_endpoint_are_all_counted(live, admin, endpoint_id):
    responses = live.race(
        [
            live.prepare(
                "PATCH",
                PATH.format(endpoint_id),
                user=admin,
                json_body={"description": f"change {n}"},
            )
            for n in range(CLIENTS)
        ]
        + [
            live.prepare("POST", PATH.format(endpoint_id) + "/@rotate-secret", user=admin)
            for _ in range(4)
        ]
    )

    live.assert_statuses(responses, {200})
    endpoint = committed(live, endpoint_id)
    assert endpoint.version == 1 + CLIENTS + 4
    assert endpoint.description in {f"change {n}" for n in range(CLIENTS)}
    # The last rotation's secret signs, and the one before it still does for a while.
    secrets = {r.json["secret"] for r in responses if r.request.path.endswith("@rotate-secret")}
    assert endpoint.secret in secrets
    assert endpoint.previous_secret is not None


def test_a_change_racing_the_removal_lands_first_or_finds_it_gone(live, admin, endpoint_id):
    responses = live.race(
        [
            live.prepare("PATCH", PATH.format(endpoint_id), user=admin, json_body={"active": False})
            for _ in range(CLIENTS // 2)
        ]
        + [live.prepare("DELETE", PATH.format(endpoint_id), user=admin) for _ in range(2)]
    )

    counts = live.assert_statuses(responses, {200, 204, 404})
    assert counts.get(204) == 1, live.explain(f"statuses {counts}", responses)
    assert committed(live, endpoint_id) is None
    assert live.request("GET", PATH.format(endpoint_id), user=admin).status == 404
