"""Charter on AWS Lambda behind API Gateway or an ALB, through apig-wsgi.

Handler: ``charter.ops.serverless.handler``. The ini file is named by
``CHARTER_CONFIG`` (default ``production.ini`` in the working directory); the
app is built on the first invocation of a cold start and kept for the next
ones. Needs ``pip install 'charter[serverless]'``. See docs/deployment.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

CONFIG_VARIABLE = "CHARTER_CONFIG"
DEFAULT_CONFIG = "production.ini"

_handler: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None


def make_handler(config_uri: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda handler serving the app ``config_uri`` describes (its logging applied)."""
    from apig_wsgi import make_lambda_handler
    from pyramid.paster import get_app, setup_logging

    setup_logging(config_uri)
    app = get_app(config_uri)
    # Downloads are bytes: API Gateway gets them base64-encoded.
    lambda_handler = make_lambda_handler(app, binary_support=True)
    lambda_handler.wsgi_app = app  # type: ignore[attr-defined]
    return lambda_handler


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: one API Gateway (v1 or v2) or ALB event, one response."""
    global _handler
    if _handler is None:
        _handler = make_handler(os.environ.get(CONFIG_VARIABLE, DEFAULT_CONFIG))
    return _handler(event, context)
