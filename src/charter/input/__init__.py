"""Request input, decoded and checked in one place before any view or service sees it.

The tween (:mod:`charter.input.tween`) refuses undecodable query strings,
paths and form bodies, unsupported charsets and oversized bodies for every
route, present and future; :mod:`charter.input.cookies` cleans the Cookie
header; :mod:`charter.input.json` reads JSON bodies and
:mod:`charter.input.text` holds the limits every stored string obeys.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.tweens import EXCVIEW

from charter.input.json import json_object
from charter.input.request_class import include_baking
from charter.input.text import BoundedText, text_problem

__all__ = ["BoundedText", "includeme", "json_object", "text_problem"]


def includeme(config: Configurator) -> None:
    """Check every request's input below the exception views, so refusals render as errors;
    clean its Cookie header before any tween reads it (:mod:`charter.input.cookies`); the
    request properties go on the request class once (:mod:`charter.input.request_class`)."""
    config.set_request_factory("charter.input.cookies.CleanCookiesRequest")
    include_baking(config)
    config.add_tween("charter.input.tween.request_input_tween_factory", under=EXCVIEW)
