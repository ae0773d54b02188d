"""Translatable text for every layer: services write the refusals people read with ``_``
below (a TranslationString of the "charter" domain, its values in ``${name}``
placeholders), the web pages translate them with the request's localizer (``localize``),
and the JSON API, logs and audit entries read them in English (``english``).

A TranslationString is a ``str`` whose ``str()`` is its msgid with the placeholders still
in it: anything that shows a refusal goes through one of the two functions below.

A count or a size in a mapping is a :class:`Count` or a :class:`Size`: English reads it as
Charter always wrote it ("12,345", "1.5 KiB"), a page in its own language's notation
("12.345", "1,5 KiB" in German).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal
from pyramid.i18n import Localizer, TranslationString, TranslationStringFactory

DOMAIN = "charter"
_ = TranslationStringFactory(DOMAIN)
_SIZE_UNITS = ("KiB", "MiB", "GiB", "TiB")


class Localized(ABC):
    """A value of a message's mapping that each language writes in its own notation."""

    @abstractmethod
    def english(self) -> str:
        """The value as English (the API, the logs) reads it."""

    @abstractmethod
    def localized(self, localizer: Localizer) -> str:
        """The value in the notation of the localizer's language (Babel)."""


@dataclass(frozen=True)
class Count(Localized):
    """A count or a limit: "12,345" in English, "12.345" in German."""

    value: int

    def english(self) -> str:
        return f"{self.value:,}"

    def localized(self, localizer: Localizer) -> str:
        return format_decimal(self.value, locale=localizer.locale_name)


@dataclass(frozen=True)
class Size(Localized):
    """A number of bytes: "512 bytes", "1.5 KiB" in English; "512 Byte", "1,5 KiB" in German
    (the binary units are the same in every language)."""

    value: int

    def _scaled(self) -> tuple[float, str]:
        value = float(self.value)
        for unit in _SIZE_UNITS:
            value /= 1024
            if value < 1024 or unit == _SIZE_UNITS[-1]:
                break
        return value, unit

    def english(self) -> str:
        if self.value < 1024:
            return f"{self.value} byte" if self.value == 1 else f"{self.value} bytes"
        value, unit = self._scaled()
        return f"{value:.1f} {unit}".replace(".0 ", " ")

    def localized(self, localizer: Localizer) -> str:
        if self.value < 1024:
            count = {"count": self.value}
            one = self.value == 1
            return localizer.translate(
                _("${count} byte", mapping=count) if one else _("${count} bytes", mapping=count)
            )
        value, unit = self._scaled()
        return f"{format_decimal(value, format='0.#', locale=localizer.locale_name)} {unit}"


def _resolved(message: TranslationString, render: Any) -> TranslationString:
    """``message`` with the translatable and localized values of its mapping rendered by
    ``render``."""
    mapping = {
        key: render(value) if isinstance(value, TranslationString | Localized) else value
        for key, value in (message.mapping or {}).items()
    }
    return TranslationString(message, mapping=mapping)


def english(message: str | Localized) -> str:
    """``message`` in English with its values filled in (a plain ``str``), as the API, the
    logs and the audit log show it."""
    if isinstance(message, Localized):
        return message.english()
    if not isinstance(message, TranslationString):
        return str(message)
    return str(_resolved(message, english).interpolate())


def localize(localizer: Localizer, message: str | Localized) -> str:
    """``message`` in the localizer's language with its values filled in (values that are
    themselves translatable, such as a state's title, translated too; counts and sizes in
    the language's notation)."""
    if isinstance(message, Localized):
        return message.localized(localizer)
    if not isinstance(message, TranslationString):
        return str(message)
    return str(localizer.translate(_resolved(message, lambda value: localize(localizer, value))))
