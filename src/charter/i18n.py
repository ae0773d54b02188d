"""Translatable text for every layer: services write the refusals people read with ``_``
below (a TranslationString of the "charter" domain, its values in ``${name}``
placeholders), the web pages translate them with the request's localizer (``localize``),
and the JSON API, logs and audit entries read them in English (``english``).

A TranslationString is a ``str`` whose ``str()`` is its msgid with the placeholders still
in it: anything that shows a refusal goes through one of the two functions below.
"""

from __future__ import annotations

from typing import Any

from pyramid.i18n import Localizer, TranslationString, TranslationStringFactory

DOMAIN = "charter"
_ = TranslationStringFactory(DOMAIN)


def _resolved(message: TranslationString, render: Any) -> TranslationString:
    """``message`` with the translatable values of its mapping rendered by ``render``."""
    mapping = {
        key: render(value) if isinstance(value, TranslationString) else value
        for key, value in (message.mapping or {}).items()
    }
    return TranslationString(message, mapping=mapping)


def english(message: str) -> str:
    """``message`` in English with its values filled in (a plain ``str``), as the API, the
    logs and the audit log show it."""
    if not isinstance(message, TranslationString):
        return str(message)
    return str(_resolved(message, english).interpolate())


def localize(localizer: Localizer, message: str) -> str:
    """``message`` in the localizer's language with its values filled in (values that are
    themselves translatable, such as a state's title, translated too)."""
    if not isinstance(message, TranslationString):
        return str(message)
    return str(localizer.translate(_resolved(message, lambda value: localize(localizer, value))))
