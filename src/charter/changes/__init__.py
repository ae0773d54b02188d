"""The change feed, the webhook outbox and idempotent API writes (see docs/changes.md and
docs/webhooks.md)."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.tweens import EXCVIEW


def webhook_service(request: Request):
    """Webhook endpoints in this request's transaction."""
    from charter.changes.webhooks import WebhookService

    return WebhookService(
        request.dbsession, request.registry.settings["charter.webhooks.allow_private"]
    )


def includeme(config: Configurator) -> None:
    """Record the feed at commit, fill the outbox, claim idempotency keys, ``request.webhooks``."""
    from charter.changes import feed, webhooks

    feed.install()
    feed.on_written(webhooks.write_outbox)
    config.include("charter.changes.subscribers")
    config.add_request_method(webhook_service, "webhooks", reify=True)
    config.add_tween(
        "charter.changes.idempotency.idempotency_tween_factory",
        under="pyramid_tm.tm_tween_factory",
        over=EXCVIEW,
    )
