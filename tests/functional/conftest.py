"""Fixtures shared by the functional tests of the command-line tools."""

import logging

import pytest


@pytest.fixture
def restore_logging():
    """Undo what a tool's ``setup_logging`` does to the root logger of this process."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
