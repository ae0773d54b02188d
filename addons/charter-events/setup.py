"""Packaging for charter-events, the example add-on of Charter: events, calendars and feeds."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).parent

setup(
    name="charter-events",
    version="0.1.0",
    description="Events for Charter: an Event type, a folder's calendar and its iCalendar feed",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    package_dir={"": "src"},
    # Namespace discovery, so that the templates and migrations folders ship as
    # package data: files the add-on reads, not modules it imports.
    packages=find_namespace_packages("src"),
    include_package_data=True,
    package_data={
        "charter_events": [
            "templates/*.jinja2",
            "migrations/*.py",
            "locale/*.pot",
            "locale/*/LC_MESSAGES/*.po",
            "locale/*/LC_MESSAGES/*.mo",
        ]
    },
    zip_safe=False,
    install_requires=[
        "charter",
        # RFC 5545 feeds: writing them here, reading them back in the tests.
        "icalendar>=6.0",
        # IANA time zones for zoneinfo where the system has none (slim images, Windows).
        "tzdata",
    ],
    entry_points={"charter.addons": ["charter-events = charter_events:includeme"]},
)
