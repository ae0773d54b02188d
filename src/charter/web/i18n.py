"""Languages of the web UI: gettext catalogues under ``charter/locale`` (Babel's tools make
and compile them), the language picked per request from the person's choice (a cookie set
by the language menu) or else the browser's Accept-Language, English when neither matches.

Templates mark their text with ``{% trans %}`` or ``_()`` (Jinja2's i18n extension, which
pyramid_jinja2 wires to the request's localizer); Python code with ``_`` below.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from charter.errors import ValidationFailed

DOMAIN = "charter"
_ = TranslationStringFactory(DOMAIN)
# The languages whose catalogue is complete, the first being the default.
LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "charter_language"
COOKIE_MAX_AGE = 365 * 24 * 3600


def negotiate_language(request: Request) -> str:
    """The person's chosen language, else the best of Accept-Language, else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    offered = request.accept_language.lookup(list(LANGUAGES), default=DEFAULT_LANGUAGE)
    return offered if offered in LANGUAGES else DEFAULT_LANGUAGE


def _same_site_path(url: str) -> str:
    """The path and query of ``url`` when it stays on this site, else the home page."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or url.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def return_path(request: Request) -> str:
    """Where the language menu leads back to: this page, or the home page when its
    address is not valid UTF-8 (an error page answering such an address)."""
    try:
        return request.path_qs
    except UnicodeDecodeError:
        return "/"


@view_config(route_name="language", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def choose_language(request: Request) -> HTTPSeeOther:
    """Remember the language picked in the menu (a cookie), and go back to the page."""
    language = request.POST.get("language", "")
    if language not in LANGUAGES:
        raise ValidationFailed([("language", f"one of {', '.join(LANGUAGES)}")])
    response = HTTPSeeOther(
        request.application_url + _same_site_path(request.POST.get("came_from", "/"))
    )
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.scheme == "https",
        httponly=True,
    )
    return response


def includeme(config: Configurator) -> None:
    """Catalogues, the negotiator and the language menu's route."""
    config.add_translation_dirs("charter:locale/")
    config.set_locale_negotiator(negotiate_language)
    config.add_route("language", "/language")
