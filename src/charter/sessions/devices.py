"""What to call the device a session was begun on, from its User-Agent header."""

from __future__ import annotations

from ua_parser import parse

UNKNOWN_DEVICE = "Unknown device"


def describe_device(user_agent: str) -> str:
    """A short name such as "Firefox 120 on Linux" or "Mobile Safari 17 on iOS (iPhone)"."""
    if not user_agent.strip():
        return UNKNOWN_DEVICE
    result = parse(user_agent)
    parts = []
    if result.user_agent is not None:
        browser = result.user_agent
        parts.append(f"{browser.family} {browser.major}" if browser.major else browser.family)
    if result.os is not None:
        system = result.os
        parts.append(
            f"on {system.family} {system.major}" if system.major else f"on {system.family}"
        )
    if result.device is not None and result.device.family not in {"Other", "Spider"}:
        parts.append(f"({result.device.family})")
    if not parts:
        # Not a browser ua-parser knows (a script, a tool): its own first word says most.
        return user_agent.split()[0][:60]
    return " ".join(parts)
