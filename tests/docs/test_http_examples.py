"""Every HTTP example in docs/ runs against the sample site, as written.

An example is a ``console`` block of ``$ curl ...`` commands (docs/api.md,
"Examples") on ``http://127.0.0.1:6543`` (``make run``'s address; commands for
other hosts, such as a production server, are not run), each optionally
followed by what the server answers: the status line and headers (with
``-i``), and/or the body; a ``json`` block right after the console block is
the body of its last command. A body that is a problem document says the
status. ``printf '...' | curl ... --data-binary @-`` sends the text as the body.
A page states the settings its examples need, and the address a documentation
host name stands for (there is no DNS here), in comments the reader does not see:
``<!-- example-settings: charter.cors.allowed_origins = https://partner.example.com -->``,
``<!-- example-host: partner.example.com = 93.184.215.14 -->``.
Each page runs on a fresh live server holding what ``charter-init`` creates (the sample site, the
``admin`` account) with ``$TOKEN`` a read-write token of ``admin``, its
commands in the page's order. The test compares the status (the documented
one, else any 2xx), every documented header (``...`` stands for any text) and
the body's keys (all of them; a documented body holding ``...`` may omit some).
"""

from __future__ import annotations

import json
import re
import shlex
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from charter.content.registry import types_of
from charter.content.sample import add_sample_content
from charter.content.services import ContentService
from charter.testing.live import LiveRequest, LiveResponse, LiveServer, empty_database

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOCUMENTED_HOST = "http://127.0.0.1:6543"
FENCE = re.compile(r"^```(\w*)\s*$")
SETTING = re.compile(r"<!-- example-settings: ([\w.]+) = (.*?) -->")
HOST = re.compile(r"<!-- example-host: ([\w.-]+) = ([0-9.]+) -->")
STATUS_LINE = re.compile(r"^HTTP/1\.1 (\d{3})\b")
HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*): (.*)$")


@dataclass
class Example:
    """One documented request and what the documentation says it answers."""

    page: str
    line: int
    command: list[str]
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {shlex.join(self.command)[:200]}"


def examples_of(path: Path) -> list[Example]:
    """The ``$ curl`` commands of a page, in order, with their documented answers."""
    found: list[Example] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    last_block_end = -2
    while index < len(lines):
        fence = FENCE.match(lines[index].strip())
        if fence is None:
            index += 1
            continue
        language, start = fence[1], index
        index += 1
        block: list[tuple[int, str]] = []
        while index < len(lines) and not lines[index].strip().startswith("```"):
            block.append((index + 1, lines[index]))
            index += 1
        index += 1
        if language == "json" and found and start == last_block_end + 2 and found[-1].body is None:
            found[-1].body = "\n".join(text for _, text in block)
        if language != "console" or not any(t.startswith("$ curl") for _, t in block):
            continue
        last_block_end = index - 1
        found += _commands(path.name, block)
    return found


def _commands(page: str, block: list[tuple[int, str]]) -> list[Example]:
    examples: list[Example] = []
    position = 0
    while position < len(block):
        number, text = block[position]
        position += 1
        if not text.startswith("$ "):
            continue
        command = text[2:]
        while command.endswith("\\") and position < len(block):
            command = command[:-1] + " " + block[position][1].strip()
            position += 1
        if "curl " not in command or DOCUMENTED_HOST not in command:
            continue
        output = []
        while position < len(block) and not block[position][1].startswith("$ "):
            output.append(block[position][1])
            position += 1
        example = Example(page, number, shlex.split(command))
        body_lines = []
        for line in output:
            status = STATUS_LINE.match(line)
            header = HEADER_LINE.match(line)
            if status:
                example.status = int(status[1])
            elif header and example.status is not None and not body_lines:
                example.headers[header[1].lower()] = header[2]
            elif line.strip() and line.strip() != "...":
                body_lines.append(line)
        if body_lines:
            example.body = "\n".join(body_lines)
        examples.append(example)
    for example in examples:
        if example.status is None and example.body and example.body.lstrip().startswith("{"):
            status = re.search(r'"status": (\d{3}),', example.body)
            if status and '"type": "' in example.body:
                example.status = int(status[1])
    return examples


PAGES = sorted(path for path in DOCS.glob("*.md") if examples_of(path))


@pytest.fixture(scope="module")
def charter_live_database_url(
    charter_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database for these pages alone: their examples count on the site as charter-init
    leaves it (the first delete is trash entry 1), not on what other tests left there."""
    with empty_database(charter_database_url, "docs", tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
def admin_token(live_server: LiveServer) -> str:
    """The site charter-init makes: its sample content and ``admin``, whose token is $TOKEN."""
    admin = live_server.make_user("admin", global_roles=["Administrator"])
    with Session(live_server.engine) as session, session.begin():
        root = live_server._resolve(session, "/")
        # As charter-init makes it: subscribers told (the workflow puts new items in their
        # first state), the items published or submitted as the sample says.
        content = ContentService(
            session, types_of(live_server.registry), notify=live_server.registry.notify
        )
        add_sample_content(content, root, None)
    return admin.token


def _directives(pattern: re.Pattern) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in PAGES:
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


@pytest.fixture(scope="module")
def charter_live_settings(charter_live_settings: dict[str, Any]) -> dict[str, Any]:
    """The sample site's title, as development.ini names it, and the settings the pages
    say their examples need."""
    return {
        **charter_live_settings,
        "charter.site_title": "Charter (development)",
        **_directives(SETTING),
    }


@pytest.fixture(scope="module", autouse=True)
def documentation_hosts() -> Iterator[None]:
    """The addresses the pages give their documentation host names (no DNS in tests)."""
    hosts = _directives(HOST)
    resolve = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in hosts:
            return resolve(hosts[host], port, *args, **kwargs)
        return resolve(host, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    yield
    socket.getaddrinfo = resolve


def test_the_docs_have_http_examples():
    assert [path.name for path in PAGES] == ["api.md"] or "api.md" in [p.name for p in PAGES]
    assert len(examples_of(DOCS / "api.md")) >= 20


@pytest.mark.parametrize("page", [path.name for path in PAGES])
def test_every_example_answers_as_documented(page, live: LiveServer, admin_token: str):
    problems = []
    for example in examples_of(DOCS / page):
        try:
            response = send(live, example, admin_token)
        except UnsupportedExample as unsupported:
            problems.append(f"{example}: {unsupported}")
            continue
        problems += [f"{example}: {problem}" for problem in compare(live, example, response)]
    assert problems == [], "\n".join(problems)


class UnsupportedExample(Exception):
    """A curl option this test does not understand: document with the ones it does."""


def send(live: LiveServer, example: Example, token: str) -> LiveResponse:
    """Run the documented curl command against the live server (following redirects for
    ``-L``)."""
    words = example.command
    method, headers, body, url, follow = None, {}, None, None, False
    piped = None
    if "|" in words:
        bar = words.index("|")
        if words[0] != "printf" or bar != 2:
            raise UnsupportedExample("only printf 'text' | curl ... is understood")
        piped = words[1].encode().decode("unicode_escape").encode()
        words = words[bar + 1 :]
    words = words[1:]
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        if word in ("-X", "--request"):
            method = words[position]
            position += 1
        elif word in ("-H", "--header"):
            name, _, value = words[position].partition(":")
            headers[name.strip()] = value.strip().replace("$TOKEN", token)
            position += 1
        elif word in ("-d", "--data", "--data-raw"):
            body = words[position].encode()
            position += 1
        elif word == "--data-binary":
            if words[position] != "@-" or piped is None:
                raise UnsupportedExample("--data-binary takes @- after printf '...' |")
            body = piped
            position += 1
        elif word == "-i":
            pass
        elif word == "-L":
            follow = True
        elif word.startswith("http"):
            url = word
        else:
            raise UnsupportedExample(f"unknown curl option {word!r}")
    if url is None or not url.startswith(DOCUMENTED_HOST):
        raise UnsupportedExample(f"the URL must start with {DOCUMENTED_HOST}")
    if body is not None:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    method = method or ("POST" if body is not None else "GET")
    path = url[len(DOCUMENTED_HOST) :]
    response = live.send(LiveRequest(method, path, tuple(headers.items()), body))
    for _ in range(5):
        if not (follow and 300 <= response.status < 400 and "location" in response.headers):
            break
        path = response.headers["location"].replace(live.url, "")
        response = live.send(LiveRequest(method, path, tuple(headers.items()), body))
    return response


def compare(live: LiveServer, example: Example, response: LiveResponse) -> list[str]:
    """How the answer differs from the documented one."""
    problems = []
    if example.status is not None and response.status != example.status:
        problems.append(f"status {response.status}, documented {example.status}: {response}")
    elif example.status is None and not 200 <= response.status < 300:
        problems.append(f"status {response.status}, documented a success: {response}")
    for name, documented in example.headers.items():
        actual = response.headers.get(name, "").replace(live.url, DOCUMENTED_HOST)
        if not _matches(documented, actual):
            problems.append(f"header {name}: {actual!r}, documented {documented!r}")
    if example.body is not None and response.body:
        if example.body.lstrip()[:1] in ("{", "["):
            problems += _compare_bodies(example.body, response)
        elif response.body.decode("utf-8", "replace").strip() != example.body.strip():
            problems.append(f"the body is {response.body[:200]!r}, documented {example.body!r}")
    return problems


def _matches(documented: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in documented.split("..."))
    return re.fullmatch(pattern, actual) is not None


def _compare_bodies(documented: str, response: LiveResponse) -> list[str]:
    try:
        actual = response.json
    except ValueError:
        return [f"the body is not JSON: {response}"]
    shortened = "..." in documented
    try:
        expected = json.loads(documented)
    except ValueError:
        if not shortened:
            return [f"the documented body is not JSON: {documented[:200]}"]
        keys = set(re.findall(r'^[{\s]*"([^"]+)":', documented, flags=re.MULTILINE))
        return _compare_keys(keys, actual, shortened=True)
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        return [] if type(expected) is type(actual) else ["the body is not of the documented kind"]
    return _compare_keys(set(expected), actual, shortened=shortened)


def _compare_keys(documented: set[str], actual: dict, *, shortened: bool) -> list[str]:
    missing = documented - set(actual)
    extra = set() if shortened else set(actual) - documented
    problems = []
    if missing:
        problems.append(f"the body lacks {sorted(missing)}")
    if extra:
        problems.append(f"the body has undocumented {sorted(extra)}")
    return problems
