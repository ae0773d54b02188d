"""Whole numbers from text (ids, versions, positions), within what every database stores."""

from __future__ import annotations

# BIGINT, the widest integer column (ids); INTEGER columns pass their own maximum.
MAX_BIGINT = 2**63 - 1


def whole_number(text: str, *, minimum: int = 0, maximum: int = MAX_BIGINT) -> int | None:
    """``text`` as an int when it is ASCII digits from ``minimum`` to ``maximum``; else None.

    Unicode digits ("²") and numbers of thousands of digits (which int()
    refuses to convert) are None, never an exception.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None
