"""The add-on's pages in Debian's Chromium: the calendar, an event and the event forms pass
axe-core (no serious or critical WCAG 2.1 A/AA violation) and the Nu HTML Checker, as every
page of Charter's own does (Charter's tests/browser/test_accessibility.py)."""

import datetime as dt
import json

import pytest
from charter.testing.browser import axe_problems, html_problems
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def calendar(events_folder, add_event, now):
    """/events with a timed event next week and an all-day one next month."""
    add_event(
        events_folder,
        "board-meeting",
        now + 7 * DAY,
        now + 7 * DAY + 2 * HOUR,
        description="Budget and hiring.",
        location="Room 4, Town Hall",
        time_zone="Europe/Berlin",
    )
    add_event(
        events_folder,
        "summer-fair",
        (now + 40 * DAY).date(),
        (now + 41 * DAY).date(),
        all_day=True,
    )
    return events_folder


PAGES = (
    "/events/@@calendar",
    "/events/board-meeting",
    "/events/summer-fair",
    "/events/board-meeting/@@edit",
    "/events/@@add?type=Event",
)


def test_the_events_pages_pass_axe_and_the_html_checker(
    calendar, editor, log_in_as, page, tmp_path
):
    log_in_as(editor)
    problems: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    for path in PAGES:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        problems[path] = axe_problems(page)
        # The HTML as served (the checker reads markup, not the DOM scripts made).
        sources[path] = response.text()
    expect(page.locator("h1")).to_be_visible()

    found = {path: found for path, found in problems.items() if found}
    assert not found, f"axe-core on {len(problems)} pages: {json.dumps(found, indent=1)}"
    invalid = html_problems(sources, tmp_path)
    assert not invalid, f"Nu HTML Checker on {len(sources)} pages: {json.dumps(invalid, indent=1)}"
