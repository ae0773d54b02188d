"""Operations: request ids and trusted proxies, structured logs, the access log, metrics.

``request.request_id`` names the request in every log line and audit entry.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.tweens import INGRESS

from charter.ops.logging import configure_structlog
from charter.ops.requestid import ProxyTrust, request_id


def includeme(config: Configurator) -> None:
    """``request.request_id``, the outermost tween (ids, access log, metrics), ``/metrics``."""
    settings = config.get_settings()
    config.registry["charter.ops.proxy_trust"] = ProxyTrust(settings["charter.proxy.trusted"])
    config.add_request_method(request_id, "request_id", reify=True)
    config.add_tween("charter.ops.tween.ops_tween_factory", under=INGRESS)
    configure_structlog()
    if settings["charter.metrics.enabled"]:
        config.include("charter.ops.metrics")
