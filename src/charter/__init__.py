"""Charter: an enterprise content and document platform on Pyramid.

``main`` is the PasteDeploy app factory; it only composes the domain
packages, each of which registers itself through its ``includeme``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.router import Router

from charter.addons import addon_settings, include_addons
from charter.settings import parse_settings

# Order matters: the database first (the others register request methods
# that use it), then the domains, then the interfaces that call them.
DOMAINS = (
    # First: request ids, trusted proxies, logs and metrics wrap everything else.
    "charter.ops",
    "charter.db",
    "charter.input",
    "charter.blobs",
    "charter.audit",
    "charter.accounts",
    "charter.security",
    # After security: the sessions use its Redis client; its policy, their identities.
    "charter.sessions",
    "charter.tree",
    "charter.content",
    # After content: its types name the workflows they follow.
    "charter.workflow",
    "charter.trash",
    "charter.history",
    "charter.search",
    # After the domains whose events make its entries; before the interfaces.
    "charter.changes",
    "charter.api",
    "charter.web",
    "charter.health",
)


def make_configurator(
    settings: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Configurator:
    """A configurator with every Charter domain, then every enabled add-on, included and committed.

    ``environ`` supplies the environment overrides (``os.environ`` by default).
    """
    config = Configurator(
        settings=parse_settings(settings, environ, extra_settings=addon_settings(settings))
    )
    for domain in DOMAINS:
        config.include(domain)
    include_addons(config)
    config.commit()
    return config


def main(global_config: Mapping[str, Any], **settings: Any) -> Router:
    """The WSGI application described by an ini file's ``[app:main]`` section."""
    return make_configurator(settings).make_wsgi_app()
