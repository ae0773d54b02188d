"""The web UI: Jinja2 layout, Bootstrap from xstatic-bootstrap, pages and error pages."""

from __future__ import annotations

from pyramid.config import Configurator

from charter.web import audit, trash, webhooks, workflow
from charter.web.audit import node_audit_url
from charter.web.helpers import (
    SITE_PATHS_KEY,
    breadcrumbs,
    crumb_trail,
    is_site_administrator,
    node_url,
    page_url,
    static_url,
)
from charter.web.i18n import DOMAIN, LANGUAGES, return_path, template_gettext, template_helpers
from charter.web.menus import menu_views
from charter.web.navigation import navigation_tree

STATIC_MAX_AGE = 3600


def includeme(config: Configurator) -> None:
    """Templates, static files, HTML views and error pages."""
    # Templates translate through the "charter" catalogues (charter.web.i18n).
    config.registry.settings.setdefault("jinja2.i18n.domain", DOMAIN)
    config.include("pyramid_jinja2")
    config.include("charter.web.i18n")
    config.include("charter.web.menus")
    config.add_jinja2_renderer(".jinja2")
    config.add_jinja2_search_path("charter:web/templates", name=".jinja2")

    def add_template_globals() -> None:
        environment = config.get_jinja2_environment(".jinja2")
        environment.globals.update(
            breadcrumbs=breadcrumbs,
            crumb_trail=crumb_trail,
            node_url=node_url,
            page_url=page_url,
            static_url=static_url,
            is_site_administrator=is_site_administrator,
            navigation_tree=navigation_tree,
            menu_views=menu_views,
            node_audit_url=node_audit_url,
            languages=LANGUAGES,
            return_path=return_path,
            **template_helpers(),
        )
        # ``_`` straight to the cached gettext: Jinja2's own ``_`` calls ``gettext`` through
        # the context once more on every use.
        gettext = template_gettext(config.registry.settings["jinja2.i18n.domain"])
        environment.globals.update(_=gettext, gettext=gettext)

    # Runs once the renderer above exists (pyramid_jinja2 creates it in an action).
    config.action(None, add_template_globals, order=999)
    config.registry[SITE_PATHS_KEY] = {}
    workflow.add_template_globals(config)

    config.add_static_view(
        "static/bootstrap", "xstatic.pkg.bootstrap:data", cache_max_age=STATIC_MAX_AGE
    )
    config.add_static_view("static/charter", "charter:web/static", cache_max_age=STATIC_MAX_AGE)
    config.add_tween("charter.web.headers.security_headers_tween_factory")
    # Browsers ask for /favicon.ico of pages that name no icon (a PDF, an API answer).
    config.add_route("favicon", "/favicon.ico")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("account", "/account")
    config.add_route("account.tokens", "/account/tokens")
    config.add_route("admin.users", "/admin/users")
    # At most 18 digits: a longer id cannot be a 64-bit key, and is simply not found.
    config.add_route("admin.user", "/admin/users/{user_id:[0-9]{1,18}}")
    config.add_route("admin.groups", "/admin/groups")
    config.add_route("admin.group", "/admin/groups/{name}")
    trash.add_routes(config)
    audit.add_routes(config)
    webhooks.add_routes(config)
    config.add_accept_view_order("text/html")
    config.add_accept_view_order("application/json", weighs_less_than="text/html")
    config.scan("charter.web")
