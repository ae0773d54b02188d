"""Fixtures shared by the functional tests of the command-line tools."""

import logging
import textwrap

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


@pytest.fixture
def write_ini(tmp_path, scratch_database_url, restore_logging, monkeypatch):
    """Write an ini file like development.ini on the CLI database; extra lines go in [app:main]."""
    # The environment must not redirect the tools to another database.
    monkeypatch.delenv("CHARTER_DATABASE_URL", raising=False)
    # The default charter.blobs.path (var/blobs) is relative to the working directory.
    monkeypatch.chdir(tmp_path)

    def write(extra=""):
        path = tmp_path / "cli.ini"
        path.write_text(
            textwrap.dedent(
                """\
                [app:main]
                use = egg:charter
                sqlalchemy.url = {url}
                charter.session.secret = a-session-secret-of-at-least-32-characters
                charter.site_title = CLI Test Site
                {extra}

                [pshell]
                setup = charter.scripts.pshell.setup

                [loggers]
                keys = root

                [handlers]
                keys = console

                [formatters]
                keys = generic

                [logger_root]
                level = WARN
                handlers = console

                [handler_console]
                class = StreamHandler
                args = (sys.stderr,)
                level = NOTSET
                formatter = generic

                [formatter_generic]
                format = %(levelname)s [%(name)s] %(message)s
                """
            ).format(url=scratch_database_url.replace("%", "%%"), extra=extra),
            encoding="utf-8",
        )
        return str(path)

    return write
