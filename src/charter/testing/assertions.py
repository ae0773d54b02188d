"""Assertions that Charter's and add-ons' tests share."""

from __future__ import annotations

from typing import Any

import webtest


def assert_problem(
    response: webtest.TestResponse, status: int, pointer: str | None = None
) -> dict[str, Any]:
    """``response`` is application/problem+json with ``status`` (and an error at ``pointer``)."""
    assert response.status_int == status
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert key in body, f"problem without {key!r}: {body}"
    if pointer is not None:
        assert pointer in [error["pointer"] for error in body.get("errors", [])], body
    return body
