"""Accounts: the people who use Charter, their groups and API tokens."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request

from charter.accounts.services import AccountService, TokenService


def accounts_service(request: Request) -> AccountService:
    """Accounts and groups, with this site's password rules and session store."""
    return AccountService(
        request.dbsession,
        min_password_length=request.registry.settings["charter.password.min_length"],
        audit=request.audit,
        sessions=request.user_sessions,
    )


def tokens_service(request: Request) -> TokenService:
    """API tokens."""
    return TokenService(request.dbsession, audit=request.audit)


def includeme(config: Configurator) -> None:
    """Expose ``request.accounts`` and ``request.tokens``."""
    config.add_request_method(accounts_service, "accounts", reify=True)
    config.add_request_method(tokens_service, "tokens", reify=True)
