"""Schemathesis against the OpenAPI document, on a live server (on the test database's
``_contract`` twin), with every check it has and its stateful links.

Part of every ``make test``, on each database. Two runs: one with a fixed
seed (the same cases on every machine, so a failure reproduces) and one with a
seed that changes every day (UTC), so CI keeps exploring; a failure names its
seed, and ``CHARTER_SCHEMATHESIS_SEED=<seed>`` replays it. Each run sends at
least ``MIN_CASES`` generated cases. A failure is a bug in the app or the
document: fix it, never switch the check off (the expectations schemathesis is
given are in ``schemathesis.toml`` beside this file, each with its reason).
See docs/testing.md, "The API contract tests".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from charter.accounts.models import Group, User
from charter.accounts.passwords import hash_password
from charter.accounts.services import TokenService
from charter.content.registry import types_of
from charter.content.sample import add_sample_content
from charter.content.services import ContentService
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.live import (
    LIVE_PASSWORD,
    LiveServer,
    LiveUser,
    empty_database,
    read_nodes,
)
from charter.testing.plugin import RUN_NOTE, TEST_DATABASE_VARIABLE

FIXED_SEED = 20261130
SEED_VARIABLE = "CHARTER_SCHEMATHESIS_SEED"
MIN_CASES = 1000
HERE = Path(__file__).parent
CONFIG = HERE / "schemathesis.toml"
# What CPython 3.11 raises when two threads build ASTs at once (python/cpython#106905).
AST_BUG = "AST constructor recursion depth mismatch"
# Wall time allowed one run, in seconds; a hang fails instead of holding CI up.
RUN_TIMEOUT_S = 1200


# The fuzzing administrator's account and token: ids no generated number is likely to
# name, so that the run does not revoke its own token or deactivate itself.
ADMIN_ID = 7_340_000_000_001
TOKEN_ID = 7_340_000_000_002


@dataclass(frozen=True)
class Site:
    """The live site schemathesis runs against: its administrator and what exists in it."""

    admin: LiveUser
    facts: dict


@pytest.fixture(scope="module")
def charter_live_database_url(
    charter_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database for the fuzzer alone: as administrator it shares, moves, trashes and
    deactivates whatever it finds, which must not be what later live tests of this
    worker start from."""
    with empty_database(charter_database_url, "contract", tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
def site(live_server: LiveServer) -> Site:
    """The live server with charter-init's sample site, a file, a few other accounts and a
    group, and a site administrator whose token schemathesis uses."""
    others = [live_server.make_user(f"person-{n}") for n in range(1, 4)]
    with Session(live_server.engine) as session, session.begin():
        root = live_server._resolve(session, "/")
        # As charter-init makes it: subscribers told (the workflow puts new items in their
        # first state), the items published or submitted as the sample says.
        content = ContentService(
            session, types_of(live_server.registry), notify=live_server.registry.notify
        )
        add_sample_content(content, root, None)
        admin = User(
            id=ADMIN_ID,
            login="fuzzing-admin",
            email="fuzzing-admin@example.com",
            full_name="Fuzzing Administrator",
            password_hash=hash_password(LIVE_PASSWORD),
        )
        session.add(admin)
        session.flush()  # the account exists before its roles and token name it
        SharingService(session).set_global_roles(user_principal(ADMIN_ID), ["Administrator"])
        token, text = TokenService(session).create(admin, "schemathesis", scope="read-write")
        session.flush()  # the token's row exists before it takes its far-off id
        token.id = TOKEN_ID
        group = Group(name="staff", title="Staff")
        session.add(group)
    upload = live_server.request(
        "POST",
        "/api/v1/content/projects",
        user=LiveUser(ADMIN_ID, "fuzzing-admin", text),
        headers={"Content-Type": "text/plain", "Slug": "report.txt"},
    )
    assert upload.status == 201, upload
    nodes = {node.path.lstrip("/"): node for node in read_nodes(live_server.engine)}
    nodes.pop("", None)
    types = types_of(live_server.registry)
    facts = {
        "folders": sorted(p for p, n in nodes.items() if n.type == "Folder"),
        "files": sorted(p for p, n in nodes.items() if n.type == "File"),
        "nodes": sorted(nodes),
        "types": {path: node.type for path, node in nodes.items()},
        "children": {
            folder: [n.name for p, n in nodes.items() if p.rpartition("/")[0] == folder]
            for folder in ["", *(p for p, n in nodes.items() if n.type == "Folder")]
        },
        "child_names": sorted({node.name for node in nodes.values()}),
        "logins": [person.login for person in others],
        # Not system.Everyone: sharing the site with visitors would leave nothing that needs
        # credentials for ignored_auth to check.
        "principals": [
            "system.Authenticated",
            *(person.principal for person in others),
        ],
        "password": LIVE_PASSWORD,
        "admin_id": str(ADMIN_ID),
        "other_id": others[0].id,
        "type_fields": {t.name: list(t.json_schema()["properties"]) for t in types},
    }
    return Site(LiveUser(ADMIN_ID, "fuzzing-admin", text), facts)


@dataclass(frozen=True)
class Run:
    """One schemathesis run: its phases and how many cases per operation and phase."""

    phases: str
    # Enough that the run sends MIN_CASES or more, and no more: each case costs CI time.
    max_examples: int


RUNS = {
    # Every phase: the examples and the coverage phase's boundary cases (most of this run's
    # cases) are the same whatever the seed, so they run once, here.
    "fixed": Run("examples,coverage,fuzzing,stateful", max_examples=5),
    # Random cases only, and more of each operation's: what a new seed can find.
    "rotating": Run("fuzzing,stateful", max_examples=12),
}


def rotating_seed() -> int:
    """``CHARTER_SCHEMATHESIS_SEED`` when set (to replay a run), else the UTC day's number:
    every CI run of a day, on each database, fuzzes with the same seed."""
    return int(os.environ.get(SEED_VARIABLE) or dt.datetime.now(dt.UTC).date().toordinal())


def run_schemathesis(
    live: LiveServer, site: Site, seed: int, run: Run, report: Path
) -> tuple[int, dict, str]:
    """``st run`` against the live server's document: its exit code, its JSON report and
    what it printed."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{live.url}/api/v1/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        # Needs a second identity's credentials to compare with; Charter's own tests
        # cover who sees what (tests/functional/security).
        "object_level_authorization",
        # An answer slower than this is a hang. (On a machine running the rest of the suite
        # at once, a tighter limit would measure the machine: benchmarks/ measure speed.)
        "--max-response-time",
        "60",
        "--phases",
        run.phases,
        "--max-examples",
        str(run.max_examples),
        "--seed",
        str(seed),
        "--header",
        f"Authorization: Bearer {site.admin.token}",
        # One: the cases go in the seed's order, and Hypothesis' ast.parse never runs in two
        # threads at once (on CPython 3.11 that can raise "AST constructor recursion depth
        # mismatch", python/cpython#106905, a fuzzer error that is no finding). xdist runs
        # the two seeds side by side instead.
        "--workers",
        "1",
        "--request-timeout",
        "90",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    environment = {
        **os.environ,
        "CHARTER_CONTRACT_SITE": json.dumps(site.facts),
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
        env=environment,
        # Where schemathesis keeps its files (.schemathesis/): not the checkout.
        cwd=report.parent,
    )
    body = json.loads(report.read_text()) if report.exists() else {}
    output = completed.stdout + completed.stderr
    report.with_suffix(".txt").write_text(output)
    return completed.returncode, body, output


@pytest.mark.parametrize("which", list(RUNS))
def test_schemathesis_finds_nothing(
    live: LiveServer, site: Site, which: str, tmp_path: Path, record_property
):
    seed = FIXED_SEED if which == "fixed" else rotating_seed()
    code, report, output = run_schemathesis(live, site, seed, RUNS[which], tmp_path / "report.json")
    if code != 0 and failures(report) == 0 and AST_BUG in output:
        # The fuzzer itself crashed (python/cpython#106905, see run_schemathesis), with no
        # finding: the same seed again sends the same cases.
        code, report, output = run_schemathesis(
            live, site, seed, RUNS[which], tmp_path / "report.json"
        )
    replay = replay_command(which, seed)
    # Shown at the end of every run (charter.testing.plugin), passed or failed.
    record_property(
        RUN_NOTE,
        f"schemathesis {which} seed {seed}: {cases(report)} cases, "
        f"{failures(report)} failures; replay: {replay}; output: {tmp_path / 'report.txt'}",
    )
    assert code == 0, (
        f"schemathesis ({which} seed {seed}; replay: {replay}) failed:\n{output[-20000:]}\n"
        + live.explain("server errors")
    )
    assert cases(report) >= MIN_CASES, summary(report)
    assert live.server_errors == [], live.explain("server errors")


def replay_command(which: str, seed: int) -> str:
    """The command that runs ``which`` again, with its seed and on its database."""
    variables = {TEST_DATABASE_VARIABLE: os.environ.get(TEST_DATABASE_VARIABLE)}
    if which == "rotating":
        variables[SEED_VARIABLE] = str(seed)
    settings = "".join(f"{name}={value} " for name, value in variables.items() if value)
    return f"{settings}pytest tests/contract -k {which}"


def cases(report: dict) -> int:
    """How many generated cases the run sent."""
    return int(report.get("test_cases", {}).get("generated", 0))


def failures(report: dict) -> int:
    """How many distinct failures the run found."""
    return int(report.get("test_cases", {}).get("unique_failures", 0))


def summary(report: dict) -> str:
    """The figures of the JSON report: cases, operations, phases, failures."""
    figures = {key: report.get(key) for key in ("test_cases", "operations", "phases", "failures")}
    return json.dumps(figures)[:3000]
