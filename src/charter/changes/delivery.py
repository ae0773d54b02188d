"""Sending the webhook outbox: what ``charter-worker`` does.

Several workers may run: each claims a batch of due messages in a short
transaction (``FOR UPDATE SKIP LOCKED`` on MariaDB and PostgreSQL, so they
never wait for or take each other's rows; SQLite runs one worker), leases
them by moving their next attempt past the delivery timeout, commits, and
sends them. A 2xx marks a message delivered; a 410 disables the endpoint;
anything else (or no answer within the timeout) is retried on
``RETRY_SCHEDULE`` with jitter, about three days in all, and an endpoint that
has failed for ``charter.webhooks.disable_after_days`` is disabled.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from charter.changes.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from charter.changes.webhooks import check_url, signature_header
from charter.db.meta import utcnow

log = logging.getLogger(__name__)

# Seconds to wait after each failed attempt (Standard Webhooks / Svix-like); about 3 days.
RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000, 50400, 72000)
EXCERPT_CHARS = 1000
USER_AGENT = "Charter-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    """What an endpoint said (or the error instead), and how long it took."""

    status: int | None
    latency_ms: int
    excerpt: str = ""
    error: str | None = None


def post(
    url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> Answer:
    """POST ``body`` to ``url`` without following redirects; never raises."""
    started = time.monotonic()
    try:
        check_url(url, allow_private)
        parts = urlsplit(url)
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(parts.hostname, parts.port, timeout=timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read(4096).decode("utf-8", "replace")
            status = response.status
        finally:
            connection.close()
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return Answer(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])
    return Answer(status, _ms(started), text[:EXCERPT_CHARS])


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class Deliverer:
    """Claims due messages and sends them, on an engine of its own."""

    def __init__(self, engine: Engine, settings: dict[str, Any]) -> None:
        self.engine = engine
        self.timeout = settings["charter.webhooks.timeout"]
        self.allow_private = settings["charter.webhooks.allow_private"]
        self.disable_after = dt.timedelta(days=settings["charter.webhooks.disable_after_days"])
        self.skip_locked = engine.dialect.name in {"mysql", "mariadb", "postgresql"}

    def claim(self, batch: int) -> list[int]:
        """Lease up to ``batch`` due messages to this worker; their ids."""
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            ids = list(
                session.scalars(
                    select(WebhookMessage.id)
                    .where(WebhookMessage.state == "pending", WebhookMessage.next_attempt_at <= now)
                    .order_by(WebhookMessage.next_attempt_at, WebhookMessage.id)
                    .limit(batch)
                    .with_for_update(skip_locked=self.skip_locked)
                )
            )
            if ids:
                session.execute(
                    update(WebhookMessage)
                    .where(WebhookMessage.id.in_(ids))
                    .values(next_attempt_at=now + dt.timedelta(seconds=self.timeout + 60))
                )
        return ids

    def run_once(self, batch: int = 20) -> int:
        """Claim and send one batch; how many messages were sent."""
        ids = self.claim(batch)
        for message_id in ids:
            self.deliver(message_id)
        return len(ids)

    def deliver(self, message_id: int) -> Answer | None:
        """Send one leased message and record the outcome."""
        with Session(self.engine) as session:
            message = session.get(WebhookMessage, message_id)
            if message is None:
                return None
            endpoint = session.get(WebhookEndpoint, message.endpoint_id)
            if endpoint is None or not endpoint.active:
                message.state = "failed"
                session.commit()
                return None
            now = utcnow()
            signing = [endpoint.secret]
            if endpoint.previous_secret and (endpoint.previous_secret_until or now) > now:
                signing.append(endpoint.previous_secret)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "webhook-id": message.msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature_header(
                    signing, message.msg_id, now, message.payload
                ),
            }
            url = endpoint.url
            payload = message.payload.encode("utf-8")
            session.rollback()  # no transaction open while waiting for the endpoint

        answer = post(url, payload, headers, self.timeout, self.allow_private)
        self.record(message_id, now, answer)
        return answer

    def record(self, message_id: int, sent_at: dt.datetime, answer: Answer) -> None:
        """Log the attempt and decide what comes next for the message and its endpoint."""
        with Session(self.engine) as session, session.begin():
            message = session.get(WebhookMessage, message_id)
            if message is None:
                return
            endpoint = session.get(WebhookEndpoint, message.endpoint_id)
            session.add(
                WebhookAttempt(
                    message_id=message.id,
                    endpoint_id=message.endpoint_id,
                    at=sent_at,
                    status=answer.status,
                    latency_ms=answer.latency_ms,
                    response_excerpt=answer.excerpt,
                    error=answer.error,
                )
            )
            message.attempts += 1
            if message.first_attempt_at is None:
                message.first_attempt_at = sent_at
            now = utcnow()
            if answer.status is not None and 200 <= answer.status < 300:
                message.state = "delivered"
                if endpoint is not None:
                    endpoint.failing_since = None
                return
            if answer.status == 410 and endpoint is not None:
                message.state = "failed"
                endpoint.active = False
                endpoint.disabled_reason = (
                    f"the endpoint answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC"
                )
                return
            if message.attempts > len(RETRY_SCHEDULE):
                message.state = "failed"
            else:
                delay = RETRY_SCHEDULE[message.attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311
                message.next_attempt_at = now + dt.timedelta(seconds=delay)
            if endpoint is not None:
                endpoint.failing_since = endpoint.failing_since or sent_at
                if now - endpoint.failing_since >= self.disable_after:
                    endpoint.active = False
                    endpoint.disabled_reason = (
                        f"deliveries failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC"
                    )
