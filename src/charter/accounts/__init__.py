"""Accounts: the people who use Charter."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request

from charter.accounts.services import AccountService


def accounts_service(request: Request) -> AccountService:
    """The account service bound to this request's session."""
    return AccountService(request.dbsession)


def includeme(config: Configurator) -> None:
    """Expose ``request.accounts``."""
    config.add_request_method(accounts_service, "accounts", reify=True)
