"""Webhook endpoints, the outbox written with each change, and Standard Webhooks signing.

An endpoint subscribes to event types (``content.created``...) and optionally
to one subtree. Every entry the change feed writes becomes one outbox row per
matching active endpoint, in the same transaction: a rolled-back request sends
nothing. ``charter-worker`` (charter.changes.delivery) sends them after commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from charter.changes.feed import HIDDEN, KINDS
from charter.changes.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from charter.db.meta import utcnow
from charter.errors import NotFound, ValidationFailed
from charter.i18n import _, english
from charter.tree.paths import ROOT_PATH, descendants_range

EVENT_TYPES = tuple(f"content.{kind}" for kind in KINDS if kind != HIDDEN)
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
# After a rotation, deliveries carry the old secret's signature too for this long.
ROTATION_OVERLAP = dt.timedelta(hours=24)
MAX_URL_LENGTH = 2000
MAX_ENDPOINTS = 1000


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signature_header(
    secrets_: Iterable[str], msg_id: str, timestamp: dt.datetime, payload: str
) -> str:
    """The ``webhook-signature`` value: one ``v1,<base64>`` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(msg_id, timestamp, payload) for secret in secrets_)


class UnusableURL(ValueError):
    """A URL no webhook may be sent to; ``message`` says why (translatable, for the admin's
    page; ``str()`` reads it in English, for the API and the delivery log)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(english(message))


class PrivateAddress(UnusableURL):
    """The URL points at a loopback, link-local, private or otherwise non-public address."""


def check_url(url: str, allow_private: bool, resolve: bool = True) -> list[str]:
    """Refuse a URL that is not http(s) to a host, or (unless ``allow_private``) resolves to
    an address that is not public (SSRF). Returns the addresses it resolved to."""
    if len(url) > MAX_URL_LENGTH:
        raise UnusableURL(_("at most ${count} characters", mapping={"count": MAX_URL_LENGTH}))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnusableURL(_("not a valid URL")) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnusableURL(_("must be an http or https URL with a host"))
    if parts.username is not None or parts.password is not None:
        raise UnusableURL(_("must not hold a user name or password"))
    if parts.fragment:
        raise UnusableURL(_("must not have a fragment"))
    if any(ord(c) < 33 or ord(c) > 126 for c in url):
        raise UnusableURL(_("must be ASCII without spaces (percent-encode the rest)"))
    if not resolve:
        return []
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnusableURL(_("the host ${host} cannot be resolved", mapping={"host": host})) from exc
    addresses = sorted({info[4][0] for info in infos})
    if not allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast:
                raise PrivateAddress(
                    _(
                        "${host} resolves to ${address}, a loopback, link-local or private "
                        "address; set charter.webhooks.allow_private to allow it",
                        mapping={"host": host, "address": address},
                    )
                )
    return addresses


@dataclass(frozen=True)
class EndpointChanges:
    """Validated fields of an endpoint to create or change (None: leave as it is)."""

    url: str | None = None
    description: str | None = None
    event_types: list[str] | None = None
    subtree: str | None = None
    clear_subtree: bool = False
    active: bool | None = None


class WebhookService:
    """Register, change, list and remove endpoints; read their delivery logs; redeliver."""

    def __init__(self, dbsession: Session, allow_private: bool) -> None:
        self.dbsession = dbsession
        self.allow_private = allow_private

    def _validate(self, changes: EndpointChanges) -> None:
        problems = []
        if changes.url is not None:
            try:
                check_url(changes.url, self.allow_private)
            except UnusableURL as exc:
                problems.append(("url", exc.message))
        for index, name in enumerate(changes.event_types or []):
            if name not in EVENT_TYPES:
                problems.append(
                    (
                        f"event_types/{index}",
                        _("not one of ${types}", mapping={"types": ", ".join(EVENT_TYPES)}),
                    )
                )
        if changes.subtree is not None and (
            not changes.subtree.startswith("/")
            or (changes.subtree != "/" and changes.subtree.endswith("/"))
        ):
            problems.append(("subtree", _("a path such as /projects/alpha")))
        if problems:
            raise ValidationFailed(problems)

    def create(self, changes: EndpointChanges, owner_id: int | None) -> WebhookEndpoint:
        """A new active endpoint with a fresh secret (shown once, by the caller)."""
        if changes.url is None:
            raise ValidationFailed([("url", _("required"))])
        self._validate(changes)
        count = self.dbsession.scalar(select(func.count()).select_from(WebhookEndpoint))
        if count >= MAX_ENDPOINTS:
            raise ValidationFailed(
                [("", _("at most ${count} endpoints", mapping={"count": MAX_ENDPOINTS}))]
            )
        endpoint = WebhookEndpoint(
            url=changes.url,
            description=changes.description or "",
            event_types=sorted(set(changes.event_types or [])),
            subtree=None if changes.subtree in (None, ROOT_PATH) else changes.subtree,
            secret=new_secret(),
            active=True if changes.active is None else changes.active,
            owner_id=owner_id,
        )
        self.dbsession.add(endpoint)
        self.dbsession.flush()  # its id, for its URL in the answer
        return endpoint

    def get(self, endpoint_id: int, *, for_update: bool = False) -> WebhookEndpoint:
        """One endpoint, or NotFound; ``for_update`` locks its row until the transaction
        ends, so that concurrent changes apply one after the other and none is lost."""
        endpoint = self.dbsession.get(
            WebhookEndpoint, endpoint_id, with_for_update=for_update, populate_existing=for_update
        )
        if endpoint is None:
            raise NotFound(_("no webhook endpoint ${id}", mapping={"id": endpoint_id}))
        return endpoint

    def all(self) -> list[WebhookEndpoint]:
        """Every endpoint, oldest first."""
        return list(self.dbsession.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))

    def update(self, endpoint_id: int, changes: EndpointChanges) -> WebhookEndpoint:
        """Change an endpoint; turning it active again clears why it was disabled."""
        self._validate(changes)
        endpoint = self.get(endpoint_id, for_update=True)
        if changes.url is not None:
            endpoint.url = changes.url
        if changes.description is not None:
            endpoint.description = changes.description
        if changes.event_types is not None:
            endpoint.event_types = sorted(set(changes.event_types))
        if changes.clear_subtree:
            endpoint.subtree = None
        elif changes.subtree is not None:
            endpoint.subtree = None if changes.subtree == ROOT_PATH else changes.subtree
        if changes.active is not None:
            endpoint.active = changes.active
            if changes.active:
                endpoint.disabled_reason = None
                endpoint.failing_since = None
        endpoint.version += 1
        return endpoint

    def rotate_secret(self, endpoint_id: int) -> WebhookEndpoint:
        """A new secret; the old one still signs deliveries for ROTATION_OVERLAP."""
        endpoint = self.get(endpoint_id, for_update=True)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = utcnow() + ROTATION_OVERLAP
        endpoint.secret = new_secret()
        endpoint.version += 1
        return endpoint

    def delete(self, endpoint_id: int) -> None:
        """Remove an endpoint with its outbox and log."""
        self.dbsession.delete(self.get(endpoint_id, for_update=True))

    def messages(
        self, endpoint_id: int, before: int | None, limit: int
    ) -> tuple[list[WebhookMessage], dict[int, list[WebhookAttempt]]]:
        """The endpoint's messages, newest first (keyset on id), with their attempts."""
        self.get(endpoint_id)
        query = (
            select(WebhookMessage)
            .where(WebhookMessage.endpoint_id == endpoint_id)
            .order_by(WebhookMessage.id.desc())
            .limit(limit + 1)
        )
        if before is not None:
            query = query.where(WebhookMessage.id < before)
        messages = list(self.dbsession.scalars(query))
        attempts: dict[int, list[WebhookAttempt]] = {m.id: [] for m in messages}
        if messages:
            for attempt in self.dbsession.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.message_id.in_(list(attempts)))
                .order_by(WebhookAttempt.id)
            ):
                attempts[attempt.message_id].append(attempt)
        return messages, attempts

    def redeliver(self, endpoint_id: int, message_id: int) -> WebhookMessage:
        """Send a message again now (same ``webhook-id``), whatever became of it."""
        message = self.dbsession.get(WebhookMessage, message_id)
        if message is None or message.endpoint_id != endpoint_id:
            raise NotFound(
                _(
                    "no message ${message} for webhook endpoint ${endpoint}",
                    mapping={"message": message_id, "endpoint": endpoint_id},
                )
            )
        message.state = "pending"
        message.next_attempt_at = utcnow()
        return message


def _matches(endpoint: Any, event_type: str, entry: dict[str, Any]) -> bool:
    if endpoint.event_types and event_type not in endpoint.event_types:
        return False
    if endpoint.subtree is None:
        return True
    low, high = descendants_range(endpoint.subtree)
    return any(
        path is not None and (path == endpoint.subtree or low < path < high)
        for path in (entry["path"], entry["old_path"])
    )


def payload(entry: dict[str, Any], event_type: str) -> str:
    """The JSON body of a delivery: Standard Webhooks' ``type``, ``timestamp`` and ``data``."""
    return json.dumps(
        {
            "type": event_type,
            "timestamp": entry["at"].isoformat(),
            "data": {
                "seq": str(entry["seq"]),
                "kind": entry["kind"],
                "tombstone": entry["tombstone"],
                "uid": entry["node_uid"],
                "@type": entry["node_type"],
                "path": entry["path"],
                "old_path": entry["old_path"],
                "title": entry["title"],
                "version": entry["version"],
                "actor": entry["actor_login"],
                "details": entry["details"],
            },
        },
        separators=(",", ":"),
        sort_keys=True,
    )


# Read at every commit that writes to the feed: built once, a Core statement on the table.
_endpoints = WebhookEndpoint.__table__.c
_ACTIVE_ENDPOINTS = select(_endpoints.id, _endpoints.event_types, _endpoints.subtree).where(
    _endpoints.active.is_(True)
)


def write_outbox(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """One outbox row per entry and active endpoint that wants it (feed listener)."""
    # The feed has flushed the session: a Core statement on its connection.
    endpoints = session.connection().execute(_ACTIVE_ENDPOINTS).all()
    if not endpoints:
        return
    now = utcnow()
    rows = []
    for entry in entries:
        if entry["kind"] == HIDDEN:
            continue
        event_type = f"content.{entry['kind']}"
        for endpoint in endpoints:
            if _matches(endpoint, event_type, entry):
                rows.append(
                    {
                        "msg_id": f"msg_{uuid.uuid4().hex}",
                        "endpoint_id": endpoint.id,
                        "event_type": event_type,
                        "payload": payload(entry, event_type),
                        "created": now,
                        "state": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                )
    if rows:
        session.execute(insert(WebhookMessage), rows)
