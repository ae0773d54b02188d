"""Fixtures of charter-events' tests: Charter's pytest plugin with the add-on enabled.

The plugin (installed with Charter) provides the database, the app, the
WebTest clients and the accounts; overriding ``charter_settings`` enables the
add-on for the whole session, so ``charter_engine`` runs its migration and
``charter_app`` includes it.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from charter.accounts.models import User
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.tree.models import Node

from charter_events.models import Event

# The live server, Chromium and the accessibility checkers, for test_browser.py.
pytest_plugins = ["charter.testing.browser"]


@pytest.fixture(scope="session")
def charter_settings(charter_settings):
    """Charter's test settings, with charter-events enabled."""
    return {**charter_settings, "charter.addons": "charter-events"}


@pytest.fixture
def events_folder(site_root, content, dbsession):
    """``/events``, an empty folder every logged-in person may view."""
    folder = content.add_folder(site_root, "events", "Events")
    dbsession.flush()  # requests read through their own savepoint
    return folder


@pytest.fixture
def editor(make_user, events_folder, dbsession) -> User:
    """``editor``: Editor on /events (may add and edit events there)."""
    user = make_user("editor", "Eve Editor")
    SharingService(dbsession).update(events_folder, {user_principal(user.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    return user


@pytest.fixture
def add_event(content, dbsession) -> Callable[..., Event]:
    """``add_event(folder, name, start, end, **fields)``: an Event made by the editing service."""

    def add(folder: Node, name: str, start: Any, end: Any, **fields: Any) -> Event:
        values = {"title": name.replace("-", " ").title(), "start": start, "end": end, **fields}
        event = content.create(folder, "Event", values, name=name)
        dbsession.flush()  # requests read through their own savepoint
        return event

    return add


@pytest.fixture
def now() -> dt.datetime:
    """The current time, aware, whole minutes: the tests' events are placed around it."""
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
