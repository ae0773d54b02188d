"""What an API token is: its scopes and how it is stored."""

from __future__ import annotations

import hashlib

READ_SCOPE = "read"
READ_WRITE_SCOPE = "read-write"
TOKEN_SCOPES = (READ_SCOPE, READ_WRITE_SCOPE)
TOKEN_PREFIX = "charter_"  # noqa: S105 - the visible start of every token, not a secret


def token_digest(token: str) -> str:
    """What is stored of an API token: its SHA-256 (tokens are long and random)."""
    return hashlib.sha256(token.encode()).hexdigest()
