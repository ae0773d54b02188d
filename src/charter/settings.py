"""Every setting Charter reads: declared once, parsed and validated at start-up.

``docs/configuration.md`` shows the same table; a test keeps the two in step.
Other modules read the parsed, typed values from ``registry.settings`` and
never parse raw strings themselves.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class SettingsError(SystemExit):
    """A setting is missing, malformed or unknown.

    It derives from ``SystemExit`` on purpose: ``pserve``, ``gunicorn`` and the
    CLI commands then stop with this one line instead of a traceback.
    """


@dataclass(frozen=True)
class Parser:
    """Turns the text of an ini value into a typed value, or says what it expected."""

    expected: str
    convert: Callable[[str], Any]

    def __call__(self, text: str) -> Any:
        return self.convert(text)


def integer(minimum: int, maximum: int) -> Parser:
    """A whole number within ``minimum`` and ``maximum`` inclusive."""

    def convert(text: str) -> int:
        value = int(text.strip())
        if not minimum <= value <= maximum:
            raise ValueError(text)
        return value

    return Parser(f"a whole number from {minimum} to {maximum}", convert)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "on", "1"}:
        return True
    if lowered in {"false", "no", "off", "0"}:
        return False
    raise ValueError(text)


def _nonempty_text(text: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError(text)
    return value


def _database_url(text: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    value = text.strip()
    try:
        make_url(value).get_dialect()  # refuses a driver that is not installed
    except ArgumentError as exc:
        raise ValueError(text) from exc
    return value


def one_of(*choices: str) -> Parser:
    """One of ``choices``, compared without regard to case; returns the canonical spelling."""
    canonical = {choice.lower(): choice for choice in choices}

    def convert(text: str) -> str:
        return canonical[text.strip().lower()]

    def convert_or_value_error(text: str) -> str:
        try:
            return convert(text)
        except KeyError:
            raise ValueError(text) from None

    return Parser("one of " + ", ".join(choices), convert_or_value_error)


def _secret(text: str) -> str:
    value = text.strip()
    if len(value) < 32:
        raise ValueError(text)
    return value


def _optional_redis_url(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(text)
    return value


# type "/" subtype, in the token characters RFC 6838 allows.
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _mime_types(text: str) -> frozenset[str]:
    types = text.lower().split()
    if not types or not all(_MIME_TYPE.fullmatch(t) for t in types):
        raise ValueError(text)
    return frozenset(types)


_ADDON_NAME = re.compile(r"[\w.-]+")


def _addon_names(text: str) -> tuple[str, ...]:
    names = tuple(text.split())
    if len(set(names)) < len(names) or not all(_ADDON_NAME.fullmatch(name) for name in names):
        raise ValueError(text)
    return names


def _optional_text(text: str) -> str | None:
    return text.strip() or None


def _image_sources(text: str) -> tuple[str, ...]:
    sources = tuple(text.split())
    for source in sources:
        if source != "https:" and not IMAGE_ORIGIN.fullmatch(source):
            raise ValueError(source)
    return sources


IMAGE_ORIGIN = re.compile(r"https://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")


def _accel_prefix(text: str) -> str:
    value = text.strip()
    if value and not (value.startswith("/") and value.endswith("/") and " " not in value):
        raise ValueError(text)
    return value


def _networks(text: str) -> tuple[Any, ...]:
    from charter.ops.requestid import parse_networks

    return parse_networks(text)


boolean = Parser("true or false", _boolean)
image_sources = Parser(
    "https:// origins separated by spaces (https://images.example.com), or https: for any",
    lambda text: _image_sources(text),
)
mime_types = Parser(
    "MIME types separated by spaces, such as image/png application/pdf", _mime_types
)
secret = Parser("a random text of at least 32 characters", _secret)
optional_redis_url = Parser(
    "empty, or a Redis URL such as redis://127.0.0.1:6379/0", _optional_redis_url
)
nonempty_text = Parser("a non-empty text", _nonempty_text)
optional_database_url = Parser(
    "empty, or a SQLAlchemy database URL such as mysql+mysqlconnector://reader@replica/charter",
    lambda text: _database_url(text) if text.strip() else None,
)
database_url = Parser(
    "a SQLAlchemy database URL such as sqlite:///var/charter.sqlite", _database_url
)
addon_names = Parser("add-on names separated by spaces or new lines, each once", _addon_names)
accel_prefix = Parser(
    "empty, or a URL path starting and ending with /, such as /_charter_blobs/", _accel_prefix
)
optional_text = Parser("a text, or nothing", _optional_text)
networks = Parser(
    "IP addresses or networks separated by spaces, such as 127.0.0.1 ::1 10.0.0.0/8", _networks
)


def _origins(text: str) -> frozenset[str]:
    from urllib.parse import urlsplit

    values = text.split()
    for value in values:
        if value == "*":
            continue
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or value.endswith("/"):
            raise ValueError(text)
        if parts.path or parts.query or parts.fragment or parts.username:
            raise ValueError(text)
    return frozenset(values)


def _header_words(text: str) -> tuple[str, ...]:
    values = text.split()
    if not values or any(not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", v) for v in values):
        raise ValueError(text)
    return tuple(values)


origins = Parser(
    "empty, *, or origins such as https://app.example.com separated by spaces", _origins
)
header_words = Parser("names separated by spaces, such as GET POST", _header_words)


@dataclass(frozen=True)
class Setting:
    """One ini key: its parser, default (``None`` when required), doc line and env override."""

    key: str
    parser: Parser
    default: str | None
    doc: str
    env: str | None = None
    # Never echoed in error messages (passwords in URLs, signing keys).
    sensitive: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "sqlalchemy.url",
        database_url,
        None,
        "Database URL: sqlite, mysql+mysqlconnector or postgresql+psycopg.",
        env="CHARTER_DATABASE_URL",
        sensitive=True,
    ),
    Setting(
        "sqlalchemy.replica.url",
        optional_database_url,
        "",
        "Database URL of a read replica of sqlalchemy.url; empty reads everything from the "
        "primary (see docs/deployment.md, Read replica).",
        env="CHARTER_REPLICA_DATABASE_URL",
        sensitive=True,
    ),
    Setting(
        "charter.replica.read_your_writes_seconds",
        integer(0, 3600),
        "10",
        "Seconds after a write during which the writer's GET and HEAD requests still read "
        "from the primary; keep it above the replica's usual lag.",
    ),
    Setting(
        "charter.db.pool_size",
        integer(1, 1000),
        "10",
        "Connections each process keeps open (MySQL/MariaDB and PostgreSQL).",
    ),
    Setting(
        "charter.db.max_overflow",
        integer(0, 1000),
        "10",
        "Extra connections a process may open under load beyond the pool size.",
    ),
    Setting(
        "charter.db.pool_timeout",
        integer(1, 600),
        "30",
        "Seconds a request waits for a free connection before failing.",
    ),
    Setting(
        "charter.db.pool_recycle",
        integer(60, 86400),
        "3600",
        "Seconds after which a pooled connection is replaced; keep it below the "
        "server's wait_timeout.",
    ),
    Setting(
        "charter.db.echo",
        boolean,
        "false",
        "Log every SQL statement (development only).",
    ),
    Setting(
        "retry.attempts",
        integer(1, 10),
        "3",
        "Attempts per request when the database reports a deadlock, lock timeout "
        "or serialization failure.",
    ),
    Setting(
        "charter.session.secret",
        secret,
        None,
        "Key that signs session cookies; keep it secret and the same on every process.",
        env="CHARTER_SESSION_SECRET",
        sensitive=True,
    ),
    Setting(
        "charter.session.secure",
        boolean,
        "true",
        "Send the session cookie over HTTPS only (set false only for local development).",
    ),
    Setting(
        "charter.session.samesite",
        one_of("Lax", "Strict", "None"),
        "Lax",
        "SameSite attribute of the session cookie.",
    ),
    Setting(
        "charter.session.timeout",
        integer(60, 2592000),
        "28800",
        "Seconds of inactivity after which a session ends.",
    ),
    Setting(
        "charter.identity_cache.seconds",
        integer(0, 3600),
        "60",
        "Seconds a process keeps the identity behind an API token between requests; 0 loads "
        "it on every request. A revocation, deactivation, password change or change of groups "
        "or site-wide roles counts at once whatever this says.",
    ),
    Setting(
        "charter.identity_cache.size",
        integer(1, 1_000_000),
        "1000",
        "Most API tokens whose identity a process keeps; the least recently used go first.",
    ),
    Setting(
        "charter.password.min_length",
        integer(8, 128),
        "10",
        "Fewest characters a new password may have.",
    ),
    Setting(
        "charter.login.max_failures",
        integer(1, 1000),
        "5",
        "Failed logins per account within the window before further attempts are refused.",
    ),
    Setting(
        "charter.login.max_failures_per_address",
        integer(1, 10000),
        "20",
        "Failed logins per client address within the window before it is refused.",
    ),
    Setting(
        "charter.login.window",
        integer(10, 86400),
        "900",
        "Seconds a failed-login count is kept (and a refused client waits).",
    ),
    Setting(
        "charter.redis_url",
        optional_redis_url,
        "",
        "Redis for sessions and shared counters (login rate limits); empty keeps them in the "
        "database.",
        env="CHARTER_REDIS_URL",
        sensitive=True,
    ),
    Setting(
        "charter.site_title",
        nonempty_text,
        "Charter",
        "Name shown in the header of every page.",
    ),
    Setting(
        "charter.web.image_sources",
        image_sources,
        "",
        "Other sites whose images pages may show (a document's ![](https://...)); empty allows "
        "this site's own images only.",
    ),
    Setting(
        "charter.public_site",
        boolean,
        "false",
        "Let visitors who are not logged in see published items: a public web site with an "
        "intranet behind it.",
    ),
    Setting(
        "charter.debug",
        boolean,
        "false",
        "Show the traceback on the error page of an unexpected failure; never in production.",
    ),
    Setting(
        "charter.proxy.trusted",
        networks,
        "",
        "Addresses of the reverse proxies whose X-Forwarded-For, X-Forwarded-Proto and "
        "X-Request-ID Charter believes; empty trusts none.",
    ),
    Setting(
        "charter.metrics.enabled",
        boolean,
        "false",
        "Serve Prometheus metrics at /metrics.",
    ),
    Setting(
        "charter.metrics.allow",
        networks,
        "",
        "Client addresses that may read /metrics without the token; empty allows none.",
    ),
    Setting(
        "charter.metrics.token",
        optional_text,
        "",
        "Bearer token that lets any address read /metrics; empty allows the listed addresses only.",
        env="CHARTER_METRICS_TOKEN",
        sensitive=True,
    ),
    Setting(
        "charter.blobs.path",
        nonempty_text,
        "var/blobs",
        "Folder that holds the bytes of uploaded files; back it up with the database.",
    ),
    Setting(
        "charter.blobs.max_upload_size",
        integer(1, 1 << 40),
        "104857600",  # 100 MiB
        "Largest upload accepted, in bytes; a larger one is refused with 413.",
    ),
    Setting(
        "charter.blobs.accel_redirect",
        accel_prefix,
        "",
        "URL prefix of the proxy's internal location for the blob folder: downloads are then "
        "sent by nginx (X-Accel-Redirect) after Charter checked the permission; empty sends "
        "them from Charter.",
    ),
    Setting(
        "charter.blobs.inline_types",
        mime_types,
        "image/png image/jpeg image/gif image/webp application/pdf",
        "Sniffed MIME types that downloads show in the browser; others are attachments.",
    ),
    Setting(
        "charter.thumbnails.max_source_pixels",
        # Pillow's own decompression-bomb threshold (Image.MAX_IMAGE_PIXELS) is the ceiling.
        integer(1, 89_478_485),
        "40000000",
        "Largest image (width times height, in pixels) the contents table makes a thumbnail "
        "of; a larger one gets its type's icon.",
    ),
    Setting(
        "charter.input.max_body_size",
        integer(1024, 1 << 30),
        "16777216",  # 16 MiB
        "Largest JSON or form body accepted, in bytes (uploads have their own limit); "
        "a larger one is refused with 413.",
    ),
    Setting(
        "charter.api.default_page_size",
        integer(1, 200),
        "50",
        "Children returned per page by folder listings when the client gives no limit.",
    ),
    Setting(
        "charter.api.max_page_size",
        integer(1, 200),
        "200",
        "Largest `limit` a client may ask for in a folder listing.",
    ),
    Setting(
        "charter.revisions.keep",
        integer(0, 1_000_000),
        "0",
        "Revisions charter-revisions prune keeps per node: the newest ones, and always the "
        "first; 0 keeps every revision.",
    ),
    Setting(
        "charter.trash.retention_days",
        integer(0, 36500),
        "30",
        "Days a deleted item stays in the trash before `charter-trash CONFIG purge` deletes it "
        "for good; 0 keeps it until someone purges it.",
    ),
    Setting(
        "charter.search.extract_timeout",
        integer(1, 600),
        "20",
        "Seconds the text of one uploaded file may take to extract before search gives up "
        "on it (the file is still found by its name and title).",
    ),
    Setting(
        "charter.search.extract_memory",
        integer(64, 65536),
        "768",
        "Megabytes of memory the process extracting a file's text may use.",
    ),
    Setting(
        "charter.search.extract_max_size",
        integer(0, 2**40),
        "104857600",
        "Largest file, in bytes, whose text search extracts; 0 extracts none.",
    ),
    Setting(
        "charter.search.max_text",
        integer(1000, 10_000_000),
        "300000",
        "Characters of an item's text (description, body, text inside a file) that search indexes.",
    ),
    Setting(
        "charter.search.ranking_window",
        integer(20, 100_000),
        "100",
        "Visible matches a search ranks and counts before it answers (its first pages and its "
        "facets); when more match, later pages go on through all of them in the same order.",
    ),
    Setting(
        "charter.search.time_limit",
        integer(0, 3600),
        "10",
        "Seconds the database may spend on one search before it is stopped and the person "
        "asked to narrow it; 0 sets no limit.",
    ),
    Setting(
        "charter.api.idempotency_hours",
        integer(1, 8760),
        "24",
        "Hours the response to an API write sent with an Idempotency-Key is kept for replay.",
    ),
    Setting(
        "charter.changes.retention_days",
        integer(1, 36500),
        "90",
        "Days entries (tombstones too) stay in the change feed; an older cursor gets 410.",
    ),
    Setting(
        "charter.changes.max_waiting",
        integer(0, 1000),
        "4",
        "Change-feed requests per process that may long-poll (`wait`) at once; others answer "
        "at once. Each holds a server thread while it waits.",
    ),
    Setting(
        "charter.webhooks.allow_private",
        boolean,
        "false",
        "Allow webhook endpoints on loopback, link-local and private addresses (tests, "
        "closed networks); off, such URLs are refused (SSRF).",
    ),
    Setting(
        "charter.webhooks.timeout",
        integer(1, 120),
        "15",
        "Seconds charter-worker waits for an endpoint to answer a delivery.",
    ),
    Setting(
        "charter.webhooks.disable_after_days",
        integer(1, 365),
        "5",
        "Days of failing deliveries after which an endpoint is disabled.",
    ),
    Setting(
        "charter.webhooks.poll_interval_ms",
        integer(50, 60000),
        "500",
        "Milliseconds charter-worker sleeps when the outbox has nothing due.",
    ),
    Setting(
        "charter.cors.allowed_origins",
        origins,
        "",
        "Origins whose browser scripts may call /api/ (CORS); empty turns CORS off.",
    ),
    Setting(
        "charter.cors.allowed_methods",
        header_words,
        "GET HEAD POST PUT PATCH DELETE",
        "Methods a preflight allows the listed origins.",
    ),
    Setting(
        "charter.cors.allowed_headers",
        header_words,
        "Authorization Content-Type If-Match If-None-Match Idempotency-Key Slug X-CSRF-Token",
        "Request headers a preflight allows the listed origins.",
    ),
    Setting(
        "charter.cors.allow_credentials",
        boolean,
        "false",
        "Let the listed origins' scripts send the session cookie (not with *).",
    ),
    Setting(
        "charter.cors.max_age",
        integer(0, 86400),
        "600",
        "Seconds a browser may keep a preflight's answer.",
    ),
    Setting(
        "charter.api.rate_limit",
        integer(0, 1_000_000),
        "0",
        "Requests each API token may make per window; past it, 429. 0 turns the limit off.",
    ),
    Setting(
        "charter.api.rate_limit_window",
        integer(1, 86400),
        "60",
        "Seconds of the window charter.api.rate_limit counts in.",
    ),
    Setting(
        "charter.addons",
        addon_names,
        "",
        "Add-ons to load, in this order: names of installed `charter.addons` entry points.",
    ),
)

SETTINGS_BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}

# Prefixes whose keys Charter owns: an unknown key under them is a typo.
OWNED_PREFIXES = ("charter.", "sqlalchemy.")


def parse_settings(
    raw: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    extra_settings: Iterable[Setting] = (),
) -> dict[str, Any]:
    """Return ``raw`` with every declared setting parsed, defaulted and validated.

    ``extra_settings`` are those the enabled add-ons declare
    (``charter.addons.addon_settings(raw)``), handled like the core's. Keys
    that belong to other packages (``pyramid.*``, ``jinja2.*``...) pass
    through untouched. Raises ``SettingsError`` with one line naming the key.
    """
    environ = os.environ if environ is None else environ
    parsed: dict[str, Any] = dict(raw)
    declared = (*SETTINGS, *extra_settings)
    known = {setting.key for setting in declared}

    for key in raw:
        if key.startswith(OWNED_PREFIXES) and key not in known:
            raise SettingsError(_unknown_key_message(key, known))

    for setting in declared:
        source = setting.key
        text = raw.get(setting.key)
        if setting.env and environ.get(setting.env):
            source, text = f"{setting.env} (environment)", environ[setting.env]
        if text is None or (isinstance(text, str) and not text.strip()):
            if setting.default is None:
                raise SettingsError(
                    f"Missing setting {setting.key}: expected {setting.parser.expected}"
                    + (f" (or set {setting.env})" if setting.env else "")
                )
            text = setting.default
        if not isinstance(text, str):
            # Already typed (a test or a caller passing Python values): validate its text.
            text = str(text).lower() if isinstance(text, bool) else str(text)
        try:
            parsed[setting.key] = setting.parser(text)
        except ValueError:
            shown = "<hidden>" if setting.sensitive else text
            raise SettingsError(
                f"Bad setting {source} = {shown!r}: expected {setting.parser.expected}"
            ) from None

    if parsed["charter.api.default_page_size"] > parsed["charter.api.max_page_size"]:
        raise SettingsError(
            "Bad setting charter.api.default_page_size = "
            f"{parsed['charter.api.default_page_size']!r}: expected at most "
            f"charter.api.max_page_size ({parsed['charter.api.max_page_size']})"
        )
    if parsed["charter.cors.allow_credentials"] and "*" in parsed["charter.cors.allowed_origins"]:
        raise SettingsError(
            "Bad setting charter.cors.allow_credentials = True: expected false while "
            "charter.cors.allowed_origins is * (list the origins that may send cookies)"
        )
    return parsed


def _unknown_key_message(key: str, declared: Iterable[str]) -> str:
    # Compare what follows the owned prefix, so "charter." alone never matches.
    known = {_without_prefix(k): k for k in declared if k.startswith(OWNED_PREFIXES)}
    nearest = difflib.get_close_matches(_without_prefix(key), known, n=1, cutoff=0.6)
    hint = f"; did you mean {known[nearest[0]]}?" if nearest else "; see docs/configuration.md"
    return f"Unknown setting {key}{hint}"


def _without_prefix(key: str) -> str:
    return next((key.removeprefix(p) for p in OWNED_PREFIXES if key.startswith(p)), key)
