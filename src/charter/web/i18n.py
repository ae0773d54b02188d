"""Languages of the web UI: gettext catalogues under ``charter/locale`` (Babel's tools make
and compile them), the language picked per request from the person's choice (a cookie set
by the language menu) or else the browser's Accept-Language, English when neither matches.

Templates mark their text with ``{% trans %}`` or ``_()`` (Jinja2's i18n extension, which
pyramid_jinja2 wires to the request's localizer); Python code with ``_`` below (charter.i18n's,
which the services word their refusals with too).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import Localizer
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.threadlocal import get_current_request
from pyramid.view import view_config

from charter.errors import ValidationFailed
from charter.i18n import DOMAIN, Size, _, localize
from charter.web.helpers import with_article

# The languages whose catalogue is complete, the first being the default.
LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "charter_language"
# How a moment reads, per language (CLDR patterns, formatted by Babel): English keeps ISO
# 8601's order, which no reader across the company misreads (CLDR's "3/1/26" is 1 March in
# the US and 3 January in Europe); German uses its own CLDR date and time ("01.03.2026, 12:02").
MOMENT_PATTERNS = {"en": "yyyy-MM-dd HH:mm", "de": "dd.MM.yyyy, HH:mm"}
COOKIE_MAX_AGE = 365 * 24 * 3600
# Template texts kept translated: a few hundred msgids in each language.
TRANSLATIONS_CACHE_SIZE = 4096


def negotiate_language(request: Request) -> str:
    """The person's chosen language, else the best of Accept-Language, else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    offered = request.accept_language.lookup(list(LANGUAGES), default=DEFAULT_LANGUAGE)
    return offered if offered in LANGUAGES else DEFAULT_LANGUAGE


def translate(request: Request, message: str) -> str:
    """``message`` (made with ``_``, here or by a service) in the request's language with its
    values filled in, for a form's error list or any other text a view hands to a template
    ready-made."""
    return localize(request.localizer, message)


def translate_errors(request: Request, errors: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A service's ``(field, message)`` refusals with each message in the request's
    language; the field names stay as they are."""
    return [(field, localize(request.localizer, message)) for field, message in errors]


def flash(request: Request, message: str, queue: str = "") -> None:
    """Put ``message`` (made with ``_``, here or by a service) on the session's flash queue
    in the request's language, as the next page shows it."""
    request.session.flash(localize(request.localizer, message), queue)


def plural(request: Request, singular: str, plural_form: str, count: int, **mapping: object) -> str:
    """``singular`` or ``plural_form`` as ``count`` and the request's language ask, with
    ``${count}`` and ``mapping`` filled in. (Babel extracts both forms: the keyword
    ``plural:2,3`` of `make translations`.)"""
    return request.localizer.pluralize(
        singular, plural_form, count, domain=DOMAIN, mapping={"count": count, **mapping}
    )


def format_moment(request: Request, moment: dt.datetime) -> str:
    """``moment`` (UTC) as the pages show it in the request's language, its zone named:
    "2026-03-01 12:02 UTC", "01.03.2026, 12:02 UTC"."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    locale = request.locale_name
    pattern = MOMENT_PATTERNS.get(locale, MOMENT_PATTERNS[DEFAULT_LANGUAGE])
    return f"{babel_format_datetime(moment, pattern, tzinfo=dt.UTC, locale=locale)} UTC"


def format_month(request: Request, day: dt.date) -> str:
    """The month of ``day`` as a heading in the request's language: "December 2026",
    "Dezember 2026" (CLDR's year-and-month skeleton)."""
    return format_skeleton("yMMMM", day, locale=request.locale_name)


def format_number(request: Request, number: float) -> str:
    """``number`` with the language's digit grouping and decimal sign: "12,345", "12.345"."""
    return format_decimal(number, locale=request.locale_name)


def format_size(request: Request, size: int) -> str:
    """``size`` bytes for people in the request's language: "512 bytes", "1.5 KiB"; in
    German "512 Byte", "1,5 KiB" (the binary units are the same in every language)."""
    return Size(size).localized(request.localizer)


def type_with_article(request: Request, content_type: object) -> str:
    """A type's title as "Add …" reads it: with its English article ("a Document", see
    helpers.with_article); in other languages the translated title alone, the sentence
    around it carrying whatever article its grammar wants ("Dokument hinzufügen")."""
    if request.locale_name == "en":
        return with_article(content_type)
    return request.localizer.translate(_(str(getattr(content_type, "title", content_type))))


def upload_limit(request: Request) -> str:
    """The largest file one may upload, as the upload forms state it in their language."""
    return format_size(request, request.registry.settings["charter.blobs.max_upload_size"])


def template_helpers() -> dict[str, Callable[[Any], str]]:
    """The helpers above as template globals: ``format_moment(moment)``,
    ``format_month(day)``, ``format_number(n)``, ``format_size(n)``,
    ``with_article(content_type)``. Like the templates' ``_`` (pyramid_jinja2's gettext), they
    find the request being rendered themselves, so macros imported without context can use
    them."""

    def bind(helper: Callable[[Request, Any], str]) -> Callable[[Any], str]:
        def bound(value: Any) -> str:
            return helper(get_current_request(), value)

        return bound

    return {
        "format_moment": bind(format_moment),
        "format_month": bind(format_month),
        "format_number": bind(format_number),
        "format_size": bind(format_size),
        "with_article": bind(type_with_article),
    }


@functools.lru_cache(maxsize=TRANSLATIONS_CACHE_SIZE)
def _translation(localizer: Localizer, domain: str, message: str) -> str:
    """``message`` as ``localizer`` translates it: a pure function of the three, since a
    localizer's catalogues are those its registry was configured with (Pyramid keeps one
    localizer a language for the life of the registry)."""
    return localizer.translate(message, domain=domain)


def template_gettext(domain: str) -> Callable[[Any], str]:
    """The templates' ``_`` and ``gettext`` (``{% trans %}``): the request's localizer, as
    pyramid_jinja2's, but a plain text looked up once a process and language rather than
    through the localizer's translator on every page. Texts with a domain or values of their
    own (TranslationString, Markup) are translated as before."""

    def gettext(message: Any) -> str:
        localizer = get_current_request().localizer
        if type(message) is str:
            return _translation(localizer, domain, message)
        return localizer.translate(message, domain=domain)

    return gettext


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
        raise ValidationFailed(
            [("language", _("one of ${choices}", mapping={"choices": ", ".join(LANGUAGES)}))]
        )
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
