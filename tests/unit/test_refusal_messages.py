"""The refusals a person meets in the web UI are translatable and translated: the services
word them with ``charter.i18n._`` (never a plain or f-string), every such msgid has a German
translation in the compiled catalogue, and read in English (the API) each one has its values
filled in."""

import ast
import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from pyramid.i18n import make_localizer

from charter.errors import ValidationFailed
from charter.i18n import Count, Size, _, english, localize
from charter.input.messages import validation_message
from charter.input.text import text_refusal

SOURCE = Path(__file__).resolve().parents[2] / "src" / "charter"
LOCALE = SOURCE / "locale"
# The domain errors (and the refusals made like them) whose message a person may read.
REFUSALS = {
    "ChangedMeanwhile",
    "Conflict",
    "Forbidden",
    "LoginRefused",
    "MalformedRequest",
    "NotFound",
    "PreconditionFailed",
    "PrivateAddress",
    "QuerySyntaxError",
    "RestoreConflict",
    "TooLarge",
    "TransitionRefused",
    "UnderLegalHold",
    "UnsupportedMediaType",
    "UnusableURL",
    "ValidationFailed",
}
# Where a refusal stays English on purpose: the JSON API and what only it reads, the
# command-line tools and start-up checks of a configuration (module: enclosing functions, or
# "*" for all of it).
ENGLISH_ONLY = {
    "api": "*",
    "scripts": "*",
    "ops": "*",
    "input/json.py": "*",
    "input/headers.py": "*",
    "workflow/definitions.py": "*",
    "content/registry.py": {"add"},
}


def _english_only(module: str, function: str) -> bool:
    for prefix, functions in ENGLISH_ONLY.items():
        if module == prefix or module.startswith(f"{prefix}/"):
            return functions == "*" or function in functions
    return False


def _plain_text(node: ast.AST) -> bool:
    """Whether ``node`` is a string literal or an f-string (not a translation string)."""
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _untranslated(tree: ast.Module) -> list[tuple[str, int]]:
    """(function, line) of each refusal in ``tree`` worded with plain text."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in REFUSALS
                and node.args
            ):
                continue
            message = node.args[0]
            pairs = message.elts if isinstance(message, ast.List) else []
            texts = [message] + [p.elts[1] for p in pairs if isinstance(p, ast.Tuple)]
            if any(_plain_text(text) for text in texts):
                found.append((function.name, node.lineno))
    return found


def test_every_refusal_a_page_shows_is_a_translation_string():
    untranslated = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = path.relative_to(SOURCE).as_posix()
        for function, line in _untranslated(ast.parse(path.read_text(encoding="utf-8"))):
            if not _english_only(module, function):
                untranslated.append(f"{module}:{line} ({function})")

    assert sorted(set(untranslated)) == []


def _service_msgids() -> set[str]:
    """The msgids marked with ``_`` outside the web package (the services' refusals)."""
    method_map = [
        ("web/**", "ignore"),
        ("scripts/**", "ignore"),
        ("ops/**", "ignore"),
        ("testing/**", "ignore"),
        ("**.py", "python"),
    ]
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(SOURCE), method_map, keywords={"_": None}
    ):
        found.add(message)
    return found


def test_every_refusal_of_the_services_is_translated_into_german():
    compiled = read_mo(io.BytesIO((LOCALE / "de" / "LC_MESSAGES" / "charter.mo").read_bytes()))
    # (Plural forms, whose id is a pair, are the views'.)
    german = {m.id: m.string for m in compiled if isinstance(m.id, str) and m.id}
    msgids = _service_msgids()

    assert len(msgids) > 150
    assert sorted(msgid for msgid in msgids if not german.get(msgid)) == []


class _German:
    """A localizer's stand-in that knows two German words."""

    words = {"a title ${problem}": "ein Titel ${problem}", "Private": "Privat"}

    def translate(self, message):
        return message.interpolate(self.words.get(str(message), str(message)))


def test_a_refusal_reads_in_english_with_its_values_and_localizes_its_nested_words():
    problem = _("has at most ${count} characters", mapping={"count": "500"})
    refusal = _("a title ${problem}", mapping={"problem": problem})

    assert english(refusal) == "a title has at most 500 characters"
    assert type(english(refusal)) is str
    assert localize(_German(), _("${state}", mapping={"state": _("Private")})) == "Privat"


def test_validation_failed_keeps_its_messages_translatable_and_its_errors_english():
    failure = ValidationFailed([("title", _("a title ${problem}", mapping={"problem": "x"}))])

    assert failure.errors == [("title", "a title x")]
    assert str(failure.messages[0][1]) == "a title ${problem}"
    assert failure.detail == str(failure) == "title: a title x"


@pytest.mark.parametrize(
    ("error", "wanted"),
    [
        (
            {
                "type": "string_too_long",
                "msg": "String should have at most 5 characters",
                "ctx": {"max_length": 5},
            },
            "String should have at most ${max_length} characters",
        ),
        (
            {
                "type": "string_too_long",
                "msg": "String should have at most 1 character",
                "ctx": {"max_length": 1},
            },
            "String should have at most ${max_length} character",
        ),
        ({"type": "missing", "msg": "Field required"}, "Field required"),
        (
            {
                "type": "greater_than_equal",
                "msg": "Input should be greater than or equal to 1",
                "ctx": {"ge": 1},
            },
            "Input should be greater than or equal to ${ge}",
        ),
        # A wording this module does not know keeps pydantic's English.
        ({"type": "some_new_type", "msg": "Something new"}, "Something new"),
        (
            {"type": "missing", "msg": "Field required, said otherwise"},
            "Field required, said otherwise",
        ),
    ],
)
def test_pydantic_errors_become_charters_translatable_messages(error, wanted):
    message = validation_message(error)

    assert str(message) == wanted
    assert english(message) == error["msg"]


@pytest.mark.parametrize(
    ("value", "in_english", "in_german"),
    [
        (Count(12345), "12,345", "12.345"),
        (Count(500), "500", "500"),
        (Size(1), "1 byte", "1 Byte"),
        (Size(512), "512 bytes", "512 Byte"),
        (Size(1536), "1.5 KiB", "1,5 KiB"),
        (Size(2 * 1024 * 1024), "2 MiB", "2 MiB"),
    ],
)
def test_counts_and_sizes_read_in_each_languages_notation(value, in_english, in_german):
    german = make_localizer("de", [str(LOCALE)])

    assert english(value) == in_english
    assert localize(german, value) == in_german


def test_a_refusal_with_a_size_and_a_count_reads_german_on_a_page_and_english_elsewhere():
    problem = text_refusal("é" * 2000, max_chars=5000, max_bytes=1536)
    refusal = _("a title ${problem}", mapping={"problem": problem})

    assert english(problem) == "has at most 1.5 KiB in UTF-8 (this is 4,000 bytes)"
    assert english(refusal) == "a title has at most 1.5 KiB in UTF-8 (this is 4,000 bytes)"
    assert localize(make_localizer("de", [str(LOCALE)]), problem) == (
        "hat in UTF-8 höchstens 1,5 KiB (dieser hat 4.000 Byte)"
    )
