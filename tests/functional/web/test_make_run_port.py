"""`make run` on a port already taken says so in one line and how to choose another (issue 14,
defect 9: it printed the "starting" banner, then a 30-line traceback)."""

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RUN_STAMP = ".venv/.charter-run-installed"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_on_a_busy_port_says_so_in_one_line():
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        # -o: never reinstall here, whatever the stamp's age.
        result = subprocess.run(
            ["make", "--no-print-directory", "-o", RUN_STAMP, "run", f"PORT={port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines == [
        f"Port {port} is already in use (another 'make run'?): stop that, "
        "or serve on another port with 'make run PORT=6544'."
    ]
    assert "Traceback" not in result.stderr
    assert "starting" not in result.stdout
