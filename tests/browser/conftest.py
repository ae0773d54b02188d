"""Fixtures for browser tests: the real app on a local port, and Debian's Chromium.

They live in charter.testing.browser so an add-on's browser tests use the same ones.
"""

from charter.testing.browser import chromium_browser, live_server, log_in_as, page

__all__ = ["chromium_browser", "live_server", "log_in_as", "page"]
